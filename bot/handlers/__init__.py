"""Journeys: pure async functions from a Context to Replies. No channel is imported here."""

from __future__ import annotations

from bot.buttons import Button, Unsubscribe
from bot.handlers.admin import on_ban, on_grant, on_reviewers, on_revoke, on_unban
from bot.handlers.audit import AuditPage, on_audit, on_audit_choice
from bot.handlers.behalf import FLOW as BEHALF_FLOW
from bot.handlers.behalf import BehalfFlow, on_report_for
from bot.handlers.broadcasts import FLOW as BROADCAST_FLOW
from bot.handlers.broadcasts import (
    BroadcastFlow,
    on_broadcast,
    on_broadcasts,
    on_cancelbroadcast,
)
from bot.handlers.campaign import (
    CampaignContent,
    CampaignHome,
    CampaignList,
    CampaignReport,
    CampaignSection,
    on_campaign,
    on_campaign_choice,
)
from bot.handlers.card_extras import DupCompare, DupMark, DupPhotos
from bot.handlers.context import Context, Flow, Handler, Menu, menu_reply
from bot.handlers.correct import FLOW as CORRECT_FLOW
from bot.handlers.correct import CorrectFlow, start_correction
from bot.handlers.duplicates import on_duplicate_choice
from bot.handlers.importing import FLOW as IMPORT_FLOW
from bot.handlers.importing import ImportFlow, on_document, on_import
from bot.handlers.listing import SearchPage
from bot.handlers.mystories import (
    MineAct,
    MineAmend,
    MineOpen,
    MinePage,
    on_mine_choice,
    on_mystories,
    on_mystories_page,
)
from bot.handlers.nominations import FLOW as NOMINATE_FLOW
from bot.handlers.nominations import NominationFlow, on_nominate_choice, on_nominations
from bot.handlers.optout import GeneralOn
from bot.handlers.report import FLOW as REPORT_FLOW
from bot.handlers.report import ReportFlow
from bot.handlers.report_steps import ORDER as REPORT_STEPS
from bot.handlers.report_steps import Move, ReportMove
from bot.handlers.residents import ResidentErase, on_eraseresident, on_resident_erase_choice
from bot.handlers.review import FLOW as REVIEW_FLOW
from bot.handlers.review import (
    NominateStart,
    Question,
    ReviewAsk,
    ReviewDo,
    ReviewFlow,
    ReviewNext,
    ReviewOpen,
    ReviewPage,
    is_reviewer,
    on_pending,
    on_review_choice,
)
from bot.handlers.review_commands import (
    on_approve,
    on_changes,
    on_history,
    on_publish,
    on_reject,
    on_story,
)
from bot.handlers.search import on_search, on_search_choice
from bot.handlers.start import (
    AFTER_CONSENT,
    CONSENT_FLOW,
    Consent,
    ConsentFlow,
    Erase,
    Language,
    on_cancel,
    on_consent_choice,
    on_deleteme,
    on_deleteme_choice,
    on_help,
    on_language,
    on_language_choice,
    on_privacy,
    on_start,
    on_unknown,
)
from bot.handlers.stats import on_export, on_stats
from bot.handlers.stories import StoriesOpen, StoriesPage, on_stories, on_stories_choice
from bot.handlers.subscriptions import (
    StopTopic,
    SubscribeAdd,
    SubscribeBoth,
    SubscribeDone,
    SubscribeLater,
    SubscribeToggle,
    on_subscribe,
    on_subscription_choice,
    on_unsubscribe,
)
from bot.handlers.undo import FLOW as UNDO_FLOW
from bot.handlers.undo import UndoFlow, on_revert, on_undo_choice, on_unpublish
from bot.handlers.undo_card import UndoAsk
from bot.messages import Reply

__all__ = [
    "CHOICES",
    "COMMANDS",
    "FLOWS",
    "REPORT_STEPS",
    "Context",
    "Flow",
    "Handler",
    "menu_reply",
    "on_document",
    "on_unknown",
    "on_voice_elsewhere",
    "takes_voice",
]

async def _move_in_report(ctx: Context, move: Move, otherwise: str) -> list[Reply]:
    """/back, /skip and /cancel while answering the report's questions (telling a story, the
    questions about the resident it is told for, or a reviewer correcting one) act like the
    buttons of the step."""
    if ctx.state.flow not in (REPORT_FLOW, CORRECT_FLOW, BEHALF_FLOW):
        return [Reply(ctx.t(otherwise))]
    ctx.choice = ReportMove(move)
    return await FLOWS[ctx.state.flow].handle(ctx)


async def on_back(ctx: Context) -> list[Reply]:
    """/back: the previous step of the story being told."""
    return await _move_in_report(ctx, Move.BACK, "report.no_back")


async def on_skip(ctx: Context) -> list[Reply]:
    """/skip: pass an optional step."""
    return await _move_in_report(ctx, Move.SKIP, "report.no_skip")


