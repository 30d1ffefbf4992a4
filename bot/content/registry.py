"""Every campaign loaded at start: which are open on a day, and the words for a story's keys.

A story's labels are looked up by (campaign key, content key), so they read the same whatever
other campaign files arrive later and however a file's texts are reworded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.content.campaign import Award, Campaign, Content, Kind, Movement

__all__ = ["Campaigns", "KeyUse"]

# (campaign key, content key or None, movement key or None, how many stories use them)
KeyUse = tuple[str, str | None, str | None, int]


class Campaigns:
    """The registry: the standing campaign and every campaign with a period, by key."""

    def __init__(self, campaigns: Sequence[Campaign], preferred: str = "",
                 sources: dict[str, str] | None = None) -> None:
        standing = [c for c in campaigns if c.standing]
        if len(standing) != 1:
            raise ValueError(f"exactly one standing campaign is needed, found {len(standing)}")
        self.standing = standing[0]
        self.preferred = preferred
        self._by_key = {c.key: c for c in campaigns}
        self._sources = sources or {}
        self.all = tuple(sorted(campaigns, key=self._order))

    def _order(self, c: Campaign) -> tuple[bool, bool, date, str]:
        """The preferred campaign first, then by start date; the standing one last."""
        return (c.standing, c.key != self.preferred, c.start or date.min, c.key)

    def get(self, key: str) -> Campaign | None:
        """The campaign with this key."""
        return self._by_key.get(key)

    def source(self, key: str) -> str:
        """The file a campaign was loaded from, as shown to an operator."""
        return self._sources.get(key, f"{key}.toml")

    def open_on(self, day: date) -> list[Campaign]:
        """Campaigns with a period covering `day` (the preferred one first)."""
        return [c for c in self.all if not c.standing and c.is_open(day)]

    def filing(self, day: date) -> list[Campaign]:
        """What a report filed on `day` may go under: the open ones, or else the standing one."""
        return self.open_on(day) or [self.standing]

    def ended(self, day: date) -> list[Campaign]:
        """Campaigns whose period is over, the latest first."""
        gone = [c for c in self.all if c.end is not None and c.end < day]
        return sorted(gone, key=lambda c: c.end or date.min, reverse=True)

    def find(self, word: str) -> list[Campaign]:
        """The campaigns a word names: a key, or a year their period touches ('2025')."""
        word = word.strip().lower()
        if word in self._by_key:
            return [self._by_key[word]]
        if word.isdecimal() and len(word) == 4:
            year = int(word)
            return [c for c in self.all if c.start and c.end and c.start.year <= year <= c.end.year]
        return []

    def kind(self, campaign: str, value: str) -> Kind | None:
        """A kind as its campaign names it (or as any campaign does, for an unknown campaign)."""
        found = self._by_key.get(campaign)
        kind = found.kind(value) if found else None
        return kind or next((k for c in self.all if (k := c.kind(value))), None)

    def kinds(self) -> list[Kind]:
        """Every kind of story any campaign knows, each once."""
        seen: dict[str, Kind] = {}
        for c in (self.standing, *self.all):
            for kind in c.kinds:
                seen.setdefault(kind.value, kind)
        return list(seen.values())

    def content(self, campaign: str, key: str | None) -> Content | None:
        """A content of a campaign, by key."""
        found = self._by_key.get(campaign)
        return found.content(key) if found else None

    def movement(self, campaign: str, content: str | None, key: str | None) -> Movement | None:
        """A movement under a content of a campaign, by key."""
        found = self.content(campaign, content)
        return found.movement(key) if found else None

    def award(self, campaign: str, award_id: str) -> Award | None:
        """An award form of a campaign (or of any campaign, for an unknown one)."""
        found = self._by_key.get(campaign)
        award = found.award(award_id) if found else None
        return award or next((a for c in self.all if (a := c.award(award_id))), None)

    def unknown(self, uses: Iterable[KeyUse]) -> list[str]:
        """One line per key that stories use and no loaded campaign file defines any more."""
        lines = []
        for campaign, content, movement, count in uses:
            found = self._by_key.get(campaign)
            if found is None:
                lines.append(f"Campaign {campaign!r} is used by {count} stories but no campaign"
                             " file defines it (was its file removed?)")
            elif content is not None and found.content(content) is None:
                lines.append(f"Campaign file {self.source(campaign)}: contents: key {content!r}"
                             f" is used by {count} stories but is no longer defined")
            elif movement is not None and self.movement(campaign, content, movement) is None:
                lines.append(f"Campaign file {self.source(campaign)}: contents.{content}.movements:"
                             f" key {movement!r} is used by {count} stories but is no longer"
                             " defined")
        return lines
