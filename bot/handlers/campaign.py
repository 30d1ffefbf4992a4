"""/phongtrao (/campaign): the campaigns on a phone screen, and a report under one content.

With one campaign open (or none, when the year-round movement takes the reports) its overview
comes first; with several open, the list of campaigns. An ended campaign says that it has
ended and when it ran; only a campaign open today offers to report under a content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.buttons import Button
from bot.content import Campaign, Safe
from bot.handlers.context import Context
from bot.handlers.report import start_report
from bot.messages import Choice, Reply, esc

__all__ = [
    "CampaignContent",
    "CampaignHome",
    "CampaignList",
    "CampaignReport",
    "CampaignSection",
    "on_campaign",
    "on_campaign_choice",
]


@dataclass(frozen=True)
class CampaignList(Button, tag="pt.list"):
    """Every campaign: open, coming, ended."""


@dataclass(frozen=True)
class CampaignHome(Button, tag="pt.home"):
    """A campaign's overview."""

    campaign: str


@dataclass(frozen=True)
class CampaignContent(Button, tag="pt.content"):
    """One emulation content of a campaign: its movements and an example."""

    campaign: str
    content: str


@dataclass(frozen=True)
class CampaignReport(Button, tag="pt.report"):
    """Tell a story under this content of an open campaign."""

    campaign: str
    content: str


@dataclass(frozen=True)
class CampaignSection(Button, tag="pt.section"):
    """A campaign's goals, awards or deadlines."""

    campaign: str
    section: str


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _state(ctx: Context, c: Campaign) -> str:
    """Whether the campaign is running, coming or over, in one line ('' for the current one)."""
    today = ctx.today.date()
    if c.end and c.end < today:
        return ctx.t("campaign_words.ended", start=_day(c.start), end=_day(c.end))
    if c.start and c.start > today:
        return ctx.t("campaign_words.not_yet", start=_day(c.start))
    return ""


def _others(ctx: Context) -> bool:
    """Whether there is more to see than the campaign taking reports today."""
    today = ctx.today.date()
    return len(ctx.campaigns.filing(today)) > 1 or any(
        not c.standing and not c.is_open(today) for c in ctx.campaigns.all)


def _overview(ctx: Context, c: Campaign, edit: bool) -> Reply:
    """Name, state, theme, period and the contents as buttons."""
    lang = ctx.person.language
    state = _state(ctx, c)
    count = len(c.contents)
    contents = ctx.t(f"campaign_words.contents_{count}" if count <= 10
                     else "campaign_words.contents_many", count=count)
    text = ctx.t("campaign_words.overview", name=c.text("name", lang),
                 state=Safe(f"\n\n{state}" if state else ""), theme=c.text("theme", lang),
                 period=c.text("period", lang), contents=contents)
    rows: list[tuple[Choice, ...]] = [
        (Choice(f"{x.number}. {x.short(lang)}", CampaignContent(c.key, x.key)),)
        for x in c.contents
    ]
    rows.append((Choice(ctx.t("campaign.goals_button"), CampaignSection(c.key, "goals")),))
    rows.append((Choice(ctx.t("campaign.awards_button"), CampaignSection(c.key, "awards")),
                 Choice(ctx.t("campaign.deadlines_button"), CampaignSection(c.key, "deadlines"))))
    if _others(ctx):
        rows.append((Choice(ctx.t("campaign_words.list_button"), CampaignList()),))
    return Reply(text, choices=tuple(rows), edit=edit)


def _listing(ctx: Context, edit: bool, lead: str = "") -> Reply:
    """Every campaign with its state (open, coming, year-round, ended), each a button."""
    lang, today = ctx.person.language, ctx.today.date()
    ended = ctx.campaigns.ended(today)
    gone = {c.key for c in ended}
    ordered = [c for c in ctx.campaigns.all if c.key not in gone and not c.standing]
    lines, rows = [], []
    for c in [*ordered, ctx.campaigns.standing, *ended]:
        short = c.short(lang)
        if c.standing:
            line = ctx.t("campaign_words.list_standing", name=short)
        elif c.is_open(today):
            line = ctx.t("campaign_words.list_open", name=short, end=_day(c.end))
        elif c.start and c.start > today:
            line = ctx.t("campaign_words.list_coming", name=short, start=_day(c.start))
        else:
            line = ctx.t("campaign_words.list_ended", name=short, start=_day(c.start),
                         end=_day(c.end))
        lines.append(line)
        rows.append((Choice(short, CampaignHome(c.key)),))
    text = ctx.t("campaign_words.list_header", lines=Safe("\n".join(lines)))
    return Reply(f"{lead}\n\n{text}" if lead else text, choices=tuple(rows), edit=edit)


