"""Nominations: a reviewer proposes an approved story for an award; /nominations lists them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import Campaign, localities
from bot.handlers.answers import single_line
from bot.handlers.context import Context
from bot.handlers.listing import parse_campaign
from bot.handlers.review import NOTE, NominateStart, is_reviewer, say_outcome
from bot.messages import Choice, Reply
from bot.workflow import Role

__all__ = ["FLOW", "NominationFlow", "on_nominate_choice", "on_nominations"]

FLOW = "nominate"


def _under(ctx: Context) -> Campaign:
    """The campaign of the story being nominated: its award forms are offered."""
    return ctx.campaigns.get(str(ctx.state.data.get("campaign", ""))) or ctx.campaigns.standing


@dataclass(frozen=True)
class PickAward(Button, tag="nm.award"):
    """The form of award proposed."""

    award: str


@dataclass(frozen=True)
class NominateCancel(Button, tag="nm.cancel"):
    """Leave the nomination."""


async def on_nominate_choice(ctx: Context) -> list[Reply]:
    """Start a nomination from a story's card."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    if not isinstance(ctx.choice, NominateStart):
        return [Reply(ctx.t("dialog.stale_button"))]
    story = await ctx.storage.stories.get(ctx.choice.story_id)
    ctx.state.flow, ctx.state.step = FLOW, "award"
    ctx.state.data = {"id": ctx.choice.story_id, "campaign": story.campaign if story else ""}
    return await NominationFlow().reask(ctx)


class NominationFlow:
    """award → reason → saved (the reporter is told through the outbox)."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask for the form, or the reason."""
        story_id, lang = ctx.state.data.get("id", 0), ctx.person.language
        cancel = (Choice(ctx.t("nav.cancel"), NominateCancel()),)
        if ctx.state.step == "reason":
            award = _under(ctx).award(str(ctx.state.data.get("award")))
            name = award.label(lang) if award else ""
            return [Reply(ctx.t("nominate.ask_reason", id=story_id, award=name), choices=(cancel,))]
        rows = tuple((Choice(a.label(lang), PickAward(a.id)),) for a in _under(ctx).awards)
        text: str = ctx.t("nominate.ask_award", id=story_id)
        rule = _under(ctx).text("award_rule", lang)
        if rule:
            text += "\n\n" + ctx.t("nominate.rule", rule=rule)
        return [Reply(text, choices=(*rows, cancel))]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the form, then the reason."""
        state, choice = ctx.state, ctx.choice
        if isinstance(choice, NominateCancel) or not is_reviewer(ctx):
            state.reset()
            return [Reply(ctx.t("cancel.done"))]
        if state.step == "award":
            award = _under(ctx).award(choice.award) if isinstance(choice, PickAward) else None
            if award is None:
                return [Reply(ctx.t("dialog.use_choices")), *await self.reask(ctx)]
            state.data["award"], state.step = award.id, "reason"
            return await self.reask(ctx)
        reason = single_line(ctx.text or "")
        if NOTE.problem(reason):
            return [Reply(ctx.t("review.note_bad", min=NOTE.low, max=NOTE.high)),
                    *await self.reask(ctx)]
        story_id, award_id = int(state.data["id"]), str(state.data["award"])
        award = _under(ctx).award(award_id)
        outcome = await ctx.storage.reports.nominate(story_id, award_id, reason, ctx.person.id)
        state.reset()
        if not outcome.ok:
            return [Reply(say_outcome(ctx, outcome))]
        name = award.label(ctx.person.language) if award else award_id
        return [Reply(ctx.t("nominate.done", id=story_id, award=name))]


async def on_nominations(ctx: Context) -> list[Reply]:
    """/nominations [campaign]: by award form, then commune."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    campaign, _, problem = parse_campaign(ctx, list(ctx.incoming.args))
    if problem is not None:
        return [Reply(problem)]
    scope = None
    if ctx.person.role != Role.ADMIN:
        communes = await ctx.storage.roles.scopes(ctx.person.id)
        scope = None if 0 in communes else communes
    items = await ctx.storage.reports.nominations(scope, campaign=campaign)
    if not items:
        return [Reply(ctx.t("nominate.list_empty"))]
    lang, units = ctx.person.language, localities(ctx.settings.province_code)
    lines: list[str] = [ctx.t("nominate.list_header", count=len(items))]
    current = None
    for n in items:
        if n.award != current:
            current = n.award
            award = ctx.campaigns.award(n.campaign, n.award)
            lines.append("\n" + ctx.t("nominate.list_award",
                                      award=award.label(lang) if award else n.award))
        unit = units.get(n.commune)
        lines.append(ctx.t("nominate.list_line", id=n.story_id, title=n.title,
                           commune=unit.name if unit else n.commune, reason=n.reason))
    return [Reply("\n".join(lines))]
