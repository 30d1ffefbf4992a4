"""People: one row per channel account, with language, consent and role."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.audit import write_audit
from bot.storage.clock import now_iso as now_iso
from bot.storage.database import Database
from bot.storage.menus import queue_menu
from bot.workflow import Role, SystemActor

__all__ = ["People", "Person"]


@dataclass(slots=True)
class Person:
    """Someone who wrote to the bot on one channel."""

    id: int
    channel: str
    external_id: str
    display_name: str | None
    username: str | None
    language: str
    consent: bool | None
    role: str
    stopped: bool = False
    admin_from_list: bool = False  # the admin role came from ADMIN_IDS

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Person:
        """Build from a `people` row."""
        consent = row["consent"]
        keys = row.keys()
        return cls(
            id=row["id"],
            channel=row["channel"],
            external_id=row["external_id"],
            display_name=row["display_name"],
            username=row["username"],
            language=row["language"],
            consent=None if consent is None else bool(consent),
            role=row["role"],
            stopped=bool(row["stopped_at"]) if "stopped_at" in keys else False,
            admin_from_list=bool(row["admin_from_list"]) if "admin_from_list" in keys else False,
        )


async def _release_username(tx: aiosqlite.Connection, person: Person, username: str) -> None:
    """Take `username` off every other account of the person's channel."""
    await tx.execute(
        "UPDATE people SET username = NULL WHERE channel = ? AND lower(username) = lower(?)"
        " AND id != ?", (person.channel, username, person.id),
    )


class People:
    """Repository of people."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, channel: str, external_id: str) -> Person | None:
        """The person behind a channel account, if known."""
        row = await self._db.fetchone(
            "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        return Person.from_row(row) if row else None

    async def get(self, person_id: int) -> Person | None:
        """A person by id."""
        row = await self._db.fetchone("SELECT * FROM people WHERE id = ?", (person_id,))
        return Person.from_row(row) if row else None

    async def get_or_create(self, channel: str, external_id: str, language: str) -> Person:
        """The person behind a channel account, created (with no personal data) if new."""
        found = await self.find(channel, external_id)
        if found:
            return found
        await self._db.write(
            "INSERT INTO people (channel, external_id, language, created_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, external_id) DO NOTHING",
            (channel, external_id, language, now_iso()),
        )
        created = await self.find(channel, external_id)
        assert created is not None
        return created

    async def set_consent(
        self, person: Person, consent: bool, name: str, username: str | None
    ) -> None:
        """Record the consent answer; the name is kept only with consent."""
        async with self._db.transaction() as tx:
            if consent and username:
                await _release_username(tx, person, username)
            await tx.execute(
                "UPDATE people SET consent = ?, consent_at = ?, display_name = ?, username = ?,"
                " erased_at = NULL WHERE id = ?",
                (
                    int(consent),
                    now_iso(),
                    name if consent else None,
                    username if consent else None,
                    person.id,
                ),
            )
        person.consent = consent
        person.display_name = name if consent else None
        person.username = username if consent else None

    async def update_profile(self, person: Person, name: str, username: str | None) -> None:
        """Keep a consenting person's display name and username current.

        A username belongs to one account at a time on its channel: whoever writes with it now
        holds it, and a row that still shows it from before loses it.
        """
        async with self._db.transaction() as tx:
            if username:
                await _release_username(tx, person, username)
            await tx.execute(
                "UPDATE people SET display_name = ?, username = ? WHERE id = ? AND consent = 1",
                (name, username, person.id),
            )
        person.display_name = name
        person.username = username

    async def set_language(self, person: Person, language: str) -> None:
        """Switch the person's language (and a staff member's own command menu)."""
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE people SET language = ? WHERE id = ?", (language, person.id))
            if person.role in (Role.REVIEWER, Role.ADMIN, Role.OFFICER):
                await queue_menu(tx, person.id)
        person.language = language

    async def set_role(self, person: Person, role: str) -> None:
        """Give the person a role from the configuration (ADMIN_IDS), and the command menu that
        goes with it; audited as such."""
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE people SET role = ? WHERE id = ?", (role, person.id))
            await write_audit(tx, "grant", system=SystemActor.CONFIG, person_id=person.id,
                              details={"role": role, "before": person.role})
            await queue_menu(tx, person.id)
        person.role = role