async def on_campaign(ctx: Context) -> list[Reply]:
    """/phongtrao [year | key]: the campaign taking reports, or the list when several are."""
    if ctx.incoming.args:
        word = " ".join(ctx.incoming.args)[:40]
        found = ctx.campaigns.find(word)
        if len(found) == 1:
            return [_overview(ctx, found[0], edit=False)]
        lead = "" if found else ctx.t("campaign_words.no_such", word=word)
        return [_listing(ctx, False, lead)]
    filing = ctx.campaigns.filing(ctx.today.date())
    if len(filing) > 1:
        return [_listing(ctx, edit=False)]
    return [_overview(ctx, filing[0], edit=False)]


def _lines(ctx: Context, items: list[str]) -> str:
    return "\n".join(ctx.t("campaign.line", text=i) for i in items)


def _section(ctx: Context, c: Campaign, section: str) -> Reply | None:
    lang = ctx.person.language
    if section == "goals":
        text = ctx.t("campaign.goals", lines=Safe(_lines(ctx, [g.label(lang) for g in c.goals])),
                     participants=c.text("participants", lang))
    elif section == "awards":
        lines = "\n".join(ctx.t("campaign.award_line", name=a.label(lang), about=a.about(lang))
                          for a in c.awards)
        text = ctx.t("campaign.awards", lines=Safe(lines), rule=c.text("award_rule", lang))
    elif section == "deadlines":
        items = [ctx.t("campaign_words.deadline_line", name=d.name(lang), date=_day(d.date))
                 for d in c.deadlines] or [ctx.t("campaign_words.no_deadlines")]
        text = ctx.t("campaign.deadlines", lines=Safe("\n".join(items)))
    else:
        return None
    back = (Choice(ctx.t("campaign.back"), CampaignHome(c.key)),)
    return Reply(text, choices=(back,), edit=True)


async def on_campaign_choice(ctx: Context) -> list[Reply]:
    """A campaign; a content's movements and example; goals; awards; deadlines; a report."""
    choice = ctx.choice
    if isinstance(choice, CampaignList):
        return [_listing(ctx, edit=True)]
    key = choice.campaign if isinstance(
        choice, CampaignHome | CampaignContent | CampaignReport | CampaignSection) else ""
    c = ctx.campaigns.get(key)
    if c is None:
        return [Reply(ctx.t("dialog.stale_button"))]
    if isinstance(choice, CampaignHome):
        return [_overview(ctx, c, edit=True)]
    if isinstance(choice, CampaignSection):
        shown = _section(ctx, c, choice.section)
        return [shown] if shown else [Reply(ctx.t("dialog.stale_button"))]
    assert isinstance(choice, CampaignContent | CampaignReport)
    content = c.content(choice.content)
    if content is None:
        return [Reply(ctx.t("dialog.stale_button"))]
    taking = c.key in {x.key for x in ctx.campaigns.filing(ctx.today.date())}
    if isinstance(choice, CampaignReport):
        if not taking:
            return [Reply(ctx.t("campaign_words.closed", name=c.short(ctx.person.language)))]
        return await start_report(ctx, c.key, content.key)
    lang = ctx.person.language
    movements = ""
    if content.movements:
        lines = "\n".join(f"• {esc(m.label(lang))}" for m in content.movements)
        movements = ctx.t("campaign.movements", lines=Safe(lines))
    text = ctx.t("campaign.content", number=content.number, name=content.label(lang),
                 movements=Safe(movements), example=content.example(lang))
    rows: list[tuple[Choice, ...]] = []
    if taking:
        rows.append((Choice(ctx.t("campaign.report_here"), CampaignReport(c.key, content.key)),))
    rows.append((Choice(ctx.t("campaign.back"), CampaignHome(c.key)),))
    return [Reply(text, choices=tuple(rows), edit=True)]
