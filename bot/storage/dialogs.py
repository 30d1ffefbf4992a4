"""Dialog state: the open journey of each chat and the question it is waiting on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.people import Person

__all__ = ["DialogState", "Dialogs", "Prompt"]

_JSON = json.JSONEncoder(ensure_ascii=False)  # made once: json.dumps builds one a call


@dataclass(slots=True)
class Prompt:
    """The options of the question last asked: a nonce for buttons and each option's value/label."""

    nonce: str = ""
    values: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    untyped: list[int] = field(default_factory=list)


@dataclass(slots=True)
class DialogState:
    """Where one chat stands: which journey (`flow`), which step, what was answered so far."""

    channel: str
    chat_id: str
    person_id: int
    flow: str = ""
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    prompt: Prompt = field(default_factory=Prompt)
    updated_at: datetime | None = None

    def reset(self) -> None:
        """Leave any journey."""
        self.flow = ""
        self.step = ""
        self.data = {}


def _state(channel: str, chat_id: str, row: Any, prefix: str) -> DialogState:
    """A dialog state from its row (its columns named with `prefix`)."""
    prompt = json.loads(row[f"{prefix}prompt"])
    return DialogState(
        channel=channel,
        chat_id=chat_id,
        person_id=row[f"{prefix}person_id"],
        flow=row[f"{prefix}flow"],
        step=row[f"{prefix}step"],
        data=json.loads(row[f"{prefix}data"]),
        prompt=Prompt(
            prompt.get("nonce", ""), prompt.get("values", []), prompt.get("labels", []),
            prompt.get("untyped", []),
        ),
        updated_at=datetime.fromisoformat(row[f"{prefix}updated_at"]),
    )


class Dialogs:
    """Repository of dialog states, keyed by (channel, chat)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, channel: str, chat_id: str) -> DialogState | None:
        """The chat's state, if any."""
        row = await self._db.fetchone(
            "SELECT * FROM dialogs WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )
        return None if row is None else _state(channel, chat_id, row, "")

    async def open_chat(self, channel: str, chat_id: str, external_id: str
                        ) -> tuple[Person | None, DialogState | None, bool]:
        """What answering a message starts from, in one read: the person behind the account,
        the chat's state, and whether messages wait held for the person (see
        `Outbox.release_held`). No person: (None, None, False)."""
        row = await self._db.fetchone(
            "SELECT p.*, d.person_id AS d_person_id, d.flow AS d_flow, d.step AS d_step,"
            " d.data AS d_data, d.prompt AS d_prompt, d.updated_at AS d_updated_at,"
            " EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id AND o.status = 'held')"
            " AS d_held FROM people p LEFT JOIN dialogs d ON d.channel = ?1 AND d.chat_id = ?2"
            " WHERE p.channel = ?1 AND p.external_id = ?3", (channel, chat_id, external_id),
        )
        if row is None:
            return None, None, False
        state = None if row["d_flow"] is None else _state(channel, chat_id, row, "d_")
        return Person.from_row(row), state, bool(row["d_held"])

    async def save(self, state: DialogState, now: datetime) -> None:
        """Write the state as it stands after a completed step (never for an erased person: a
        chat kept for them would tie their platform account to their anonymous row again)."""
        prompt = {
            "nonce": state.prompt.nonce,
            "values": state.prompt.values,
            "labels": state.prompt.labels,
            "untyped": state.prompt.untyped,
        }
        await self._db.write(
            "INSERT INTO dialogs (channel, chat_id, person_id, flow, step, data, prompt,"
            " updated_at) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM people WHERE id = ?3"
            " AND erased_at IS NULL"
            " ON CONFLICT (channel, chat_id) DO UPDATE SET person_id = excluded.person_id,"
            " flow = excluded.flow, step = excluded.step, data = excluded.data,"
            " prompt = excluded.prompt, updated_at = excluded.updated_at",
            (
                state.channel,
                state.chat_id,
                state.person_id,
                state.flow,
                state.step,
                _JSON.encode(state.data),
                _JSON.encode(prompt),
                now.isoformat(timespec="seconds"),
            ),
        )
        state.updated_at = now

    async def first_group_notice(self, channel: str, chat_id: str, now: datetime) -> bool:
        """Remember that a group chat was told to write privately; True only the first time."""
        changed = await self._db.write(
            "INSERT INTO group_chats (channel, chat_id, told_at) VALUES (?, ?, ?)"
            " ON CONFLICT (channel, chat_id) DO NOTHING",
            (channel, chat_id, now.isoformat(timespec="seconds")),
        )
        return changed == 1