async def _cancel(ctx: Context) -> list[Reply]:
    """/cancel: leave what is open; a story past its first steps asks to be sure first."""
    if ctx.state.flow in (REPORT_FLOW, CORRECT_FLOW, BEHALF_FLOW):
        return await _move_in_report(ctx, Move.CANCEL, "cancel.nothing")
    return await on_cancel(ctx)


COMMANDS: dict[str, Handler] = {
    "start": on_start,
    "help": on_help,
    "privacy": on_privacy,
    "language": on_language,
    "cancel": _cancel,
    "back": on_back,
    "skip": on_skip,
    "deleteme": on_deleteme,
    "report": on_report_for,
    "mystories": on_mystories,
    "stories": on_stories,
    "story": on_story,
    "pending": on_pending,
    "approve": on_approve,
    "reject": on_reject,
    "changes": on_changes,
    "history": on_history,
    "publish": on_publish,
    "grant": on_grant,
    "revoke": on_revoke,
    "reviewers": on_reviewers,
    "ban": on_ban,
    "unban": on_unban,
    "subscribe": on_subscribe,
    "unsubscribe": on_unsubscribe,
    "broadcast": on_broadcast,
    "broadcasts": on_broadcasts,
    "cancelbroadcast": on_cancelbroadcast,
    "phongtrao": on_campaign,
    "campaign": on_campaign,
    "nominations": on_nominations,
    "stats": on_stats,
    "export": on_export,
    "revert": on_revert,
    "unpublish": on_unpublish,
    "audit": on_audit,
    "search": on_search,
    "import": on_import,
    "eraseresident": on_eraseresident,
}


def takes_voice(ctx: Context) -> bool:
    """Whether a voice note answers the open question: only the report's telling does."""
    return ctx.state.flow == REPORT_FLOW and ctx.state.step == "description"


async def on_voice_elsewhere(ctx: Context) -> list[Reply]:
    """A voice note anywhere else: where it is welcome, then the question again (or the menu)."""
    if ctx.person.consent is None:
        return await on_unknown(ctx)
    lead = ctx.t("voice.not_here")
    if ctx.state.flow in FLOWS:
        return [Reply(lead), *await FLOWS[ctx.state.flow].reask(ctx)]
    return [menu_reply(ctx, lead)]


async def _review_ask(ctx: Context) -> list[Reply]:
    """A card's action that asks first: a note, a reason, or which field to correct."""
    choice = ctx.choice
    if isinstance(choice, ReviewAsk) and choice.question == Question.CORRECT and is_reviewer(ctx):
        return await start_correction(ctx, choice.story_id, choice.version)
    return await on_review_choice(ctx)


async def _menu_choice(ctx: Context) -> list[Reply]:
    """A main-menu option runs the command of that name."""
    name = ctx.choice.command if isinstance(ctx.choice, Menu) else ""
    handler = COMMANDS.get(name, on_unknown)
    return await handler(ctx)


# Options that mean the same whatever journey is open, by the type of their record. Records
# not listed here belong to the open journey and go to its flow.
CHOICES: dict[type[Button], Handler] = {
    Menu: _menu_choice,
    Consent: on_consent_choice,
    Language: on_language_choice,
    Erase: on_deleteme_choice,
    ResidentErase: on_resident_erase_choice,
    MinePage: on_mystories_page,
    **dict.fromkeys((MineOpen, MineAct, MineAmend), on_mine_choice),
    **dict.fromkeys((ReviewOpen, ReviewPage, ReviewNext, ReviewDo), on_review_choice),
    ReviewAsk: _review_ask,
    **dict.fromkeys((StoriesOpen, StoriesPage), on_stories_choice),
    **dict.fromkeys((SubscribeBoth, SubscribeLater, SubscribeDone, SubscribeAdd, SubscribeToggle,
                     StopTopic, Unsubscribe, GeneralOn), on_subscription_choice),
    **dict.fromkeys((CampaignList, CampaignHome, CampaignContent, CampaignReport,
                     CampaignSection), on_campaign_choice),
    NominateStart: on_nominate_choice,
    UndoAsk: on_undo_choice,
    AuditPage: on_audit_choice,
    SearchPage: on_search_choice,
    **dict.fromkeys((DupCompare, DupMark, DupPhotos), on_duplicate_choice),
}

AFTER_CONSENT["report"] = on_report_for
AFTER_CONSENT["import"] = on_import

FLOWS: dict[str, Flow] = {
    CORRECT_FLOW: CorrectFlow(),
    CONSENT_FLOW: ConsentFlow(),
    REPORT_FLOW: ReportFlow(),
    BEHALF_FLOW: BehalfFlow(),
    IMPORT_FLOW: ImportFlow(),
    REVIEW_FLOW: ReviewFlow(),
    BROADCAST_FLOW: BroadcastFlow(),
    NOMINATE_FLOW: NominationFlow(),
    UNDO_FLOW: UndoFlow(),
}
