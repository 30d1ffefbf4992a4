"""/audit for admins: who did what to whom, newest first — grants, bans, erasures, broadcasts
and every action on a story — for everyone, one person (@username, telegram:<id>) or one story
(#id), a page at a time. The words of one story action are shared with /history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.buttons import Button
from bot.content import Safe, localities
from bot.handlers.admin import named_person
from bot.handlers.context import Context
from bot.messages import Choice, Reply
from bot.storage import AuditEntry, Who
from bot.workflow import Action, Role

__all__ = ["AuditPage", "actor_label", "event_extra", "on_audit", "on_audit_choice"]

PAGE = 10
_FIELD_LABELS = {"latitude": "location", "longitude": "location"}


@dataclass(frozen=True)
class AuditPage(Button, tag="audit.page"):
    """A page of the log, with its filter."""

    page: int
    person_id: int | None = None
    story_id: int | None = None


def _when(ctx: Context, stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ctx.settings.tz).strftime("%d/%m/%Y %H:%M")


def person_label(ctx: Context, who: Who) -> Safe:
    """A person as an admin reads them: name (@username or channel:id), or anonymous."""
    if who.account.split(":", 1)[-1].startswith("erased:"):
        return ctx.t("audit.anonymous", id=who.id)
    handle = f"@{who.username}" if who.username else who.account
    if who.name:
        return ctx.t("audit.person", name=who.name, handle=handle)
    return ctx.t("audit.person_unnamed", handle=handle)


def actor_label(ctx: Context, who: Who | None, system: str | None, story: bool = True) -> Safe:
    """Who acted: a named system actor, a person, or (on people, not stories) the operator at
    the command line."""
    if system is not None:
        return ctx.t(f"audit.system_{system}")
    if who is None:
        return ctx.t("review.history_system" if story else "audit.operator")
    return person_label(ctx, who)


def _award(ctx: Context, award_id: str) -> str:
    award = ctx.campaigns.award("", award_id)  # award ids are the same in every campaign file
    return award.label(ctx.person.language) if award else award_id


def event_extra(ctx: Context, action: str, note: str | None, details: dict[str, Any]) -> Safe:
    """What an action on a story carried, after its name: the fields corrected, the photos, the
    story duplicated, the award and its outcome, and the note or reason."""
    parts: list[str] = []
    fields = [_FIELD_LABELS.get(c["field"], c["field"]) for c in details.get("changes", [])]
    if fields:
        names = ", ".join(ctx.t(f"audit.field_{f}") for f in dict.fromkeys(fields))
        parts.append(ctx.t("audit.changed", fields=Safe(names)))
    for key in ("photos_removed", "photos_added"):
        if details.get(key):
            parts.append(ctx.t(f"audit.{key}", count=len(details[key])))
    if details.get("duplicate_of") is not None:
        parts.append(ctx.t("audit.duplicate_of", id=details["duplicate_of"]))
    if action == Action.NOMINATE and note:
        award_id, _, reason = note.partition(": ")
        parts.append(ctx.t("audit.award", award=_award(ctx, award_id)))
        note = reason or None
    if details.get("outcome"):
        parts.append(ctx.t(f"audit.outcome_{details['outcome']}"))
    if note:
        parts.append(ctx.t("review.history_note", note=note))
    return Safe("".join(parts))


def _scope(ctx: Context, communes: list[int]) -> str:
    if not communes or 0 in communes:
        return ctx.t("roles.all_communes")
    units = localities(ctx.settings.province_code)
    return ", ".join(u.name if (u := units.get(c)) else str(c) for c in communes)


def _audience(ctx: Context, audience: str) -> str:
    kind, _, arg = audience.partition(":")
    if kind == "topic":
        return ctx.t("broadcast.audience_topic", topic=ctx.t(f"subscribe.topic_{arg}"))
    if kind == "commune" and arg.isdecimal():
        return _scope(ctx, [int(arg)])
    return ctx.t(f"broadcast.audience_{kind}")


def _what(ctx: Context, e: AuditEntry) -> Safe:
    """The action of one line of the log."""
    d = e.details
    if e.story_id is not None:
        moved = ctx.t("audit.story", action=ctx.t(f"review.action_{e.action}"), id=e.story_id,
                      from_status=ctx.t(f"status.{e.from_status}") if e.from_status else "—",
                      to_status=ctx.t(f"status.{e.to_status}"))
        return Safe(moved + event_extra(ctx, e.action, e.note, d))
    whom = person_label(ctx, e.person) if e.person else ctx.t("review.none")
    if e.action == "grant":
        role = str(d.get("role", ""))
        scope = (_scope(ctx, list(d.get("communes", [])))
                 if role in (Role.REVIEWER, Role.OFFICER) else "")
        return ctx.t("audit.grant", whom=whom, role=ctx.t(f"roles.role_{role}"),
                     scope=Safe(ctx.t("audit.scope", scope=scope) if scope else ""))
    if e.action == "revoke" and d.get("communes"):
        return ctx.t("audit.revoke_communes", whom=whom,
                     scope=_scope(ctx, list(d["communes"])))
    if e.action == "ban":
        reason = ctx.t("review.history_note", note=d["reason"]) if d.get("reason") else ""
        return ctx.t("audit.ban", whom=whom, reason=Safe(reason))
    if e.action == "import":
        return ctx.t("audit.import", count=len(d.get("stories", [])), file=str(d.get("file", "")))
    if e.action == "erase_resident":
        withdrawn = ctx.t("audit.erase_resident_withdrawn") if d.get("withdrawn") else ""
        return ctx.t("audit.erase_resident", id=d.get("story", "?"), withdrawn=Safe(withdrawn))
    if e.action == "erase":
        return ctx.t("audit.erase", withdrawn=d.get("withdrawn", 0))
    if e.action == "broadcast_create":
        return ctx.t("audit.broadcast_create", id=e.broadcast_id or "?",
                     audience=_audience(ctx, str(d.get("audience", ""))),
                     count=d.get("recipients", 0))
    if e.action == "broadcast_cancel":
        return ctx.t("audit.broadcast_cancel", id=e.broadcast_id or "?",
                     unsent=d.get("unsent", 0))
    return ctx.t(f"audit.{e.action}", whom=whom)


async def _page(ctx: Context, page: int, person_id: int | None, story_id: int | None,
                label: str, edit: bool = False) -> list[Reply]:
    total, entries = await ctx.storage.audit.page(
        person_id=person_id, story_id=story_id, offset=(page - 1) * PAGE, limit=PAGE)
    if total == 0:
        return [Reply(ctx.t("audit.empty"), edit=edit)]
    pages = (total + PAGE - 1) // PAGE
    lines = [ctx.t("audit.header", total=total, filter=Safe(label), page=page, pages=pages)]
    lines += [ctx.t("audit.line", when=_when(ctx, e.created_at),
                    who=actor_label(ctx, e.actor, e.system, e.story_id is not None),
                    what=_what(ctx, e))
              for e in entries]
    nav = []
    if page > 1:
        nav.append(Choice(ctx.t("nav.prev_page"), AuditPage(page - 1, person_id, story_id)))
    if page < pages:
        nav.append(Choice(ctx.t("nav.next_page"), AuditPage(page + 1, person_id, story_id)))
    return [Reply("\n".join(lines), choices=(tuple(nav),) if nav else (), edit=edit)]


async def _filter(ctx: Context, person_id: int | None, story_id: int | None) -> str:
    """' (<person>)' or ' (#id)' naming the filter, or ''."""
    if story_id is not None:
        return ctx.t("audit.filter", what=f"#{story_id}")
    if person_id is not None:
        found = await ctx.storage.people.get(person_id)
        if found is not None:
            who = Who(found.id, found.display_name, found.username,
                      f"{found.channel}:{found.external_id}")
            return ctx.t("audit.filter", what=person_label(ctx, who))
    return ""


async def on_audit(ctx: Context) -> list[Reply]:
    """/audit [@username | telegram:<id> | #id]: the log, newest first (admins)."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    args = ctx.incoming.args
    if len(args) > 1:
        return [Reply(ctx.t("audit.usage"))]
    person_id = story_id = None
    if args and args[0].startswith("#"):
        number = args[0][1:]
        if not number.isdecimal() or len(number) > 9:
            return [Reply(ctx.t("review.bad_id", value=args[0][:20]))]
        story_id = int(number)
    elif args:
        found = await named_person(ctx, args[0])
        if isinstance(found, Reply):
            return [found]
        person_id = found.id
    return await _page(ctx, 1, person_id, story_id, await _filter(ctx, person_id, story_id))


async def on_audit_choice(ctx: Context) -> list[Reply]:
    """Another page of the log, replacing the one shown (admins, checked again)."""
    choice = ctx.choice
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    if not isinstance(choice, AuditPage) or choice.page < 1:
        return [Reply(ctx.t("dialog.stale_button"))]
    label = await _filter(ctx, choice.person_id, choice.story_id)
    return await _page(ctx, choice.page, choice.person_id, choice.story_id, label, edit=True)
