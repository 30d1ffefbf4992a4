"""/phongtrao (/campaign): the campaign on a phone screen, and a report under one content."""

from __future__ import annotations

from bot.content import Safe
from bot.handlers.context import Context
from bot.handlers.report import on_report
from bot.messages import Choice, Reply, esc

__all__ = ["on_campaign", "on_campaign_choice"]


def _back(ctx: Context) -> tuple[Choice, ...]:
    return (Choice(ctx.t("campaign.back"), "pt:home"),)


def _lines(ctx: Context, items: list[str]) -> str:
    return "\n".join(ctx.t("campaign.line", text=i) for i in items)


async def on_campaign(ctx: Context, edit: bool = False) -> list[Reply]:
    """Name, theme, period and the five contents as buttons."""
    c, lang = ctx.campaigns.filing(ctx.today.date())[0], ctx.person.language
    text = ctx.t("campaign.overview", name=c.text("name", lang), theme=c.text("theme", lang),
                 period=c.text("period", lang))
    rows: list[tuple[Choice, ...]] = [
        (Choice(f"{x.number}. {x.short(lang)}", f"pt:content:{x.key}"),) for x in c.contents
    ]
    rows.append((Choice(ctx.t("campaign.goals_button"), "pt:goals"),))
    rows.append((Choice(ctx.t("campaign.awards_button"), "pt:awards"),
                 Choice(ctx.t("campaign.deadlines_button"), "pt:deadlines")))
    return [Reply(text, choices=tuple(rows), edit=edit)]


async def on_campaign_choice(ctx: Context) -> list[Reply]:
    """A content's movements and example; goals; awards; deadlines; report under a content."""
    c, lang = ctx.campaigns.filing(ctx.today.date())[0], ctx.person.language
    parts = (ctx.choice or "").split(":")
    if parts[1:] == ["home"]:
        return await on_campaign(ctx, edit=True)
    if len(parts) == 3 and parts[1] in ("content", "report"):
        content = c.content(parts[2])
        if content is None:
            return [Reply(ctx.t("dialog.stale_button"))]
        if parts[1] == "report":
            ctx.state.reset()
            replies = await on_report(ctx)
            if ctx.state.flow == "report":
                ctx.state.data["content"] = content.key
                ctx.state.data["preset_content"] = True
            return replies
        movements = ""
        if content.movements:
            lines = "\n".join(f"• {esc(m.label(lang))}" for m in content.movements)
            movements = ctx.t("campaign.movements", lines=Safe(lines))
        text = ctx.t("campaign.content", number=content.number, name=content.label(lang),
                     movements=Safe(movements), example=content.example(lang))
        rows = ((Choice(ctx.t("campaign.report_here"), f"pt:report:{content.key}"),),
                _back(ctx))
        return [Reply(text, choices=rows, edit=True)]
    if parts[1:] == ["goals"]:
        text = ctx.t("campaign.goals", lines=Safe(_lines(ctx, [g.label(lang) for g in c.goals])),
                     participants=c.text("participants", lang))
    elif parts[1:] == ["awards"]:
        lines = "\n".join(ctx.t("campaign.award_line", name=a.label(lang), about=a.about(lang))
                          for a in c.awards)
        text = ctx.t("campaign.awards", lines=Safe(lines), rule=c.text("award_rule", lang))
    elif parts[1:] == ["deadlines"]:
        items = [ctx.t("campaign_words.deadline_line", name=d.name(lang),
                       date=d.date.strftime("%d/%m/%Y")) for d in c.deadlines]
        text = ctx.t("campaign.deadlines", lines=Safe("\n".join(items)))
    else:
        return [Reply(ctx.t("dialog.stale_button"))]
    return [Reply(text, choices=(_back(ctx),), edit=True)]
