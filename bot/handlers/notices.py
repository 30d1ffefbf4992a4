"""Words every journey may show with the board's contact (CONTACT): the privacy notice, the ban
notice, the end of /help. When CONTACT is unset they say only what they always said."""

from __future__ import annotations

from bot.content import Safe
from bot.handlers.context import Context

__all__ = ["banned_notice", "contact_line", "privacy_notice"]


def contact_line(ctx: Context, key: str) -> Safe:
    """The catalogue line `key` with the board's contact, or nothing when there is none."""
    contact = ctx.settings.contact
    return ctx.t(key, contact=contact) if contact else Safe("")


def privacy_notice(ctx: Context) -> Safe:
    """The privacy notice: what is kept and why (and how long nightly backups keep what was
    erased), how to stop messages, whom to ask."""
    return Safe(ctx.t("privacy.notice", backup_days=ctx.settings.backup_keep)
                + ctx.t("optout.privacy") + contact_line(ctx, "contact.privacy"))


def banned_notice(ctx: Context) -> Safe:
    """Why a banned person cannot file, and how to reach the board about it."""
    if ctx.settings.contact:
        return ctx.t("roles.you_are_banned_contact", contact=ctx.settings.contact)
    return ctx.t("roles.you_are_banned")
