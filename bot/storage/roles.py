"""Roles and bans: who reviews which communes, who files for residents of which (officers), who
administers, who may not submit."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.audit import write_audit
from bot.storage.database import Database
from bot.storage.menus import queue_menu
from bot.storage.people import Person, now_iso
from bot.workflow import Role, SystemActor

__all__ = ["ReviewerLine", "Roles", "ScopeChange"]


@dataclass(frozen=True, slots=True)
class ReviewerLine:
    """A reviewer, officer or admin and the communes they review or file for (0 = all)."""

    person: Person
    communes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """A person's role and communes (0 = all) before and after a grant or a revocation."""

    before_role: str
    before: tuple[int, ...]
    after_role: str
    after: tuple[int, ...]


class Roles:
    """Repository of roles, scopes and bans."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def matches(self, ref: str) -> list[Person]:
        """Everyone a reference names: @username (several, if rows share it), 'channel:id', or a
        numeric Telegram id (one at most)."""
        ref = ref.strip()
        if ref.startswith("@") and len(ref) > 1:
            rows = await self._db.fetchall(
                "SELECT * FROM people WHERE lower(username) = lower(?) AND erased_at IS NULL"
                " ORDER BY id", (ref[1:],),
            )
        elif ":" in ref:
            channel, _, external = ref.partition(":")
            rows = await self._db.fetchall(
                "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external)
            )
        elif ref.lstrip("-").isdecimal():
            rows = await self._db.fetchall(
                "SELECT * FROM people WHERE channel = 'telegram' AND external_id = ?", (ref,)
            )
        else:
            return []
        return [Person.from_row(row) for row in rows]

    async def similar(self, ref: str) -> list[Person]:
        """People a reference that named nobody may have meant: the same account id or username
        on any channel ('root' → console:root, '123' → zalo:123)."""
        bare = ref.strip().lstrip("@").rpartition(":")[2]
        if not bare:
            return []
        rows = await self._db.fetchall(
            "SELECT * FROM people WHERE erased_at IS NULL AND (external_id = ?"
            " OR lower(username) = lower(?)) ORDER BY id LIMIT 5", (bare, bare),
        )
        return [Person.from_row(row) for row in rows]

    async def grant(self, person_id: int, role: str, communes: tuple[int, ...] = (), *,
                    by: int | None = None, system: SystemActor | None = None,
                    from_list: bool = False) -> ScopeChange:
        """Make someone a reviewer or an officer of exactly these communes (0 = all), or an admin;
        audited with `by` (the admin), or the system actor, or neither (an operator at the
        command line).
        `from_list` when the role comes from ADMIN_IDS rather than a command."""
        async with self._db.transaction() as tx:
            before, scope = await _role(tx, person_id), await _scope(tx, person_id)
            await _set_role(tx, person_id, role, communes, from_list)
            await write_audit(tx, "grant", actor_id=by, system=system, person_id=person_id,
                              details={"role": role, "communes": list(communes),
                                       "before": before, "scope_before": list(scope)})
        return ScopeChange(before or Role.CITIZEN, scope, role, communes)

    async def widen(self, person_id: int, communes: tuple[int, ...], *,
                    role: str = Role.REVIEWER, by: int | None = None) -> ScopeChange:
        """Add communes to a reviewer's (or an officer's) scope (anyone else becomes one of
        them; 0 = the whole province); audited as a grant of the communes added."""
        async with self._db.transaction() as tx:
            before, scope = await _role(tx, person_id) or Role.CITIZEN, await _scope(tx, person_id)
            kept = scope if before == role else ()
            after = (0,) if 0 in kept or 0 in communes else tuple(sorted({*kept, *communes}))
            if (before, scope) != (role, after):
                await _set_role(tx, person_id, role, after)
                await write_audit(tx, "grant", actor_id=by, person_id=person_id,
                                  details={"role": role, "communes": list(communes),
                                           "before": before, "scope_before": list(scope)})
        return ScopeChange(before, scope, role, after)

    async def narrow(self, person_id: int, communes: tuple[int, ...], *,
                     by: int | None = None) -> ScopeChange:
        """Take communes off a reviewer's (or an officer's) scope (none left: back to citizen);
        audited as a revocation of the communes taken off."""
        async with self._db.transaction() as tx:
            before, scope = await _role(tx, person_id) or Role.CITIZEN, await _scope(tx, person_id)
            after = tuple(c for c in scope if c not in communes)
            staff = before if before == Role.OFFICER else Role.REVIEWER
            role = staff if after else Role.CITIZEN
            if after != scope:
                await _set_role(tx, person_id, role, after)
                await write_audit(tx, "revoke", actor_id=by, person_id=person_id,
                                  details={"communes": [c for c in scope if c in communes],
                                           "before": before, "scope_before": list(scope)})
        return ScopeChange(before, scope, role if after != scope else before, after)

    async def revoke(self, person_id: int, *, by: int | None = None,
                     system: SystemActor | None = None) -> ScopeChange:
        """Back to citizen, with no scopes; audited."""
        async with self._db.transaction() as tx:
            before, scope = await _role(tx, person_id), await _scope(tx, person_id)
            await _set_role(tx, person_id, Role.CITIZEN, ())
            await write_audit(tx, "revoke", actor_id=by, system=system, person_id=person_id,
                              details={"before": before, "scope_before": list(scope)})
        return ScopeChange(before or Role.CITIZEN, scope, Role.CITIZEN, ())

    async def reviewers(self) -> list[ReviewerLine]:
        """Every admin, officer and reviewer, in that order."""
        rows = await self._db.fetchall_long(  # no index on role: every person is read
            "SELECT * FROM people WHERE role IN (?, ?, ?) ORDER BY role, id",
            (Role.REVIEWER, Role.ADMIN, Role.OFFICER),
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
        """The communes a person reviews, or files for as an officer (0 = all)."""
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


async def _scope(tx: aiosqlite.Connection, person_id: int) -> tuple[int, ...]:
    async with tx.execute(
        "SELECT commune_code FROM reviewer_scopes WHERE person_id = ? ORDER BY commune_code",
        (person_id,),
    ) as cur:
        return tuple(int(r[0]) for r in await cur.fetchall())


async def _set_role(tx: aiosqlite.Connection, person_id: int, role: str,
                    communes: tuple[int, ...], from_list: bool = False) -> None:
    await tx.execute("UPDATE people SET role = ?, admin_from_list = ? WHERE id = ?",
                     (role, int(from_list), person_id))
    await tx.execute("DELETE FROM reviewer_scopes WHERE person_id = ?", (person_id,))
    await tx.executemany(
        "INSERT INTO reviewer_scopes (person_id, commune_code) VALUES (?, ?)",
        [(person_id, code) for code in communes],
    )
    await queue_menu(tx, person_id)  # the person's own command menu follows their role
