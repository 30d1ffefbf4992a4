"""A story filed on behalf of a resident: what the report keeps of the resident, the steps it
skips, the limit and communes of the filer, and how the resident reads on the summary."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.content import localities
from bot.handlers.answers import Length, parse_phone, single_line
from bot.handlers.context import Context
from bot.messages import Reply
from bot.storage import Story
from bot.workflow import Role

__all__ = [
    "CONTACT",
    "FILERS",
    "HONOREE",
    "RESIDENT",
    "TELLER",
    "behalf_refusal",
    "read_contact",
    "resident_draft",
    "resident_fields",
    "resident_of",
    "resident_preset",
    "resident_values",
    "serves",
    "skipped",
    "summary_key",
]

RESIDENT = "resident"  # the report's answers about the resident, under this key
HONOREE, TELLER = "honoree", "teller"  # the resident is the one honoured, or the one who told
FILERS = (Role.OFFICER, Role.REVIEWER, Role.ADMIN)  # who may file on a resident's behalf
CONTACT = Length(5, 300)
# Only digits and the signs people write in phone numbers: read as a phone, and checked as one.
_PHONE_LIKE = re.compile(r"[\d\s+().\-]+")
# The report's steps that ask about the filer, not the resident: their phone, their name shown.
_FILER_STEPS = frozenset({"phone", "show_name"})


def resident_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """The resident a draft is filed for, or None for one's own story."""
    resident = data.get(RESIDENT)
    return resident if isinstance(resident, dict) else None


def skipped(data: dict[str, Any], step: str) -> bool:
    """Whether a report step is not asked because the story is a resident's: the filer's phone
    and name choice, and the honoree when the resident is the honoree (filled from their name)."""
    resident = resident_of(data)
    if resident is None:
        return False
    return step in _FILER_STEPS or (step == "honoree" and resident.get("is") == HONOREE)


def read_contact(text: str) -> tuple[str | None, str | None]:
    """(the contact as kept, or the catalogue key of what is wrong with it): a phone number
    (checked like the phone step) or any address or way to reach the resident."""
    value = single_line(text)
    if _PHONE_LIKE.fullmatch(value):
        phone = parse_phone(value)
        return (phone, None) if phone else (None, "officer.contact_phone_bad")
    problem = CONTACT.problem(value)
    if problem:
        return None, f"officer.contact_{problem[0]}"
    return value, None


def resident_preset(data: dict[str, Any]) -> dict[str, Any]:
    """What a report for a resident starts from: the resident, and the honoree when it is them."""
    resident = resident_of(data)
    if resident is None:
        return {}
    honoree = {"honoree": resident["name"]} if resident.get("is") == HONOREE else {}
    return {RESIDENT: resident, **honoree}


def resident_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The story's resident columns for a draft (all empty for one's own story)."""
    resident = resident_of(data)
    if resident is None:
        return {}
    return {
        "resident_name": str(resident["name"]),
        "resident_contact": str(resident["contact"]),
        "resident_consent_at": str(resident["consent_at"]),
        "resident_is": str(resident["is"]),
        "resident_shown": bool(resident.get("shown")),
    }


def resident_draft(story: Story) -> dict[str, Any]:
    """A filed story's resident, as the report keeps it (none for one's own story)."""
    if story.resident_name is None:
        return {}
    return {RESIDENT: {"name": story.resident_name, "contact": story.resident_contact or "",
                       "consent_at": story.resident_consent_at or "",
                       "is": story.resident_is or TELLER, "shown": story.resident_shown}}


def summary_key(data: dict[str, Any]) -> str:
    """The summary's text: one's own story, or a resident's (with the resident's lines)."""
    return "report.summary" if resident_of(data) is None else "officer.summary"


def resident_values(ctx: Context) -> dict[str, object]:
    """The resident's lines of the summary, for `officer.summary`."""
    resident = resident_of(ctx.state.data)
    if resident is None:
        return {}
    yes_no = "report.summary_yes" if resident.get("shown") else "report.summary_no"
    return {"resident": resident["name"], "resident_contact": resident["contact"],
            "resident_is": ctx.t(f"officer.is_{resident['is']}"), "resident_shown": ctx.t(yes_no)}


async def serves(ctx: Context, commune: int) -> bool:
    """Whether the person may file for residents of a commune: an admin anywhere, an officer or
    a reviewer in their communes (0: the whole province)."""
    role = ctx.person.role
    if role == Role.ADMIN:
        return True
    if role not in FILERS:
        return False
    scopes = await ctx.storage.roles.scopes(ctx.person.id)
    return 0 in scopes or commune in scopes


async def behalf_refusal(ctx: Context) -> Reply | None:
    """Why the person may not file for a resident now: not staff any more, no longer serving
    the commune answered, or past their daily limit of stories filed on behalf
    (OFFICER_REPORTS_PER_DAY)."""
    if ctx.person.role not in FILERS:
        return Reply(ctx.t("officer.not_officer"))
    commune = ctx.state.data.get("commune")
    if commune is not None and not await serves(ctx, int(commune)):
        unit = localities(ctx.settings.province_code).get(int(commune))
        return Reply(ctx.t("officer.not_your_commune", name=unit.name if unit else commune))
    since = (ctx.now - timedelta(hours=24)).isoformat(timespec="seconds")
    count = await ctx.storage.behalf.filed_since(ctx.person.id, since)
    if count >= ctx.settings.officer_reports_per_day:
        return Reply(ctx.t("officer.daily_limit", count=count))
    return None
