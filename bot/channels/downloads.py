"""Fetching a person's files for the archive: Telegram by file id (getFile, then the file), and
any channel's web address (Zalo's photo URLs, a file sent on the Zalo OA) streamed with a byte
cap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx

from bot.imaging import Refused
from bot.messages import FileTooLarge, Sender

if TYPE_CHECKING:
    from telegram import Bot

    from bot.archive import Download

__all__ = ["HttpDownloads", "TelegramDownloads", "downloads_for"]


class TelegramDownloads:
    """A Telegram file by its id, through python-telegram-bot's Bot."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def __call__(self, file_id: str, limit: int) -> bytes:
        """The file's bytes; refused before downloading when Telegram says it is too large."""
        found = await self._bot.get_file(file_id)
        if found.file_size is not None and found.file_size > limit:
            raise Refused("too_large")
        data = bytes(await found.download_as_bytearray())
        if len(data) > limit:
            raise Refused("too_large")
        return data


class HttpDownloads:
    """A file at a web address, streamed and abandoned as soon as it passes the cap."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 30.0) -> None:
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout,
                                       follow_redirects=True, max_redirects=3)

    async def __call__(self, url: str, limit: int) -> bytes:
        """The body's bytes; Refused past `limit`, httpx errors for anything worth retrying."""
        try:
            return await self.file(url, limit)
        except FileTooLarge:
            raise Refused("too_large") from None

    async def file(self, url: str, limit: int) -> bytes:
        """The body's bytes; FileTooLarge (the size declared, or read so far) past `limit`,
        before reading when the Content-Length says so; httpx errors as they come."""
        async with self._http.stream("GET", url) as response:
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdecimal() and int(declared) > limit:
                raise FileTooLarge(int(declared))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(size)
                chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def downloads_for(senders: Mapping[str, Sender]) -> dict[str, Download]:
    """A download for each running channel whose references are not web addresses."""
    from bot.channels.telegram import TelegramSender

    found: dict[str, Download] = {}
    telegram = senders.get("telegram")
    if isinstance(telegram, TelegramSender):
        found["telegram"] = TelegramDownloads(telegram.bot)
    return found
