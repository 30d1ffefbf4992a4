"""/phongtrao (/campaign): the campaign on a phone screen, and a report under one content."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import Safe, campaign
from bot.handlers.context import Context
from bot.handlers.report import on_report
from bot.messages import Choice, Reply, esc

__all__ = [
    "CampaignContent",
    "CampaignHome",
    "CampaignReport",
    "CampaignSection",
    "on_campaign",
    "on_campaign_choice",
]


@dataclass(frozen=True)
class CampaignHome(Button, tag="pt.home"):
    """Back to the campaign's overview."""


@dataclass(frozen=True)
class CampaignContent(Button, tag="pt.content"):
    """One emulation content: its movements and an example."""

    number: int


@dataclass(frozen=True)
class CampaignReport(Button, tag="pt.report"):
    """Tell a story under this content."""

    number: int


@dataclass(frozen=True)
class CampaignSection(Button, tag="pt.section"):
    """Goals, awards or deadlines."""

    section: str


def _back(ctx: Context) -> tuple[Choice, ...]:
    return (Choice(ctx.t("campaign.back"), CampaignHome()),)


def _lines(ctx: Context, items: list[str]) -> str:
    return "\n".join(ctx.t("campaign.line", text=i) for i in items)


async def on_campaign(ctx: Context, edit: bool = False) -> list[Reply]:
    """Name, theme, period and the five contents as buttons."""
    c, lang = campaign(), ctx.person.language
    text = ctx.t("campaign.overview", name=c.text("name", lang), theme=c.text("theme", lang),
                 period=c.text("period", lang))
    rows: list[tuple[Choice, ...]] = [
        (Choice(f"{x.number}. {x.short(lang)}", CampaignContent(x.number)),) for x in c.contents
    ]
    rows.append((Choice(ctx.t("campaign.goals_button"), CampaignSection("goals")),))
    rows.append((Choice(ctx.t("campaign.awards_button"), CampaignSection("awards")),
                 Choice(ctx.t("campaign.deadlines_button"), CampaignSection("deadlines"))))
    return [Reply(text, choices=tuple(rows), edit=edit)]


async def on_campaign_choice(ctx: Context) -> list[Reply]:
    """A content's movements and example; goals; awards; deadlines; report under a content."""
    c, lang = campaign(), ctx.person.language
    choice = ctx.choice
    if isinstance(choice, CampaignHome):
        return await on_campaign(ctx, edit=True)
    if isinstance(choice, CampaignContent | CampaignReport):
        content = c.content(choice.number)
        if content is None:
            return [Reply(ctx.t("dialog.stale_button"))]
        if isinstance(choice, CampaignReport):
            ctx.state.reset()
            replies = await on_report(ctx)
            if ctx.state.flow == "report":
                ctx.state.data["content"] = content.number
                ctx.state.data["preset_content"] = True
            return replies
        movements = ""
        if content.movements:
            lines = "\n".join(f"• {esc(m.label(lang))}" for m in content.movements)
            movements = ctx.t("campaign.movements", lines=Safe(lines))
        text = ctx.t("campaign.content", number=content.number, name=content.label(lang),
                     movements=Safe(movements), example=content.example(lang))
        rows = ((Choice(ctx.t("campaign.report_here"), CampaignReport(content.number)),),
                _back(ctx))
        return [Reply(text, choices=rows, edit=True)]
    section = choice.section if isinstance(choice, CampaignSection) else ""
    if section == "goals":
        text = ctx.t("campaign.goals", lines=Safe(_lines(ctx, [g.label(lang) for g in c.goals])),
                     participants=c.text("participants", lang))
    elif section == "awards":
        lines = "\n".join(ctx.t("campaign.award_line", name=a.label(lang), about=a.about(lang))
                          for a in c.awards)
        text = ctx.t("campaign.awards", lines=Safe(lines), rule=c.text("award_rule", lang))
    elif section == "deadlines":
        items = c.deadlines_en if lang == "en" else c.deadlines_vi
        text = ctx.t("campaign.deadlines", lines=Safe(_lines(ctx, items)))
    else:
        return [Reply(ctx.t("dialog.stale_button"))]
    return [Reply(text, choices=(_back(ctx),), edit=True)]
