"""What to remind on a given day: anniversaries, heads-ups before them, campaign deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.content import Catalogue, Safe
from bot.content.calendar import Calendar, Deadline, Occasion

__all__ = ["Due", "due_on", "render"]


@dataclass(frozen=True, slots=True)
class Due:
    """One reminder due on a day; `key` is unique per (occasion, year, kind)."""

    kind: str
    entry: Occasion | Deadline
    on: date
    days_before: int

    @property
    def key(self) -> str:
        """(occasion, year, kind): a broadcast with this key is sent at most once."""
        suffix = self.kind if self.kind != "deadline" else f"deadline{self.days_before}"
        return f"{self.entry.id}:{self.on.year}:{suffix}"

    @property
    def topic(self) -> str:
        """The subscription topic that receives it."""
        return "deadlines" if self.kind == "deadline" else "anniversaries"


def due_on(day: date, cal: Calendar, lead_days: int) -> list[Due]:
    """Every reminder due on `day`: the day itself, `lead_days` before, and deadline leads."""
    out: list[Due] = []
    for occasion in cal.occasions:
        if occasion.on(day.year) == day:
            out.append(Due("day", occasion, day, 0))
        if lead_days > 0:
            ahead = day + timedelta(days=lead_days)
            if occasion.on(ahead.year) == ahead:
                out.append(Due("heads_up", occasion, ahead, lead_days))
    for deadline in cal.deadlines:
        for lead in sorted(set(deadline.lead_days), reverse=True):
            ahead = day + timedelta(days=lead)
            if deadline.on(ahead.year) == ahead:
                out.append(Due("deadline", deadline, ahead, lead))
    return out


def render(due: Due, texts: Catalogue) -> Safe:
    """The reminder's text in one language."""
    entry, on = due.entry, due.on
    common = {"name": entry.name(texts.language), "day": on.day, "month": on.month,
              "year": on.year, "days": due.days_before}
    if isinstance(entry, Occasion):
        common |= {"ordinal": entry.ordinal(on.year), "base_year": entry.base_year}
        return texts.t("reminder.day" if due.kind == "day" else "reminder.heads_up", **common)
    return texts.t("reminder.deadline", **common)
