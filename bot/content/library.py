"""The shipped campaign and calendar files together with the operator's own (CONTENT_DIR).

`check_content` names every problem in every file, one line each (`python -m bot content
check`); `load_library` refuses the first problem with that same line (the start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.content.calendar import DEFAULT_FILE, Calendar, calendar_problems
from bot.content.campaign import Campaign, campaign_problems
from bot.content.registry import Campaigns

__all__ = ["SHIPPED_CAMPAIGNS", "ContentError", "Library", "check_content", "load_library"]

SHIPPED_CAMPAIGNS = Path(__file__).with_name("campaigns")


class ContentError(Exception):
    """A content file (or the CAMPAIGN setting) is wrong; the message is one line."""


@dataclass(frozen=True, slots=True)
class Library:
    """What start-up loaded: the campaign registry and the whole calendar."""

    campaigns: Campaigns
    calendar: Calendar
    files: int


def _files(folder: Path, shipped: bool) -> list[tuple[Path, str]]:
    """The TOML files of a folder, each with the name an operator is shown."""
    if not folder.is_dir():
        return []
    return [(p, p.name if shipped else str(p)) for p in sorted(folder.glob("*.toml"))]


def _gather(content_dir: Path | None, preferred: str,
            shipped: Path) -> tuple[Library | None, list[str]]:
    problems: list[str] = []
    campaigns: list[Campaign] = []
    sources: dict[str, str] = {}
    campaign_files = _files(shipped, shipped=True)
    calendar_files = [(DEFAULT_FILE, DEFAULT_FILE.name)]
    if content_dir is not None:
        if content_dir.exists() and not content_dir.is_dir():
            problems.append(f"CONTENT_DIR {content_dir} is not a folder")
        campaign_files += _files(content_dir / "campaigns", shipped=False)
        calendar_files += _files(content_dir / "calendar", shipped=False)
    for path, shown in campaign_files:
        loaded, found = campaign_problems(path, shown)
        problems += found
        if loaded is None:
            continue
        if loaded.key in sources:
            problems.append(f"Campaign file {shown}: key: {loaded.key!r} is already the key of"
                            f" {sources[loaded.key]}")
            continue
        if loaded.standing and any(c.standing for c in campaigns):
            problems.append(f"Campaign file {shown}: standing: only the shipped standing"
                            " campaign may be standing")
            continue
        sources[loaded.key] = shown
        campaigns.append(loaded)
    calendars: list[Calendar] = []
    seen: dict[str, str] = {}
    for path, shown in calendar_files:
        cal, found = calendar_problems(path, shown)
        problems += found
        if cal is None:
            continue
        again = [i for i in cal.ids() if i in seen]
        if again:
            problems.append(f"Calendar {shown}: id {again[0]!r} is already used in"
                            f" {seen[again[0]]}")
            continue
        seen.update(dict.fromkeys(cal.ids(), shown))
        calendars.append(cal)
    if preferred and preferred not in sources:
        problems.append(f"Invalid setting CAMPAIGN: no campaign has the key {preferred!r}"
                        f" (known: {', '.join(sorted(sources))})")
    if problems:
        return None, problems
    deadlines = Calendar(deadlines=[
        d.model_copy(update={"id": f"{c.key}:{d.id}"}) for c in campaigns for d in c.deadlines])
    whole = calendars[0].joined([*calendars[1:], deadlines])
    registry = Campaigns(campaigns, preferred, sources)
    return Library(registry, whole, len(campaign_files) + len(calendar_files)), []


def check_content(content_dir: Path | None, preferred: str = "",
                  shipped: Path = SHIPPED_CAMPAIGNS) -> list[str]:
    """Every problem in every campaign and calendar file, shipped and the operator's."""
    return _gather(content_dir, preferred, shipped)[1]


def load_library(content_dir: Path | None, preferred: str = "",
                 shipped: Path = SHIPPED_CAMPAIGNS) -> Library:
    """Load everything, or raise ContentError with the first problem's line.

    `shipped` is the folder of the campaign files that come with the bot (a test may stand in
    a copy of it, as an upgrade would bring new texts)."""
    library, problems = _gather(content_dir, preferred, shipped)
    if library is None:
        raise ContentError(problems[0])
    return library
