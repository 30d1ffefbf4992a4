"""What the gallery's templates are given: the reader's filters read from the address, labels
for every value, and the addresses of pages and photos."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from multidict import MultiMapping

from bot.cards import story_page
from bot.content import Campaigns, Catalogue, localities
from bot.imaging import THUMB, WEB
from bot.storage import PublicStory, StoryFilter

__all__ = ["PAGE", "Labels", "Listing", "Urls", "atom_time", "excerpt", "parse_listing"]

PAGE = 20
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class Listing:
    """What the reader asked for: words, filters, and the page."""

    words: str = ""
    commune: int | None = None
    kind: str | None = None
    content: str | None = None
    campaign: str | None = None
    month: str | None = None
    page: int = 1

    @property
    def filter(self) -> StoryFilter:
        """The filters as storage reads them (published stories only)."""
        return StoryFilter(("published",), None, self.commune, self.kind, self.content,
                           self.campaign, self.month)

    @property
    def narrowed(self) -> bool:
        """Whether any word or filter is set."""
        return bool(self.words) or self.filter != StoryFilter(("published",))

    def query(self, page: int | None = None) -> str:
        """The address's query string for these filters (and another page)."""
        pairs = [("q", self.words), ("xa", self.commune), ("loai", self.kind),
                 ("noi_dung", self.content), ("phong_trao", self.campaign),
                 ("thang", self.month)]
        wanted = [(k, str(v)) for k, v in pairs if v not in (None, "")]
        number = self.page if page is None else page
        if number > 1:
            wanted.append(("trang", str(number)))
        return f"?{urlencode(wanted)}" if wanted else ""


def parse_listing(params: MultiMapping[str], province: int, campaigns: Campaigns) -> Listing:
    """The filters from the address; a value that is not one the gallery knows (a commune of
    the province, a kind, content or campaign key of the campaign registry) is ignored."""
    words = " ".join(params.get("q", "").split())[:200]
    commune_raw = params.get("xa", "")
    commune = int(commune_raw) if commune_raw.isdecimal() and len(commune_raw) < 9 else None
    if commune is not None and localities(province).get(commune) is None:
        commune = None
    kind = params.get("loai") or None
    if kind is not None and campaigns.kind("", kind) is None:
        kind = None
    content = params.get("noi_dung") or None
    if content is not None and not any(c.content(content) for c in campaigns.all):
        content = None
    chosen = params.get("phong_trao") or None
    if chosen is not None and campaigns.get(chosen) is None:
        chosen = None
    month = params.get("thang") or None
    if month is not None and not _MONTH.match(month):
        month = None
    page_raw = params.get("trang", "1")
    page = int(page_raw) if page_raw.isdecimal() and len(page_raw) < 6 else 1
    return Listing(words, commune, kind, content, chosen, month, max(page, 1))


class Labels:
    """Words for the values a story holds, in one language; kinds, contents and campaigns are
    keys read in the campaign registry."""

    def __init__(self, texts: Catalogue, province: int, campaigns: Campaigns) -> None:
        self.language = texts.language
        self.province = province
        self._texts = texts
        self._campaigns = campaigns

    def commune(self, code: int) -> str:
        """'Phường Long Xuyên'."""
        unit = localities(self.province).get(code)
        return unit.name if unit else str(code)

    def kind(self, value: str, campaign: str = "") -> str:
        """'Gương người tốt, việc tốt', as the story's campaign (or any campaign) names it."""
        found = self._campaigns.kind(campaign, value)
        return found.label(self.language) if found else value

    def content(self, key: str | None, campaign: str | None = None) -> str:
        """The emulation content's name in the story's campaign (without one: in the first
        campaign that has the key); 'not chosen yet' for a story filed without one."""
        if key is None:
            return str(self._texts.t("campaign_words.content_unknown"))
        found = self._campaigns.content(campaign, key) if campaign else None
        found = found or next((f for c in self._campaigns.all if (f := c.content(key))), None)
        return found.label(self.language) if found else key

    def campaign(self, key: str) -> str:
        """The campaign's name, or its key when no campaign file defines it any more."""
        found = self._campaigns.get(key)
        return found.text("name", self.language) if found else key

    @staticmethod
    def day(value: str) -> str:
        """dd/mm/yyyy from an ISO date."""
        return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")


class Urls:
    """Addresses inside the gallery: paths for links, absolute ones for feeds and shares."""

    def __init__(self, gallery_url: str) -> None:
        self.absolute = gallery_url.rstrip("/")
        path = self.absolute.split("://", 1)[1]
        self.base = path[path.index("/"):] if "/" in path else ""

    def home(self, listing: Listing | None = None, page: int | None = None) -> str:
        """The list, with filters."""
        return f"{self.base}/" + (listing.query(page) if listing else "")

    def story(self, story_id: int, absolute: bool = False) -> str:
        """A story's page."""
        return story_page(self.absolute if absolute else self.base, story_id)

    def photo(self, story_id: int, position: int, name: str = WEB,
              absolute: bool = False) -> str:
        """One size of a story's photo ('web.jpg' or 'thumb.webp')."""
        return f"{self.story(story_id, absolute)}/anh/{position + 1}/{name}"

    def thumb(self, story: PublicStory) -> str | None:
        """The first photo's thumbnail, if the story has an archived photo."""
        return self.photo(story.id, story.photos[0].position, THUMB) if story.photos else None


def excerpt(text: str, limit: int = 160) -> str:
    """The first words of a description, cut on a word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


def atom_time(stamp: str) -> str:
    """An ISO instant as Atom wants it (RFC 3339)."""
    return datetime.fromisoformat(stamp).isoformat(timespec="seconds") if stamp else ""
