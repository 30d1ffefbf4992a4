"""Dialog state: the open journey of each chat and the question it is waiting on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Database

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


class Dialogs:
    """Repository of dialog states, keyed by (channel, chat)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, channel: str, chat_id: str) -> DialogState | None:
        """The chat's state, if any."""
        row = await self._db.fetchone(
            "SELECT * FROM dialogs WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )
        if row is None:
            return None
        prompt = json.loads(row["prompt"])
        return DialogState(
            channel=channel,
            chat_id=chat_id,
            person_id=row["person_id"],
            flow=row["flow"],
            step=row["step"],
            data=json.loads(row["data"]),
            prompt=Prompt(
                prompt.get("nonce", ""), prompt.get("values", []), prompt.get("labels", []),
                prompt.get("untyped", []),
            ),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

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
