"""What to remind on a given day: anniversaries, lunar and one-off days, heads-ups, deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.content import Catalogue, Safe
from bot.content.calendar import Calendar, Deadline, Event, LunarDay, Occasion
from bot.content.lunar import lunar_of

__all__ = ["Due", "due_on", "render"]

Day = Occasion | LunarDay | Event


@dataclass(frozen=True, slots=True)
class Due:
    """One reminder due on a day; `key` is unique per (entry, year, kind)."""

    kind: str
    entry: Day | Deadline
    on: date
    days_before: int

    @property
    def key(self) -> str:
        """(entry, year, kind): a broadcast with this key is sent at most once."""
        suffix = self.kind if self.kind != "deadline" else f"deadline{self.days_before}"
        return f"{self.entry.id}:{self.on.year}:{suffix}"

    @property
    def topic(self) -> str:
        """The subscription topic that receives it."""
        return "deadlines" if self.kind == "deadline" else "anniversaries"


def due_on(day: date, cal: Calendar, lead_days: int) -> list[Due]:
    """Every reminder due on `day`: the day itself, `lead_days` before, and deadline leads."""
    out: list[Due] = []
    days: list[Day] = [*cal.occasions, *cal.lunar, *cal.events]
    for entry in days:
        if entry.falls_on(day):
            out.append(Due("day", entry, day, 0))
        if lead_days > 0:
            ahead = day + timedelta(days=lead_days)
            if entry.falls_on(ahead):
                out.append(Due("heads_up", entry, ahead, lead_days))
    for deadline in cal.deadlines:
        for lead in sorted(set(deadline.lead_days), reverse=True):
            if deadline.date == day + timedelta(days=lead):
                out.append(Due("deadline", deadline, deadline.date, lead))
    return out


def render(due: Due, texts: Catalogue) -> Safe:
    """The reminder's text in one language."""
    entry, on = due.entry, due.on
    common: dict[str, object] = {"name": entry.name(texts.language), "day": on.day,
                                 "month": on.month, "year": on.year, "days": due.days_before}
    if isinstance(entry, Deadline):
        return texts.t("reminder.deadline", **common)
    if isinstance(entry, Occasion):
        common |= {"ordinal": entry.ordinal(on.year), "base_year": entry.base_year}
        return texts.t("reminder.day" if due.kind == "day" else "reminder.heads_up", **common)
    if isinstance(entry, LunarDay):
        lunar_day, lunar_month, _ = lunar_of(on)
        common |= {"lunar_day": lunar_day, "lunar_month": lunar_month}
        kind = "lunar_day" if due.kind == "day" else "lunar_heads_up"
        return texts.t(f"reminder_dates.{kind}", **common)
    kind = "event_day" if due.kind == "day" else "event_heads_up"
    return texts.t(f"reminder_dates.{kind}", **common)
