"""The first journey: welcome, privacy and consent, help, language, cancel, erasure, the menu."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import LANGUAGES, catalogue, fold
from bot.handlers.context import Context, Handler, menu_reply, unsupported_key
from bot.handlers.notices import contact_line, privacy_notice
from bot.handlers.subscriptions import offer
from bot.messages import Choice, Reply
from bot.workflow import Role

__all__ = [
    "AFTER_CONSENT",
    "CONSENT_FLOW",
    "Consent",
    "ConsentFlow",
    "Erase",
    "Language",
    "on_cancel",
    "on_consent_choice",
    "on_deleteme",
    "on_deleteme_choice",
    "on_help",
    "on_language",
    "on_language_choice",
    "on_privacy",
    "on_start",
    "on_unknown",
]


@dataclass(frozen=True)
class Consent(Button, tag="consent"):
    """The answer to the privacy notice."""

    agreed: bool


@dataclass(frozen=True)
class Language(Button, tag="lang"):
    """A language to speak in."""

    code: str


@dataclass(frozen=True)
class Erase(Button, tag="erase"):
    """The answer to 'erase my data?'."""

    confirmed: bool


def _name_suffix(ctx: Context) -> str:
    name = ctx.incoming.display_name.strip()
    return f", {name}" if name else ""


def _consent_question(ctx: Context) -> Reply:
    return Reply(
        ctx.t("consent.ask"),
        choices=(
            (Choice(ctx.t("consent.yes"), Consent(True)),),
            (Choice(ctx.t("consent.no"), Consent(False)),),
        ),
    )


CONSENT_FLOW = "consent"
# What to do right after consent, by the command that needed it (filled by bot.handlers).
AFTER_CONSENT: dict[str, Handler] = {}
_YES = frozenset({"dong y", "toi dong y", "co", "co a", "dong y a", "yes", "ok", "i agree",
                  "agree", "u", "uh", "vang", "da"})
_NO = frozenset({"khong", "khong dong y", "de sau", "no", "not now", "later", "thoi"})


def _waiting_for_consent(ctx: Context, then: str = "") -> None:
    """Typed words answer the consent question until it is answered."""
    ctx.state.flow, ctx.state.step = CONSENT_FLOW, "ask"
    ctx.state.data = {"then": then} if then else {}


async def on_start(ctx: Context) -> list[Reply]:
    """Greet; ask for consent with the privacy notice unless it was already given."""
    if ctx.person.consent:
        return [menu_reply(ctx, ctx.t("start.welcome_back", name=_name_suffix(ctx)))]
    _waiting_for_consent(ctx)
    return [
        Reply(ctx.t("start.welcome", name=_name_suffix(ctx))),
        Reply(privacy_notice(ctx)),
        _consent_question(ctx),
    ]


async def _record_consent(ctx: Context, agreed: bool) -> list[Reply]:
    then = str(ctx.state.data.get("then", "")) if ctx.state.flow == CONSENT_FLOW else ""
    await ctx.storage.people.set_consent(
        ctx.person, agreed, ctx.incoming.display_name.strip(), ctx.incoming.username
    )
    ctx.state.reset()
    if not agreed:
        return [Reply(ctx.t("consent.refused"))]
    if then in AFTER_CONSENT:
        return [Reply(ctx.t("consent.thanks_short")), *await AFTER_CONSENT[then](ctx)]
    return [offer(ctx, ctx.t("consent.thanks"))]


async def on_consent_choice(ctx: Context) -> list[Reply]:
    """Record the consent answer."""
    return await _record_consent(ctx, isinstance(ctx.choice, Consent) and ctx.choice.agreed)


class ConsentFlow:
    """The consent question: a typed yes or no answers it as well as the buttons do."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """The question alone (the notice was just shown)."""
        return [_consent_question(ctx)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """A typed yes or no; anything else asks the short question again."""
        said = fold(ctx.text or "").strip(" .!")
        if said in _YES:
            return await _record_consent(ctx, True)
        if said in _NO:
            return await _record_consent(ctx, False)
        return [Reply(ctx.t("consent.typed_hint")), _consent_question(ctx)]


async def ask_consent_first(ctx: Context, then: str = "") -> list[Reply]:
    """Explain that consent comes before anything personal, and ask for it; after a yes, go on
    with `then` (a command's name)."""
    _waiting_for_consent(ctx, then)
    return [
        Reply(ctx.t("consent.required")),
        Reply(privacy_notice(ctx)),
        _consent_question(ctx),
    ]


async def on_privacy(ctx: Context) -> list[Reply]:
    """Show the privacy notice again."""
    if ctx.person.consent is None:
        _waiting_for_consent(ctx)
        return [Reply(privacy_notice(ctx)), _consent_question(ctx)]
    return [Reply(privacy_notice(ctx))]


async def on_help(ctx: Context) -> list[Reply]:
    """List the commands for the person's role."""
    role = ctx.person.role
    text: str = ctx.t("help.citizen")
    if role in (Role.REVIEWER, Role.ADMIN, Role.OFFICER):
        text += ctx.t("help.officer")
    if role in (Role.REVIEWER, Role.ADMIN):
        text += ctx.t("help.reviewer")
    if role == Role.ADMIN:
        text += ctx.t("help.admin") + ctx.t("help.admin_undo")
    return [Reply(text + ctx.t("help.how") + contact_line(ctx, "contact.help"))]


async def on_language(ctx: Context) -> list[Reply]:
    """/language [vi | en]: switch at once when named, or offer the languages."""
    named = _language_named(" ".join(ctx.incoming.args))
    if named:
        ctx.choice = Language(named)
        return await on_language_choice(ctx)
    return [
        Reply(
            ctx.t("language.ask"),
            choices=(
                (
                    Choice(catalogue("vi").t("language.name"), Language("vi")),
                    Choice(catalogue("en").t("language.name"), Language("en")),
                ),
            ),
        )
    ]


_LANGUAGE_NAMES = {"vi": "vi", "viet": "vi", "tieng viet": "vi", "vietnamese": "vi",
                   "en": "en", "english": "en", "tieng anh": "en", "anh": "en"}


def _language_named(words: str) -> str | None:
    """A language's code or name in either language ('en', 'English', 'Vietnamese' …) as a code."""
    return _LANGUAGE_NAMES.get(fold(words)) if words.strip() else None


async def on_language_choice(ctx: Context) -> list[Reply]:
    """Switch language and answer in the new one."""
    chosen = ctx.choice.code if isinstance(ctx.choice, Language) else ""
    language = chosen if chosen in LANGUAGES else LANGUAGES[0]
    await ctx.storage.people.set_language(ctx.person, language)
    ctx.texts = catalogue(language)
    return [menu_reply(ctx, ctx.t("language.set"))]


async def on_cancel(ctx: Context) -> list[Reply]:
    """Leave any open journey."""
    if not ctx.state.flow:
        return [menu_reply(ctx, ctx.t("cancel.nothing"))]
    ctx.state.reset()
    return [menu_reply(ctx, ctx.t("cancel.done"))]


async def on_deleteme(ctx: Context) -> list[Reply]:
    """Ask to confirm erasure."""
    if ctx.person.consent is None and not await ctx.storage.stories.count_by_reporter(
        ctx.person.id
    ):
        return [Reply(ctx.t("deleteme.nothing"))]
    return [
        Reply(
            ctx.t("deleteme.ask"),
            choices=(
                (Choice(ctx.t("deleteme.yes"), Erase(True)),),
                (Choice(ctx.t("deleteme.no"), Erase(False)),),
            ),
        )
    ]


async def on_deleteme_choice(ctx: Context) -> list[Reply]:
    """Erase, or keep, after the confirmation."""
    if not (isinstance(ctx.choice, Erase) and ctx.choice.confirmed):
        return [menu_reply(ctx, ctx.t("deleteme.kept"))]
    withdrawn = await ctx.storage.erase_person(ctx.person.id)
    ctx.person.consent = None
    ctx.person.display_name = None
    ctx.state.reset()
    return [Reply(ctx.t("deleteme.done", withdrawn=withdrawn))]


async def on_unknown(ctx: Context) -> list[Reply]:
    """Anything not understood outside a journey: the menu, never silence."""
    if ctx.person.consent is None:
        return await on_start(ctx)
    if ctx.incoming.command:
        return [menu_reply(ctx, ctx.t("menu.unknown_command", command=ctx.incoming.command[:40]))]
    lead = ctx.t(unsupported_key(ctx)) if ctx.incoming.unsupported else ctx.t("menu.unknown")
    return [menu_reply(ctx, lead)]
