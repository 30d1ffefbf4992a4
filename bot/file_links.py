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
from bot.messages import Attachment, Reply

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


def carries_files(reply: Reply) -> bool:
    """Whether a reply holds bytes the bot made or kept (a file, a photo's or voice's copy)."""
    return bool(reply.files or reply.photo_uploads
                or any(isinstance(a, Attachment) for a in reply.audio))


async def as_links(storage: Storage, texts: Catalogue, site: str | None, person_id: int,
                   replies: list[Reply], now: datetime) -> list[Reply]:
    """The replies with each file swapped for a link, each picture (a chart, a photo's archived
    copy) shown by its link; without a public site, a line saying what cannot be sent here."""
    out: list[Reply] = []
    for reply in replies:
        if not carries_files(reply):
            out.append(reply)
            continue
        heard = tuple(a for a in reply.audio if isinstance(a, Attachment))
        lines: list[str] = []
        photos = list(reply.photos)
        left = {"photo_uploads": False, "files": False}
        for where, items in (("photo_uploads", reply.photo_uploads), ("files", reply.files)):
            for item in items:
                if site is None:
                    if item.kind == "photo":
                        left[where] = True
                    else:
                        lines.append(texts.t("files.unavailable", name=item.filename))
                    continue
                token = await storage.file_links.keep(person_id, item.filename, item.kind,
                                                      item.data, now, LIFETIME)
                url = _address(site, token, item.filename)
                if item.kind == "photo":
                    photos.append(url)
                else:
                    lines.append(texts.t("files.link", name=item.filename, url=Safe(url),
                                         hours=int(LIFETIME.total_seconds() // 3600)))
        for voice in heard:
            if site is None:
                lines.append(texts.t("files.voice_unavailable"))
                continue
            token = await storage.file_links.keep(person_id, voice.filename, "audio",
                                                  voice.data, now, LIFETIME)
            lines.append(texts.t("files.voice_link", url=Safe(_address(site, token,
                                                                        voice.filename)),
                                 hours=int(LIFETIME.total_seconds() // 3600)))
        if left["photo_uploads"]:
            lines.append(texts.t("files.photos_unavailable"))
        if left["files"]:
            lines.append(texts.t("files.charts_unavailable"))
        text = "\n\n".join([reply.text, *lines]) if reply.text else "\n\n".join(lines)
        audio = tuple(a for a in reply.audio if not isinstance(a, Attachment))
        out.append(replace(reply, text=Safe(text), files=(), photo_uploads=(),
                           photos=tuple(photos), audio=audio))
    return out


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
