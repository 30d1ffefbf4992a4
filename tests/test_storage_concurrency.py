"""Under load, every chat reads back the dialog state it just saved (no stale snapshots)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.storage import DialogState, open_storage


async def test_ninety_six_chats_saving_and_loading_at_once_always_read_their_latest_step(
    tmp_path: Path,
) -> None:
    storage = await open_storage(tmp_path / "load.sqlite3")
    try:
        people = [await storage.people.get_or_create("fake", f"p{i}", "vi") for i in range(96)]
        stale: list[tuple[int, int, str]] = []

        async def walk(i: int) -> None:
            state = DialogState("fake", f"p{i}", people[i].id, flow="report")
            for step in range(50):
                state.step = f"s{step}"
                await storage.dialogs.save(state, datetime.now(UTC))
                loaded = await storage.dialogs.load("fake", f"p{i}")
                if loaded is None or loaded.step != f"s{step}":
                    stale.append((i, step, loaded.step if loaded else "none"))

        await asyncio.gather(*(walk(i) for i in range(96)))
        assert stale == []
        final = await storage.db.fetchall("SELECT step FROM dialogs ORDER BY chat_id")
        assert [r["step"] for r in final] == ["s49"] * 96
    finally:
        await storage.close()
