"""A filed story as the report's answers, and back: so a reviewer's correction and a reporter's
amendment ask the very questions of /report, with the very same checks."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.storage import Story

__all__ = ["CORRECTABLE_STEPS", "changed_fields", "draft_of"]

# The report's step for each story column a reviewer may correct, in the card's order.
_COLUMNS: dict[str, str] = {
    "kind": "kind", "content": "content", "movement": "movement", "commune": "commune_code",
    "honoree": "honoree_name", "honoree_role": "honoree_role", "title": "title",
    "description": "description", "date": "event_date", "lat": "latitude", "lon": "longitude",
    "phone": "reporter_phone", "show_name": "show_name",
}
# What a reviewer corrects (the reporter's phone and name choice stay the reporter's own).
CORRECTABLE_STEPS = ("kind", "content", "commune", "honoree", "honoree_role", "title",
                     "description", "date", "location")


def draft_of(story: Story) -> dict[str, Any]:
    """The story's fields as the report keeps its answers."""
    return {
        "campaign": story.campaign, "kind": story.kind, "content": story.content,
        "movement": story.movement, "commune": story.commune_code,
        "honoree": story.honoree_name, "honoree_role": story.honoree_role,
        "title": story.title, "description": story.description, "date": story.event_date,
        "lat": story.latitude, "lon": story.longitude, "phone": story.reporter_phone,
        "show_name": story.show_name, "photos": list(story.photos),
        "voice": {"ref": story.voice_ref, "seconds": story.voice_seconds}
        if story.voice_ref else None,
    }


def _stored(answer: str, value: Any) -> Any:
    if answer == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if answer in ("lat", "lon") and isinstance(value, int):
        return float(value)
    return value


def changed_fields(story: Story, draft: dict[str, Any], answers: tuple[str, ...]
                   ) -> dict[str, Any]:
    """The story columns whose value the draft changed, among `answers` (report keys)."""
    before = draft_of(story)
    changed = {_COLUMNS[a]: _stored(a, draft.get(a)) for a in answers
               if a in _COLUMNS and draft.get(a) != before.get(a)}
    voice = draft.get("voice") or None
    if "voice" in answers and voice != before["voice"]:
        changed["voice_ref"] = str(voice["ref"]) if voice else None
        changed["voice_seconds"] = voice.get("seconds") if voice else None
    return changed
