"""Admins: who reviews what (/grant /revoke /reviewers) and who may not submit (/ban /unban)."""

from __future__ import annotations

from bot.content import localities
from bot.digest import unreviewed_text
from bot.handlers.answers import words
from bot.handlers.context import Context
from bot.handlers.grants import Granting, Said, find_person, handle
from bot.messages import Reply
from bot.storage import Person
from bot.workflow import Role

__all__ = ["on_ban", "on_grant", "on_reviewers", "on_revoke", "on_unban"]


def _who(person: Person) -> str:
    name = person.display_name or ""
    handle = f"@{person.username}" if person.username else f"{person.channel}:{person.external_id}"
    return f"{name} ({handle})" if name else handle


async def _target(ctx: Context, usage: str) -> Person | Reply:
    """The one person the first argument names, or the line saying why not."""
    if ctx.person.role != Role.ADMIN:
        return Reply(ctx.t("roles.not_admin"))
    if not ctx.incoming.args:
        return Reply(ctx.t(usage))
    return await named_person(ctx, ctx.incoming.args[0])


def _granting(ctx: Context) -> Granting:
    return Granting(ctx.storage, ctx.settings, ctx.texts, ctx.person.id,
                    ctx.incoming.command or "grant")


async def named_person(ctx: Context, ref: str) -> Person | Reply:
    """The one person `ref` names (@username, channel:id, a Telegram id), or why not: nobody
    (with who a bare word may mean), or several sharing a username (listed by id)."""
    found = await find_person(_granting(ctx), ref)
    return Reply(found.text) if isinstance(found, Said) else found


def _scope_text(ctx: Context, communes: tuple[int, ...]) -> str:
    if not communes or 0 in communes:
        return ctx.t("roles.all_communes")
    units = localities(ctx.settings.province_code)
    return ", ".join(u.name if (u := units.get(c)) else str(c) for c in communes)


async def on_grant(ctx: Context) -> list[Reply]:
    """/grant <user> reviewer [commune … | all] adds communes | /grant <user> admin."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    return [Reply((await handle(_granting(ctx), words(ctx.incoming.args))).text)]


async def on_revoke(ctx: Context) -> list[Reply]:
    """/revoke <user> [commune …]: those communes, or every role."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    return [Reply((await handle(_granting(ctx), words(ctx.incoming.args))).text)]


async def on_reviewers(ctx: Context) -> list[Reply]:
    """/reviewers: who reviews which communes."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    lines = await ctx.storage.roles.reviewers()
    gaps = unreviewed_text(await ctx.storage.staff.unreviewed_communes(), ctx.texts,
                           ctx.settings.province_code)
    after = f"\n\n{gaps}" if gaps else ""
    if not lines:
        return [Reply(ctx.t("roles.reviewers_empty") + after)]
    body = [ctx.t("roles.reviewers_header")]
    for line in lines:
        body.append(ctx.t(
            "roles.reviewers_line", who=_who(line.person),
            role=ctx.t(f"roles.role_{line.person.role}"),
            scope=_scope_text(ctx, line.communes),
        ))
    return [Reply("\n".join(body) + after)]


async def on_ban(ctx: Context) -> list[Reply]:
    """/ban <user> [reason]."""
    target = await _target(ctx, "roles.usage_ban")
    if isinstance(target, Reply):
        return [target]
    reason = " ".join(ctx.incoming.args[1:])[:300] or None
    await ctx.storage.roles.ban(target.id, reason, by=ctx.person.id)
    return [Reply(ctx.t("roles.banned", who=_who(target)))]


async def on_unban(ctx: Context) -> list[Reply]:
    """/unban <user>."""
    target = await _target(ctx, "roles.usage_unban")
    if isinstance(target, Reply):
        return [target]
    await ctx.storage.roles.unban(target.id, by=ctx.person.id)
    return [Reply(ctx.t("roles.unbanned", who=_who(target)))]
