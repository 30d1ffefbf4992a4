"""The public gallery on the bot's web server: the list with filters and search, a page per
story, its photos, an Atom feed. Pages are plain HTML (no script), built from templates."""

from __future__ import annotations

import hashlib
import time
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.config import Settings
from bot.content import Campaigns, catalogue
from bot.gallery.views import PAGE, Labels, Listing, Urls, atom_time, excerpt, parse_listing
from bot.imaging import THUMB, WEB
from bot.storage import Storage
from bot.storage.public import Facets

__all__ = ["Gallery"]

_FEED_SIZE = 50
_FACETS_FOR = 60.0
_SECURITY = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self';"
                               " form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_TYPES = {WEB: "image/jpeg", THUMB: "image/webp"}


class Gallery:
    """Routes of the gallery, reading storage on every request (a story's status included)."""

    def __init__(self, storage: Storage, settings: Settings, campaigns: Campaigns) -> None:
        assert settings.gallery_url is not None
        self._storage = storage
        self._campaigns = campaigns
        self._urls = Urls(settings.gallery_url)
        self._texts = catalogue(settings.language)
        self._labels = Labels(self._texts, settings.province_code, campaigns)
        self._css = (resources.files("bot.gallery") / "static" / "gallery.css").read_bytes()
        self._css_version = hashlib.sha256(self._css).hexdigest()[:10]
        self._facets: tuple[float, Facets] | None = None
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.gallery", "templates"),
            autoescape=jinja2.select_autoescape(("html", "xml")),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        self._env.globals.update(t=self._t, urls=self._urls, labels=self._labels,
                                 excerpt=excerpt, atom_time=atom_time, lang=settings.language,
                                 css=f"{self._urls.base}/static/gallery.css?v={self._css_version}")

    def _t(self, key: str, **values: object) -> Markup:
        """Catalogue text, already escaped, for a template."""
        return Markup(self._texts.t(key, **values))

    def install(self, app: web.Application) -> None:
        """Add the gallery's routes (under the path of GALLERY_URL) to the web app."""
        base = self._urls.base
        app.router.add_get(f"{base}/", self._list)
        if base:
            app.router.add_get(base, self._list)
        app.router.add_get(f"{base}/cau-chuyen/{{id:\\d{{1,9}}}}", self._story)
        app.router.add_get(
            f"{base}/cau-chuyen/{{id:\\d{{1,9}}}}/anh/{{n:\\d{{1,2}}}}/{{name}}", self._photo)
        app.router.add_get(f"{base}/feed.atom", self._feed)
        app.router.add_get(f"{base}/static/gallery.css", self._stylesheet)
        app.router.add_get(f"{base}/{{tail:.*}}", self._not_found)

    def _page(self, template: str, status: int = 200, **values: Any) -> web.Response:
        html = self._env.get_template(template).render(**values)
        headers = {**_SECURITY, "Cache-Control": "public, max-age=60"}
        return web.Response(text=html, status=status, content_type="text/html",
                            charset="utf-8", headers=headers)

    async def _facets_now(self) -> Facets:
        """The filter choices, read at most once a minute."""
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > _FACETS_FOR:
            self._facets = (now, await self._storage.public.facets())
        return self._facets[1]

    async def _list(self, request: web.Request) -> web.Response:
        listing = parse_listing(request.query, self._labels.province, self._campaigns)
        offset = (listing.page - 1) * PAGE
        if listing.words:
            total, lines = await self._storage.search.find(
                listing.words, listing.filter, offset, PAGE)
            stories = await self._storage.public.by_ids([line.id for line in lines])
        else:
            total, stories = await self._storage.public.page(listing.filter, offset, PAGE)
        pages = max(1, (total + PAGE - 1) // PAGE)
        return self._page("list.html", listing=listing, stories=stories, total=total,
                          pages=pages, facets=await self._facets_now())

    async def _story(self, request: web.Request) -> web.Response:
        story = await self._storage.public.get(int(request.match_info["id"]))
        if story is None:
            return self._missing()
        return self._page("story.html", story=story)

    async def _photo(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in _TYPES:
            return self._missing()
        found = await self._storage.public.photo(int(request.match_info["id"]),
                                                 int(request.match_info["n"]) - 1)
        path = self._storage.photos.files.path(found.digest, name) if found else None
        if path is None or not path.is_file():
            return self._missing()
        headers = {**_SECURITY, "Cache-Control": "public, max-age=3600",
                   "Content-Type": _TYPES[name]}
        return web.FileResponse(path, headers=headers)

    async def _feed(self, _: web.Request) -> web.Response:
        _total, stories = await self._storage.public.page(Listing().filter, 0, _FEED_SIZE)
        xml = self._env.get_template("feed.xml").render(stories=stories)
        headers = {**_SECURITY, "Cache-Control": "public, max-age=300"}
        return web.Response(text=xml, content_type="application/atom+xml", charset="utf-8",
                            headers=headers)

    async def _stylesheet(self, _: web.Request) -> web.Response:
        headers = {**_SECURITY, "Cache-Control": "public, max-age=86400"}
        return web.Response(body=self._css, content_type="text/css", charset="utf-8",
                            headers=headers)

    async def _not_found(self, _: web.Request) -> web.Response:
        return self._missing()

    def _missing(self) -> web.Response:
        return self._page("not_found.html", status=404)
