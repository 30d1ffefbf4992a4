"""Admins' broadcasts: write, pick the audience, preview with the count, confirm; watch; cancel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import localities
from bot.handlers.answers import Length
from bot.handlers.context import Context, menu_reply
from bot.messages import Choice, Reply
from bot.storage import TOPICS
from bot.workflow import Role

__all__ = ["FLOW", "BroadcastFlow", "on_broadcast", "on_broadcasts", "on_cancelbroadcast"]

FLOW = "broadcast"
TEXT = Length(1, 3500)


@dataclass(frozen=True)
class BroadcastCancel(Button, tag="bc.cancel"):
    """Drop the broadcast being written."""


@dataclass(frozen=True)
class BroadcastAudience(Button, tag="bc.audience"):
    """Who receives it: topic:<t>, commune (asked next), reviewers, everyone."""

    audience: str


@dataclass(frozen=True)
class BroadcastSend(Button, tag="bc.send"):
    """Send it, after the preview."""


def _cancel_row(ctx: Context) -> tuple[Choice, ...]:
    return (Choice(ctx.t("nav.cancel"), BroadcastCancel()),)


def _audience_name(ctx: Context, audience: str) -> str:
    kind, _, arg = audience.partition(":")
    if kind == "topic":
        return ctx.t("broadcast.audience_topic", topic=ctx.t(f"subscribe.topic_{arg}"))
    if kind == "commune":
        unit = localities(ctx.settings.province_code).get(int(arg))
        return unit.name if unit else arg
    return ctx.t(f"broadcast.audience_{kind}")


async def on_broadcast(ctx: Context) -> list[Reply]:
    """Start writing a broadcast (admins only)."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    ctx.state.flow, ctx.state.step, ctx.state.data = FLOW, "text", {}
    return await BroadcastFlow().reask(ctx)


class BroadcastFlow:
    """text → audience (→ commune) → preview → confirm."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the current question again."""
        step = ctx.state.step
        if step == "audience":
            rows: list[tuple[Choice, ...]] = [
                (Choice(_audience_name(ctx, f"topic:{t}"), BroadcastAudience(f"topic:{t}")),)
                for t in TOPICS
            ]
            rows += [(Choice(ctx.t("broadcast.audience_commune"), BroadcastAudience("commune")),),
                     (Choice(ctx.t("broadcast.audience_reviewers"),
                             BroadcastAudience("reviewers")),),
                     (Choice(ctx.t("broadcast.audience_everyone"),
                             BroadcastAudience("everyone")),),
                     _cancel_row(ctx)]
            return [Reply(ctx.t("broadcast.ask_audience"), choices=tuple(rows))]
        if step == "commune":
            return [Reply(ctx.t("broadcast.ask_commune"), choices=(_cancel_row(ctx),))]
        if step == "confirm":
            audience = str(ctx.state.data["audience"])
            count = await ctx.storage.broadcasts.count_audience(audience)
            preview = ctx.t("broadcast.preview", audience=_audience_name(ctx, audience),
                            count=count, text=str(ctx.state.data["text"]))
            buttons = ((Choice(ctx.t("broadcast.confirm"), BroadcastSend()),), _cancel_row(ctx))
            return [Reply(preview, choices=buttons)]
        return [Reply(ctx.t("broadcast.ask_text", max=TEXT.high), choices=(_cancel_row(ctx),))]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the answer of the current step."""
        state, choice = ctx.state, ctx.choice
        if isinstance(choice, BroadcastCancel) or ctx.person.role != Role.ADMIN:
            state.reset()
            return [menu_reply(ctx, ctx.t("cancel.done"))]
        if state.step == "text":
            text = (ctx.text or "").strip()
            if not text:
                return [Reply(ctx.t("broadcast.text_empty")), *await self.reask(ctx)]
            if len(text) > TEXT.high:
                return [Reply(ctx.t("broadcast.text_long", max=TEXT.high, length=len(text))),
                        *await self.reask(ctx)]
            state.data["text"], state.step = text, "audience"
        elif state.step == "audience" and isinstance(choice, BroadcastAudience):
            audience = choice.audience
            state.step = "commune" if audience == "commune" else "confirm"
            state.data["audience"] = audience
        elif state.step == "commune" and ctx.text:
            found, sure = localities(ctx.settings.province_code).search(ctx.text)
            if not (sure or len(found) == 1):
                return [Reply(ctx.t("roles.bad_commune", name=ctx.text[:40])),
                        *await self.reask(ctx)]
            state.data["audience"], state.step = f"commune:{found[0].code}", "confirm"
        elif state.step == "confirm" and isinstance(choice, BroadcastSend):
            return await self._create(ctx)
        else:
            return [Reply(ctx.t("dialog.use_choices")), *await self.reask(ctx)]
        return await self.reask(ctx)

    async def _create(self, ctx: Context) -> list[Reply]:
        data = ctx.state.data
        audience = str(data["audience"])
        if await ctx.storage.broadcasts.count_audience(audience) == 0:
            ctx.state.reset()
            return [menu_reply(ctx, ctx.t("broadcast.nobody"))]
        broadcast_id = await ctx.storage.broadcasts.create(
            audience, body=str(data["text"]), created_by=ctx.person.id)
        row = await ctx.storage.broadcasts.get(broadcast_id or 0)
        ctx.state.reset()
        count = row["total"] if row else 0
        return [Reply(ctx.t("broadcast.created", id=broadcast_id, count=count))]


async def on_broadcasts(ctx: Context) -> list[Reply]:
    """Each broadcast's progress: sent / total, failed, stopped, ETA."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    rows = await ctx.storage.broadcasts.progress()
    if not rows:
        return [Reply(ctx.t("broadcast.list_empty"))]
    rate = ctx.settings.broadcast_rate
    lines: list[str] = [ctx.t("broadcast.list_header")]
    for p in rows:
        eta = ""
        if p.status == "active" and p.pending:
            eta = ctx.t("broadcast.eta", minutes=max(1, round(p.pending / rate / 60)))
        lines.append(ctx.t(
            "broadcast.list_line", id=p.id, what=p.key or _audience_name(ctx, p.audience),
            status=ctx.t(f"broadcast.status_{p.status}"), sent=p.sent, total=p.total,
            failed=p.failed, stopped=p.stopped, eta=eta,
        ) + (ctx.t("engine.out_of_window", count=p.out_of_window) if p.out_of_window else ""))
    return [Reply("\n".join(lines))]


async def on_cancelbroadcast(ctx: Context) -> list[Reply]:
    """/cancelbroadcast <id>."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    args = ctx.incoming.args
    if len(args) != 1 or not args[0].lstrip("#").isdecimal():
        return [Reply(ctx.t("broadcast.usage_cancel"))]
    broadcast_id = int(args[0].lstrip("#"))
    if broadcast_id < 2**63 and await ctx.storage.broadcasts.cancel(broadcast_id, by=ctx.person.id):
        return [Reply(ctx.t("broadcast.cancelled", id=broadcast_id))]
    return [Reply(ctx.t("broadcast.cannot_cancel", id=broadcast_id))]

