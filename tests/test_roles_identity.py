"""Who is who: profile fields kept current, an ambiguous @username refused, and ADMIN_IDS as the
source of truth for the bootstrap admins (README: "Who is an admin")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.dialog import Dialog
from bot.messages import Incoming, Reply, plain_text
from bot.storage import Person, Storage
from tests.conftest import NUMBERED

ADMIN = 9001  # in ADMIN_IDS (tests/conftest.py)
OLD_OWNER, OFFICER, OTHER = 111, 222, 333
AMBIGUOUS = (
    "Có nhiều người từng dùng tên @cb_long_xuyen: telegram:111 (Người cũ), telegram:222"
    " (Cán bộ Long Xuyên). Hãy gọi đúng người bằng mã, ví dụ /grant telegram:111 …"
)
LISTED = (
    "Bình An (telegram:9001) là quản trị viên theo ADMIN_IDS trong cấu hình. Muốn đổi vai trò"
    " của người này, hãy sửa ADMIN_IDS trong tệp .env rồi khởi động lại bot."
)


async def say(dialog: Dialog, user_id: int, text: str, *, name: str = "Bình An",
              username: str | None = None) -> str:
    """A Telegram message from `user_id`; what the bot answered, as plain text."""
    content: dict[str, object] = {"text": text}
    if text.startswith("/"):
        head, *args = text.split()
        content = {"command": head[1:], "args": tuple(args)}
    incoming = Incoming("telegram", str(user_id), str(user_id), NUMBERED, display_name=name,
                        username=username, **content)  # type: ignore[arg-type]
    replies: list[Reply] = await dialog.handle(incoming, datetime.now(UTC))
    return "\n".join(plain_text(r.text) for r in replies)


async def consents(dialog: Dialog, user_id: int, name: str, username: str | None) -> None:
    await say(dialog, user_id, "/start", name=name, username=username)
    await say(dialog, user_id, "1", name=name, username=username)


async def person(storage: Storage, user_id: int) -> Person:
    found = await storage.people.find("telegram", str(user_id))
    assert found is not None
    return found


# --- 5. profile fields and @username -----------------------------------------------------------


async def test_a_new_username_is_stored_at_the_next_message_even_when_the_name_is_the_same(
    dialog: Dialog, storage: Storage
) -> None:
    await consents(dialog, OFFICER, "Cán bộ Long Xuyên", "cb_old")
    await say(dialog, OFFICER, "/help", name="Cán bộ Long Xuyên", username="cb_long_xuyen")
    assert (await person(storage, OFFICER)).username == "cb_long_xuyen"
    await say(dialog, OFFICER, "/help", name="Cán bộ Long Xuyên", username=None)
    assert (await person(storage, OFFICER)).username is None


async def test_a_username_moves_to_the_account_that_uses_it_now_and_grant_finds_that_one(
    dialog: Dialog, storage: Storage
) -> None:
    await consents(dialog, OLD_OWNER, "Người cũ", "cb_long_xuyen")
    # The old owner gave the name up on Telegram (and has not written since); the officer took it.
    await consents(dialog, OFFICER, "Cán bộ Long Xuyên", "cb_long_xuyen")
    assert (await person(storage, OLD_OWNER)).username is None
    answer = await say(dialog, ADMIN, "/grant @cb_long_xuyen reviewer long_xuyen")
    assert answer == ("Đã giao Cán bộ Long Xuyên (@cb_long_xuyen) thẩm định: Phường Long Xuyên."
                      "\nTrước: người dân.\nNay: thẩm định — Phường Long Xuyên.")
    assert (await person(storage, OFFICER)).role == "reviewer"
    assert (await person(storage, OLD_OWNER)).role == "citizen"


@pytest.mark.parametrize("command", [
    "/grant @cb_long_xuyen reviewer long_xuyen", "/grant @CB_Long_Xuyen admin",
    "/revoke @cb_long_xuyen", "/ban @cb_long_xuyen spam", "/unban @cb_long_xuyen",
])
async def test_an_ambiguous_username_is_refused_with_the_candidates_by_id(
    dialog: Dialog, storage: Storage, command: str
) -> None:
    await consents(dialog, OLD_OWNER, "Người cũ", "x")
    await consents(dialog, OFFICER, "Cán bộ Long Xuyên", "y")
    await storage.roles.grant((await person(storage, OLD_OWNER)).id, "reviewer", (0,))
    # Rows written before usernames moved between accounts can still share one.
    await storage.db.write("UPDATE people SET username = 'cb_long_xuyen' WHERE external_id IN"
                           " ('111', '222')")
    answer = await say(dialog, ADMIN, command)
    name, ref = command.split()[:2]
    assert answer == AMBIGUOUS.replace("/grant", name).replace("@cb_long_xuyen", ref)
    rows = await storage.db.fetchall(
        "SELECT external_id, role, banned_at FROM people WHERE external_id IN ('111', '222')"
        " ORDER BY id")
    assert [tuple(r) for r in rows] == [("111", "reviewer", None), ("222", "citizen", None)]


# --- 15. ADMIN_IDS is the source of truth for the bootstrap admins ---------------------------


async def test_leaving_admin_ids_demotes_a_bootstrap_admin_at_their_next_message(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    await consents(dialog, ADMIN, "Bình An", None)
    listed = await person(storage, ADMIN)
    assert (listed.role, listed.admin_from_list) == ("admin", True)

    after_edit = Dialog(storage, settings.model_copy(update={"admin_ids": ()}))
    answer = await say(after_edit, ADMIN, "/reviewers")
    assert answer == "Lệnh này chỉ dành cho quản trị viên."
    demoted = await person(storage, ADMIN)
    assert (demoted.role, demoted.admin_from_list) == ("citizen", False)
    assert await storage.roles.scopes(demoted.id) == frozenset()


async def test_revoke_of_someone_still_in_admin_ids_is_refused_saying_to_edit_admin_ids(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    await consents(dialog, ADMIN, "Bình An", None)
    granted = Dialog(storage, settings.model_copy(update={"admin_ids": (ADMIN, OTHER)}))
    await consents(granted, OTHER, "Quản trị thứ hai", None)
    for command in ("/revoke telegram:9001", "/grant 9001 reviewer long_xuyen"):
        assert await say(granted, OTHER, command) == LISTED
    await say(dialog, ADMIN, "/help")
    assert (await person(storage, ADMIN)).role == "admin"


async def test_an_admin_granted_by_command_stays_when_not_in_admin_ids(
    dialog: Dialog, storage: Storage
) -> None:
    await consents(dialog, ADMIN, "Bình An", None)
    await consents(dialog, OTHER, "Chị Ba", None)
    assert await say(dialog, ADMIN, f"/grant {OTHER} admin") == (
        "Đã giao Chị Ba (telegram:333) quyền quản trị viên.\nTrước: người dân."
        "\nNay: quản trị viên — toàn tỉnh.")
    await say(dialog, OTHER, "/help", name="Chị Ba")
    other = await person(storage, OTHER)
    assert (other.role, other.admin_from_list) == ("admin", False)
    revoked = await say(dialog, ADMIN, f"/revoke {OTHER}")
    assert revoked == ("Đã thu hồi quyền của Chị Ba (telegram:333).\nTrước: quản trị viên —"
                       " toàn tỉnh.\nNay: người dân.")
    assert (await person(storage, OTHER)).role == "citizen"
