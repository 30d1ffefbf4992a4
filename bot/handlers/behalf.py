"""/report for officers and reviewers: their own story, or a resident's — then the resident's
name, how to reach them, who they are in the story, and their consent, before the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.buttons import Button
from bot.handlers.answers import single_line
from bot.handlers.context import Context, menu_reply
from bot.handlers.notices import banned_notice
from bot.handlers.report import FLOW as REPORT_FLOW
from bot.handlers.report import begin, on_report
from bot.handlers.report_steps import NAME, Move, moved, nav_row
from bot.handlers.resident import (
    FILERS,
    HONOREE,
    RESIDENT,
    TELLER,
    behalf_refusal,
    read_contact,
    resident_preset,
)
from bot.messages import Choice, Reply

__all__ = ["FLOW", "BehalfFlow", "on_report_for"]

FLOW = "behalf"
# The questions, in order; "shown" only for a resident who told the story.
STEPS = ("for_whom", "name", "contact", "is", "shown", "consent")
_TYPED = frozenset({"name", "contact"})


@dataclass(frozen=True)
class ForWhom(Button, tag="bh.who"):
    """A resident's story, or one's own."""

    resident: bool


@dataclass(frozen=True)
class ResidentIs(Button, tag="bh.is"):
    """The resident is the honoree or the teller."""

    role: str


@dataclass(frozen=True)
class ShowResident(Button, tag="bh.show"):
    """Whether the resident's name may be published as the teller."""

    show: bool


@dataclass(frozen=True)
class ResidentAgreed(Button, tag="bh.agree"):
    """The filer's answer: the resident agreed, or not yet."""

    agreed: bool


async def on_report_for(ctx: Context) -> list[Reply]:
    """/report: staff first say whose story it is; everyone else starts their own."""
    if (ctx.person.role not in FILERS or not ctx.person.consent
            or ctx.state.flow == REPORT_FLOW):
        return await on_report(ctx)
    if await ctx.storage.roles.is_banned(ctx.person.id):
        return [Reply(banned_notice(ctx))]
    ctx.state.reset()
    ctx.state.flow, ctx.state.step, ctx.state.data = FLOW, "for_whom", {}
    return [_ask(ctx, "for_whom")]


def _resident(ctx: Context) -> dict[str, Any]:
    resident: dict[str, Any] = ctx.state.data.setdefault(RESIDENT, {})
    return resident


def _question(ctx: Context, step: str) -> tuple[str, tuple[tuple[Choice, ...], ...]]:
    """A step's words and options (without Back and Cancel)."""
    name = str(_resident(ctx).get("name", ""))
    if step == "for_whom":
        return ctx.t("officer.ask_for_whom"), (
            (Choice(ctx.t("officer.for_resident"), ForWhom(True)),),
            (Choice(ctx.t("officer.for_me"), ForWhom(False)),))
    if step == "is":
        return ctx.t("officer.ask_is", name=name), (
            (Choice(ctx.t("officer.is_honoree"), ResidentIs(HONOREE)),),
            (Choice(ctx.t("officer.is_teller"), ResidentIs(TELLER)),))
    if step == "shown":
        return ctx.t("officer.ask_shown", name=name), (
            (Choice(ctx.t("officer.shown_no"), ShowResident(False)),),
            (Choice(ctx.t("officer.shown_yes", name=name), ShowResident(True)),))
    if step == "consent":
        return ctx.t("officer.ask_consent", name=name), (
            (Choice(ctx.t("officer.agreed_yes"), ResidentAgreed(True)),),
            (Choice(ctx.t("officer.agreed_no"), ResidentAgreed(False)),))
    return ctx.t(f"officer.ask_{step}"), ()


def _ask(ctx: Context, step: str) -> Reply:
    """The question with Back and Cancel; typing a name never picks them."""
    text, rows = _question(ctx, step)
    first, typed = step == "for_whom", step in _TYPED
    if typed and not ctx.incoming.traits.buttons:
        text += ctx.t("report.typed_nav")
    return Reply(text, choices=(*rows, nav_row(ctx, back=not first, typed=not typed)))


def _previous(ctx: Context, step: str) -> str:
    index = STEPS.index(step) - 1
    if STEPS[index] == "shown" and _resident(ctx).get("is") != TELLER:
        index -= 1
    return STEPS[max(index, 0)]


class BehalfFlow:
    """The questions about the resident, before the report itself."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the current question again."""
        if ctx.state.step not in STEPS:
            ctx.state.step = "for_whom"
        return [_ask(ctx, ctx.state.step)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the answer and ask the next question, or start the report."""
        step = ctx.state.step if ctx.state.step in STEPS else "for_whom"
        if moved(ctx, Move.CANCEL):
            ctx.state.reset()
            return [menu_reply(ctx, ctx.t("report.cancelled"))]
        if moved(ctx, Move.BACK):
            ctx.state.step = _previous(ctx, step)
            return [_ask(ctx, ctx.state.step)]
        if ctx.incoming.unsupported or ctx.incoming.photos or ctx.incoming.location or (
                ctx.incoming.contact and step != "contact"):
            return [Reply(ctx.t("dialog.use_choices")), _ask(ctx, step)]
        following = await _answer(ctx, step)
        if isinstance(following, list):
            return following
        if following == REPORT_FLOW:
            return begin(ctx, resident_preset(ctx.state.data))
        ctx.state.step = following
        return [_ask(ctx, following)]


async def _answer(ctx: Context, step: str) -> str | list[Reply]:
    """The next step after this answer, or what to say instead (and stay)."""
    choice, resident = ctx.choice, _resident(ctx)
    if step == "for_whom" and isinstance(choice, ForWhom):
        if not choice.resident:
            ctx.state.reset()
            return await on_report(ctx)
        refusal = await behalf_refusal(ctx)
        if refusal is not None:
            ctx.state.reset()
            return [refusal]
        return "name"
    if step in _TYPED:
        return _typed(ctx, step, resident)
    if step == "is" and isinstance(choice, ResidentIs) and choice.role in (HONOREE, TELLER):
        resident["is"] = choice.role
        if choice.role == HONOREE:
            resident["shown"] = False
        return "shown" if choice.role == TELLER else "consent"
    if step == "shown" and isinstance(choice, ShowResident):
        resident["shown"] = choice.show
        return "consent"
    if step == "consent" and isinstance(choice, ResidentAgreed):
        if not choice.agreed:
            name = str(resident.get("name", ""))
            ctx.state.reset()
            return [menu_reply(ctx, ctx.t("officer.no_consent", name=name))]
        resident["consent_at"] = ctx.now.isoformat(timespec="seconds")
        return REPORT_FLOW
    return [Reply(ctx.t("dialog.use_choices")), _ask(ctx, step)]


def _typed(ctx: Context, step: str, resident: dict[str, Any]) -> str | list[Reply]:
    """The resident's name (like the honoree's) or how to reach them (a phone is checked)."""
    shared = ctx.incoming.contact
    text = shared.phone if shared and step == "contact" else ctx.text
    if text is None:
        return [Reply(ctx.t("report.need_text")), _ask(ctx, step)]
    if step == "name":
        name = single_line(text)
        problem = NAME.problem(name)
        if problem:
            which, limit = problem
            bound = {"min": limit} if which == "too_short" else {"max": limit}
            return [Reply(ctx.t(f"report.{which}", length=len(name), **bound)), _ask(ctx, step)]
        resident["name"] = name
        return "contact"
    contact, wrong = read_contact(text)
    if contact is None:
        return [Reply(ctx.t(wrong or "officer.contact_phone_bad")), _ask(ctx, step)]
    resident["contact"] = contact
    return "is"
