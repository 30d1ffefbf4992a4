"""A file a person sent to the Zalo OA (`user_send_file`): its name and declared size from the
event, its bytes downloaded from the platform's URL when asked, never past the caller's cap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.messages import Document, FileTooLarge

__all__ = ["Download", "document_of"]

# Fetch a URL's body, at most `limit` bytes, else FileTooLarge (HttpDownloads.file).
Download = Callable[[str, int], Awaitable[bytes]]


def _size(value: object) -> int | None:
    """The declared size: a non-negative whole number, given as a number or a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def document_of(message: dict[str, Any], download: Download) -> Document | None:
    """The first attachment with a web address (`payload.url`, `name`, `size`) as a Document;
    None when there is none."""
    for item in message.get("attachments") or []:
        payload = item.get("payload") if isinstance(item, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or not isinstance(url, str) \
                or not url.startswith(("http://", "https://")):
            continue
        name = payload.get("name")
        size = _size(payload.get("size"))
        return Document(name[:200] if isinstance(name, str) else "", size,
                        _fetcher(url, size, download))
    return None


def _fetcher(url: str, size: int | None, download: Download) -> Callable[[int], Awaitable[bytes]]:
    async def fetch(limit: int) -> bytes:
        if size is not None and size > limit:
            raise FileTooLarge(size)  # refused before asking the platform for a byte
        return await download(url, limit)

    return fetch
