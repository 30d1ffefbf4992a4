"""Files for channels that cannot carry one (Zalo): the workbook, the import template, a chart,
or the archive's copy of a story's photo or voice note is kept for a day, and the person gets a
link to it on the public site (GALLERY_URL) instead — pictures are shown by their link; without
a public site they are told plainly where to get a file."""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from bot.content import Catalogue, Safe
from bot.messages import Attachment, ChannelTraits, Reply

if TYPE_CHECKING:
    from aiohttp import web

    from bot.storage import Storage

__all__ = ["LIFETIME", "as_links", "carries_files", "install"]

log = logging.getLogger(__name__)

LIFETIME = timedelta(hours=24)
_PATH = "tep"  # {GALLERY_URL}/tep/<token>/<name>
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _address(site: str, token: str, name: str) -> str:
    return f"{site}/{_PATH}/{token}/{quote(name)}"


def carries_files(reply: Reply, traits: ChannelTraits) -> bool:
    """Whether a reply holds bytes the channel cannot hand over: any (a file, a photo's or a
    voice note's copy) where it takes none, a file over its cap where it has one."""
    if not traits.files:
        return bool(reply.files or reply.photo_uploads
                    or any(isinstance(a, Attachment) for a in reply.audio))
    return any(_over(item, traits) for item in reply.files)


def _over(item: Attachment, traits: ChannelTraits) -> bool:
    return traits.max_file is not None and len(item.data) > traits.max_file


async def as_links(storage: Storage, texts: Catalogue, site: str | None, person_id: int,
                   replies: list[Reply], now: datetime, traits: ChannelTraits) -> list[Reply]:
    """The replies with each file the channel cannot hand over swapped for a link, each such
    picture (a chart, a photo's archived copy) shown by its link; without a public site, a line
    saying what cannot be sent here."""
    out = []
    for reply in replies:
        if not carries_files(reply, traits):
            out.append(reply)
        elif traits.files:  # only the files over the channel's cap
            big = tuple(item for item in reply.files if _over(item, traits))
            small = tuple(item for item in reply.files if not _over(item, traits))
            swapped = await _swap(storage, texts, site, person_id,
                                  replace(reply, files=big, photo_uploads=(), audio=()), now,
                                  traits.max_file)
            out.append(replace(reply, text=swapped.text, files=small, photos=swapped.photos))
        else:
            out.append(await _swap(storage, texts, site, person_id, reply, now))
    return out


async def _swap(storage: Storage, texts: Catalogue, site: str | None, person_id: int,
                reply: Reply, now: datetime, cap: int | None = None) -> Reply:
    """One reply's files as links (or as words, without a site: for files over the channel's
    `cap`, how large they are and how to ask for less)."""
    heard = tuple(a for a in reply.audio if isinstance(a, Attachment))
    photos, lines = list(reply.photos), []
    if site is None:
        lines += [_unavailable(texts, item, cap) for item in reply.files if item.kind != "photo"]
        lines += [texts.t("files.voice_unavailable") for _ in heard]
        if reply.photo_uploads:
            lines.append(texts.t("files.photos_unavailable"))
        if any(item.kind == "photo" for item in reply.files):
            lines.append(texts.t("files.charts_unavailable"))
    else:
        hours = int(LIFETIME.total_seconds() // 3600)
        kept = [(item.kind, item) for item in (*reply.photo_uploads, *reply.files)]
        for kind, item in [*kept, *(("audio", voice) for voice in heard)]:
            token = await storage.file_links.keep(person_id, item.filename, kind, item.data,
                                                  now, LIFETIME)
            url = Safe(_address(site, token, item.filename))
            if kind == "photo":
                photos.append(url)
            elif kind == "audio":
                lines.append(texts.t("files.voice_link", url=url, hours=hours))
            else:
                lines.append(texts.t("files.link", name=item.filename, url=url, hours=hours))
    text = "\n\n".join([reply.text, *lines] if reply.text else lines)
    audio = tuple(a for a in reply.audio if not isinstance(a, Attachment))
    return replace(reply, text=Safe(text), files=(), photo_uploads=(), photos=tuple(photos),
                   audio=audio)


def _unavailable(texts: Catalogue, item: Attachment, cap: int | None) -> Safe:
    """Why a file is not here: the channel takes none, or this one is over its cap."""
    if cap is None:
        return texts.t("files.unavailable", name=item.filename)
    return texts.t("files.too_big", name=item.filename, size=_megabytes(len(item.data)),
                   max=cap // 1024 // 1024)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}"


def install(app: web.Application, storage: Storage, site: str, texts: Catalogue) -> None:
    """Serve kept files at GET {path of GALLERY_URL}/tep/<token>/<name> until they expire."""
    from aiohttp import web

    base = urlsplit(site).path.rstrip("/")

    async def serve(request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                   "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
        token = request.match_info["token"]
        found = None
        if _TOKEN.fullmatch(token):
            found = await storage.file_links.get(token, datetime.now(UTC))
        if found is None:
            return web.Response(text=texts.t("files.expired"), status=404, charset="utf-8",
                                headers=headers)
        kind = (_XLSX if found.name.endswith(".xlsx")
                else mimetypes.guess_type(found.name)[0] or "application/octet-stream")
        if found.kind == "document":  # a picture or a voice note opens in the browser
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.name)}"
        log.info("a kept file was fetched (%s, %d bytes)", found.kind, len(found.data))
        return web.Response(body=found.data, content_type=kind, headers=headers)

    app.router.add_get(f"{base}/{_PATH}/{{token}}/{{name}}", serve)
