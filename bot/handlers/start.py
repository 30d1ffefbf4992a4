"""The first journey: welcome, privacy and consent, help, language, cancel, erasure, the menu."""

from __future__ import annotations

from bot.content import catalogue
from bot.handlers.context import Context, menu_reply, unsupported_key
from bot.handlers.subscriptions import offer
from bot.messages import Choice, Reply

__all__ = [
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


def _name_suffix(ctx: Context) -> str:
    name = ctx.incoming.display_name.strip()
    return f", {name}" if name else ""


def _notice(ctx: Context) -> str:
    """The privacy notice, with how long nightly backups keep what was erased."""
    return ctx.t("privacy.notice", backup_days=ctx.settings.backup_keep)


def _consent_question(ctx: Context) -> Reply:
    return Reply(
        ctx.t("consent.ask"),
        choices=(
            (Choice(ctx.t("consent.yes"), "consent:yes"),),
            (Choice(ctx.t("consent.no"), "consent:no"),),
        ),
    )


async def on_start(ctx: Context) -> list[Reply]:
    """Greet; ask for consent with the privacy notice unless it was already given."""
    if ctx.person.consent:
        return [menu_reply(ctx, ctx.t("start.welcome_back", name=_name_suffix(ctx)))]
    return [
        Reply(ctx.t("start.welcome", name=_name_suffix(ctx))),
        Reply(_notice(ctx)),
        _consent_question(ctx),
    ]


async def on_consent_choice(ctx: Context) -> list[Reply]:
    """Record the consent answer."""
    agreed = ctx.choice == "consent:yes"
    await ctx.storage.people.set_consent(
        ctx.person, agreed, ctx.incoming.display_name.strip(), ctx.incoming.username
    )
    if agreed:
        return [offer(ctx, ctx.t("consent.thanks"))]
    ctx.state.reset()
    return [Reply(ctx.t("consent.refused"))]


async def ask_consent_first(ctx: Context) -> list[Reply]:
    """Explain that consent comes before anything personal, and ask for it."""
    return [
        Reply(ctx.t("consent.required")),
        Reply(_notice(ctx)),
        _consent_question(ctx),
    ]


async def on_privacy(ctx: Context) -> list[Reply]:
    """Show the privacy notice again."""
    if ctx.person.consent is None:
        return [Reply(_notice(ctx)), _consent_question(ctx)]
    return [Reply(_notice(ctx))]


async def on_help(ctx: Context) -> list[Reply]:
    """List the commands for the person's role."""
    role = ctx.person.role
    text: str = ctx.t("help.citizen")
    if role in ("reviewer", "admin"):
        text += ctx.t("help.reviewer")
    if role == "admin":
        text += ctx.t("help.admin")
    return [Reply(text)]


async def on_language(ctx: Context) -> list[Reply]:
    """Offer the languages."""
    return [
        Reply(
            ctx.t("language.ask"),
            choices=(
                (
                    Choice(catalogue("vi").t("language.name"), "lang:vi"),
                    Choice(catalogue("en").t("language.name"), "lang:en"),
                ),
            ),
        )
    ]


async def on_language_choice(ctx: Context) -> list[Reply]:
    """Switch language and answer in the new one."""
    language = "en" if ctx.choice == "lang:en" else "vi"
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
                (Choice(ctx.t("deleteme.yes"), "deleteme:yes"),),
                (Choice(ctx.t("deleteme.no"), "deleteme:no"),),
            ),
        )
    ]


async def on_deleteme_choice(ctx: Context) -> list[Reply]:
    """Erase, or keep, after the confirmation."""
    if ctx.choice != "deleteme:yes":
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
    lead = ctx.t(unsupported_key(ctx)) if ctx.incoming.unsupported else ctx.t("menu.unknown")
    return [menu_reply(ctx, lead)]
