"""Admins: who reviews what (/grant /revoke /reviewers) and who may not submit (/ban /unban)."""

from __future__ import annotations

from bot.content import fold, localities
from bot.handlers.context import Context
from bot.messages import Reply
from bot.storage import Person
from bot.workflow import Role

__all__ = ["on_ban", "on_grant", "on_reviewers", "on_revoke", "on_unban"]


def _who(person: Person) -> str:
    name = person.display_name or ""
    handle = f"@{person.username}" if person.username else f"{person.channel}:{person.external_id}"
    return f"{name} ({handle})" if name else handle


async def _target(ctx: Context, usage: str) -> Person | Reply:
    if ctx.person.role != Role.ADMIN:
        return Reply(ctx.t("roles.not_admin"))
    if not ctx.incoming.args:
        return Reply(ctx.t(usage))
    ref = ctx.incoming.args[0]
    person = await ctx.storage.roles.find(ref)
    if person is None:
        return Reply(ctx.t("roles.no_person", ref=ref[:40]))
    return person


def _scope_text(ctx: Context, communes: tuple[int, ...]) -> str:
    if not communes or 0 in communes:
        return ctx.t("roles.all_communes")
    units = localities(ctx.settings.province_code)
    return ", ".join(u.name if (u := units.get(c)) else str(c) for c in communes)


def _communes(ctx: Context, words: tuple[str, ...]) -> tuple[int, ...] | Reply:
    if not words or any(fold(w) in ("all", "tat ca", "toan tinh") for w in words):
        return (0,)
    units = localities(ctx.settings.province_code)
    codes: list[int] = []
    for word in words:
        if word.isdecimal() and units.get(int(word)):
            codes.append(int(word))
            continue
        found, sure = units.search(word.replace("_", " "))
        if not (sure or len(found) == 1):
            return Reply(ctx.t("roles.bad_commune", name=word[:40]))
        codes.append(found[0].code)
    return tuple(dict.fromkeys(codes))


async def on_grant(ctx: Context) -> list[Reply]:
    """/grant <user> reviewer [commune … | all] | /grant <user> admin."""
    target = await _target(ctx, "roles.usage_grant")
    if isinstance(target, Reply):
        return [target]
    args = ctx.incoming.args
    role = args[1].lower() if len(args) > 1 else ""
    if role == Role.ADMIN:
        await ctx.storage.roles.grant(target.id, Role.ADMIN, (0,), by=ctx.person.id)
        return [Reply(ctx.t("roles.granted_admin", who=_who(target)))]
    if role != Role.REVIEWER:
        return [Reply(ctx.t("roles.usage_grant"))]
    communes = _communes(ctx, args[2:])
    if isinstance(communes, Reply):
        return [communes]
    await ctx.storage.roles.grant(target.id, Role.REVIEWER, communes, by=ctx.person.id)
    scope = _scope_text(ctx, communes)
    return [Reply(ctx.t("roles.granted_reviewer", who=_who(target), scope=scope))]


async def on_revoke(ctx: Context) -> list[Reply]:
    """/revoke <user>: back to citizen."""
    target = await _target(ctx, "roles.usage_revoke")
    if isinstance(target, Reply):
        return [target]
    await ctx.storage.roles.revoke(target.id, by=ctx.person.id)
    return [Reply(ctx.t("roles.revoked", who=_who(target)))]


async def on_reviewers(ctx: Context) -> list[Reply]:
    """/reviewers: who reviews which communes."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    lines = await ctx.storage.roles.reviewers()
    if not lines:
        return [Reply(ctx.t("roles.reviewers_empty"))]
    body = [ctx.t("roles.reviewers_header")]
    for line in lines:
        body.append(ctx.t(
            "roles.reviewers_line", who=_who(line.person),
            role=ctx.t(f"roles.role_{line.person.role}"),
            scope=_scope_text(ctx, line.communes),
        ))
    return [Reply("\n".join(body))]


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
