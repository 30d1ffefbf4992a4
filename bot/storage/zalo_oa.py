"""Zalo OA state: the token pair, the PKCE verifier, users' interaction windows, webhook events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.storage.reviews import queue_message
from bot.workflow import Role

__all__ = ["OA_CHANNEL", "REAUTH_NOTICE", "OaUser", "Tokens", "ZaloOaStore", "stamp"]

OA_CHANNEL = "zalo_oa"
REAUTH_NOTICE = "zalo_oa.reauth_needed"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    """An instant as stored here: UTC, milliseconds, fixed width (text order is time order)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Tokens:
    """The stored pair: the access token (empty until the first refresh) and its expiry."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    state: str
    error: str | None
    lease_until: datetime | None


@dataclass(frozen=True, slots=True)
class OaUser:
    """What the bot knows of an OA user's window: their last message, and whether they left."""

    last_inbound_at: datetime | None
    unfollowed: bool


class ZaloOaStore:
    """Repository of the OA channel's own rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- tokens -------------------------------------------------------------------------------

    async def tokens(self) -> Tokens | None:
        """The stored pair, if any."""
        row = await self._db.fetchone("SELECT * FROM zalo_oa_tokens WHERE id = 1")
        if row is None:
            return None
        expires = _when(row["expires_at"]) or _EPOCH
        return Tokens(row["access_token"], row["refresh_token"], expires, row["state"],
                      row["error"], _when(row["lease_until"]))

    async def seed(self, refresh_token: str, now: datetime) -> bool:
        """Store the refresh token from the settings when there is no pair yet, or when the
        stored one needs re-authorisation and this one was never seeded before."""
        digest = _digest(refresh_token)
        return await self._db.write(
            "INSERT INTO zalo_oa_tokens (id, refresh_token, expires_at, seed_hash, updated_at)"
            " VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET access_token = '',"
            " refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,"
            " seed_hash = excluded.seed_hash, state = 'ok', error = NULL, lease_until = NULL,"
            " updated_at = excluded.updated_at WHERE zalo_oa_tokens.state = 'needs_reauth'"
            " AND zalo_oa_tokens.seed_hash IS NOT excluded.seed_hash",
            (refresh_token, stamp(_EPOCH), digest, stamp(now)),
        ) == 1

    async def claim(self, refresh_token: str, now: datetime, until: datetime) -> bool:
        """Take the right to refresh this pair until `until`, unless another task or process
        holds it: the one refresh at a time, across processes."""
        return await self._db.write(
            "UPDATE zalo_oa_tokens SET lease_until = ? WHERE id = 1 AND refresh_token = ?"
            " AND state = 'ok' AND (lease_until IS NULL OR lease_until < ?)",
            (stamp(until), refresh_token, stamp(now)),
        ) == 1

    async def save(self, old_refresh: str, access: str, refresh: str, expires_at: datetime,
                   now: datetime) -> bool:
        """Replace the pair refreshed from `old_refresh` (and only that one) by the new one."""
        return await self._db.write(
            "UPDATE zalo_oa_tokens SET access_token = ?, refresh_token = ?, expires_at = ?,"
            " state = 'ok', error = NULL, lease_until = NULL, updated_at = ?"
            " WHERE id = 1 AND refresh_token = ?",
            (access, refresh, stamp(expires_at), stamp(now), old_refresh),
        ) == 1

    async def release(self, refresh_token: str) -> None:
        """Give the right to refresh back without a new pair (the refresh could not be tried)."""
        await self._db.write(
            "UPDATE zalo_oa_tokens SET lease_until = NULL WHERE id = 1 AND refresh_token = ?",
            (refresh_token,),
        )

    async def refused(self, refresh_token: str, error: str, now: datetime,
                      admin_chats: Iterable[tuple[str, str]] = ()) -> bool:
        """The platform refused this refresh token: mark the channel as needing
        re-authorisation and, the first time, queue a notice to every admin on another channel
        (people with the admin role, and `admin_chats` not yet known as people). The refresh
        token is kept."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "UPDATE zalo_oa_tokens SET state = 'needs_reauth', error = ?, lease_until = NULL,"
                " updated_at = ? WHERE id = 1 AND refresh_token = ? AND state = 'ok'",
                (error[:300], stamp(now), refresh_token),
            ) as cur:
                flagged = cur.rowcount == 1
            if not flagged:
                return False
            params = {"error": error[:300]}
            async with tx.execute(
                "SELECT id, channel, external_id FROM people WHERE role = ? AND channel != ?"
                " AND erased_at IS NULL", (Role.ADMIN, OA_CHANNEL),
            ) as cur:
                admins = await cur.fetchall()
            for row in admins:
                await queue_message(tx, int(row["id"]), REAUTH_NOTICE, params)
            known = {(r["channel"], r["external_id"]) for r in admins}
            for channel, chat_id in admin_chats:
                if channel != OA_CHANNEL and (channel, chat_id) not in known:
                    await tx.execute(
                        "INSERT INTO outbox (kind, channel, chat_id, template, params,"
                        " next_attempt_at, created_at) VALUES ('message', ?, ?, ?, ?, ?, ?)",
                        (channel, chat_id, REAUTH_NOTICE, json.dumps(params, ensure_ascii=False),
                         now_iso(), now_iso()),
                    )
        return True

    async def authorised(self, access: str, refresh: str, expires_at: datetime, now: datetime,
                         seeded: str | None = None) -> None:
        """Store the pair an admin's consent gave; `seeded` (the refresh token in the settings)
        is marked as used, so it is not seeded over this pair later."""
        await self._db.write(
            "INSERT INTO zalo_oa_tokens (id, access_token, refresh_token, expires_at, seed_hash,"
            " updated_at) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
            " expires_at = excluded.expires_at, seed_hash = COALESCE(excluded.seed_hash,"
            " zalo_oa_tokens.seed_hash), state = 'ok', error = NULL, lease_until = NULL,"
            " updated_at = excluded.updated_at",
            (access, refresh, stamp(expires_at), _digest(seeded) if seeded else None, stamp(now)),
        )

    # --- PKCE -----------------------------------------------------------------------------------

    async def pkce(self, verifier: str, state: str, now: datetime, *, renew: bool = False
                   ) -> tuple[str, str]:
        """The stored verifier and state, or these new ones when none are stored or `renew`:
        the challenge may be saved in the app console, and a link printed earlier stays good."""
        conflict = ("DO UPDATE SET code_verifier = excluded.code_verifier, state = excluded.state,"
                    " created_at = excluded.created_at") if renew else "DO NOTHING"
        await self._db.write(
            "INSERT INTO zalo_oa_pkce (id, code_verifier, state, created_at) VALUES (1, ?, ?, ?)"
            f" ON CONFLICT (id) {conflict}", (verifier, state, stamp(now)),
        )
        row = await self._db.fetchone("SELECT code_verifier, state FROM zalo_oa_pkce")
        assert row is not None
        return str(row["code_verifier"]), str(row["state"])

    # --- users ----------------------------------------------------------------------------------

    async def seen(self, user_id: str, at: datetime) -> None:
        """The user interacted at `at`: their window is open from then (a later unfollow stays)."""
        when = stamp(at)
        await self._db.write(
            "INSERT INTO zalo_oa_users (user_id, last_inbound_at) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET last_inbound_at ="
            " MAX(COALESCE(last_inbound_at, ''), excluded.last_inbound_at), unfollowed_at ="
            " CASE WHEN unfollowed_at <= excluded.last_inbound_at THEN NULL ELSE unfollowed_at END",
            (user_id, when),
        )

    async def user(self, user_id: str) -> OaUser:
        """The user's last message and whether they unfollowed since."""
        row = await self._db.fetchone(
            "SELECT last_inbound_at, unfollowed_at FROM zalo_oa_users WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return OaUser(None, False)
        return OaUser(_when(row["last_inbound_at"]), row["unfollowed_at"] is not None)

    async def unfollowed(self, user_id: str, at: datetime) -> None:
        """The user unfollowed the OA: nothing more is sent to them until they write again."""
        when = stamp(at)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO zalo_oa_users (user_id, unfollowed_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET unfollowed_at = excluded.unfollowed_at"
                " WHERE last_inbound_at IS NULL OR last_inbound_at < excluded.unfollowed_at",
                (user_id, when),
            )
            await tx.execute(
                "UPDATE people SET stopped_at = ? WHERE channel = ? AND external_id = ?"
                " AND stopped_at IS NULL", (now_iso(), OA_CHANNEL, user_id),
            )

    # --- webhook events -------------------------------------------------------------------------

    async def receive(self, key: str, body: str, now: datetime) -> bool:
        """Keep an event until it is handled; False when this event was received before."""
        return await self._db.write(
            "INSERT INTO zalo_oa_events (key, body, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING", (key, body, stamp(now)),
        ) == 1

    async def handled(self, key: str) -> None:
        """The event was answered: keep only its key (for de-duplication)."""
        await self._db.write("UPDATE zalo_oa_events SET body = NULL WHERE key = ?", (key,))

    async def unhandled(self) -> list[tuple[str, str]]:
        """Events received but not answered (the process stopped meanwhile), oldest first."""
        rows = await self._db.fetchall(
            "SELECT key, body FROM zalo_oa_events WHERE body IS NOT NULL ORDER BY received_at"
        )
        return [(str(r["key"]), str(r["body"])) for r in rows]

    async def prune(self, before: datetime) -> int:
        """Forget the keys of handled events received before `before`."""
        return await self._db.write(
            "DELETE FROM zalo_oa_events WHERE body IS NULL AND received_at < ?", (stamp(before),)
        )
