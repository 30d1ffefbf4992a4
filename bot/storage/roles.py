"""Roles and bans: who reviews which communes, who administers, who may not submit."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.audit import write_audit
from bot.storage.database import Database
from bot.storage.people import Person, now_iso
from bot.workflow import Role, SystemActor

__all__ = ["ReviewerLine", "Roles"]


@dataclass(frozen=True, slots=True)
class ReviewerLine:
    """A reviewer or admin and the communes they review (0 = all)."""

    person: Person
    communes: tuple[int, ...]


class Roles:
    """Repository of roles, scopes and bans."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, ref: str) -> Person | None:
        """A person named by @username, by 'channel:id', or by a numeric Telegram id."""
        ref = ref.strip()
        if ref.startswith("@") and len(ref) > 1:
            row = await self._db.fetchone(
                "SELECT * FROM people WHERE lower(username) = lower(?) AND erased_at IS NULL"
                " ORDER BY id LIMIT 1", (ref[1:],),
            )
        elif ":" in ref:
            channel, _, external = ref.partition(":")
            row = await self._db.fetchone(
                "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external)
            )
        elif ref.lstrip("-").isdecimal():
            row = await self._db.fetchone(
                "SELECT * FROM people WHERE channel = 'telegram' AND external_id = ?", (ref,)
            )
        else:
            return None
        return Person.from_row(row) if row else None

    async def grant(self, person_id: int, role: str, communes: tuple[int, ...] = (), *,
                    by: int | None = None, system: SystemActor | None = None) -> None:
        """Make someone a reviewer of some communes (0 = all) or an admin; audited with `by`
        (the admin), or the system actor, or neither (an operator at the command line)."""
        async with self._db.transaction() as tx:
            before = await _role(tx, person_id)
            await _set_role(tx, person_id, role, communes)
            await write_audit(tx, "grant", actor_id=by, system=system, person_id=person_id,
                              details={"role": role, "communes": list(communes),
                                       "before": before})

    async def revoke(self, person_id: int, *, by: int | None = None) -> None:
        """Back to citizen, with no scopes; audited."""
        async with self._db.transaction() as tx:
            before = await _role(tx, person_id)
            await _set_role(tx, person_id, Role.CITIZEN, ())
            await write_audit(tx, "revoke", actor_id=by, person_id=person_id,
                              details={"before": before})

    async def reviewers(self) -> list[ReviewerLine]:
        """Every reviewer and admin, admins first."""
        rows = await self._db.fetchall(
            "SELECT * FROM people WHERE role IN ('reviewer', 'admin') ORDER BY role, id"
        )
        out = []
        for row in rows:
            scopes = await self._db.fetchall(
                "SELECT commune_code FROM reviewer_scopes WHERE person_id = ?"
                " ORDER BY commune_code", (row["id"],),
            )
            out.append(ReviewerLine(Person.from_row(row), tuple(int(s[0]) for s in scopes)))
        return out

    async def scopes(self, person_id: int) -> frozenset[int]:
        """The communes a person reviews (0 = all)."""
        rows = await self._db.fetchall(
            "SELECT commune_code FROM reviewer_scopes WHERE person_id = ?", (person_id,)
        )
        return frozenset(int(r[0]) for r in rows)

    async def ban(self, person_id: int, reason: str | None, *, by: int | None = None) -> None:
        """Stop someone from submitting or resubmitting; audited."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE people SET banned_at = ?, ban_reason = ? WHERE id = ?",
                (now_iso(), reason, person_id),
            )
            await write_audit(tx, "ban", actor_id=by, person_id=person_id,
                              details={"reason": reason} if reason else {})

    async def unban(self, person_id: int, *, by: int | None = None) -> None:
        """Lift a ban; audited."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE people SET banned_at = NULL, ban_reason = NULL WHERE id = ?", (person_id,)
            )
            await write_audit(tx, "unban", actor_id=by, person_id=person_id)

    async def is_banned(self, person_id: int) -> bool:
        """Whether the person is banned now."""
        row = await self._db.fetchone("SELECT banned_at FROM people WHERE id = ?", (person_id,))
        return bool(row and row["banned_at"])


async def _role(tx: aiosqlite.Connection, person_id: int) -> str | None:
    async with tx.execute("SELECT role FROM people WHERE id = ?", (person_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def _set_role(tx: aiosqlite.Connection, person_id: int, role: str,
                    communes: tuple[int, ...]) -> None:
    await tx.execute("UPDATE people SET role = ? WHERE id = ?", (role, person_id))
    await tx.execute("DELETE FROM reviewer_scopes WHERE person_id = ?", (person_id,))
    await tx.executemany(
        "INSERT INTO reviewer_scopes (person_id, commune_code) VALUES (?, ?)",
        [(person_id, code) for code in communes],
    )
