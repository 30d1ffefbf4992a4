"""An admin gives reviewers their communes (issue 12, item 6): /grant adds and never silently
removes, /revoke takes away some communes or every role, and each answer lists the scope before
and after. Communes are typed as elsewhere in the bot; a person named by a bare word is
suggested in the form that finds them. Every change is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat, TelegramApp
from tests.wire import TelegramPerson

LONG_XUYEN, MY_HOA_HUNG, CHAU_DOC, PHU_QUOC = 30307, 30313, 30316, 31078
BINH = "Trần Thị Bình (@binh_lx)"


async def joined(dialog: Dialog, user: str, name: str, channel: str = "fake",
                 username: str | None = None) -> FakeChat:
    chat = FakeChat(dialog, user, name=name, channel=channel, username=username)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    return chat


@pytest.fixture
async def admin(dialog: Dialog) -> FakeChat:
    """Minh (ADMIN_IDS, Telegram 9001); Bình (@binh_lx) and a console user 'root' have written."""
    minh = await joined(dialog, "9001", "Trần Minh", channel="telegram")
    await joined(dialog, "4242", "Trần Thị Bình", channel="telegram", username="binh_lx")
    await joined(dialog, "root", "root", channel="console")
    return minh


async def scope(storage: Storage, external: str = "4242") -> tuple[str, set[int]]:
    found = await storage.people.find("telegram", external)
    assert found is not None
    return found.role, set(await storage.roles.scopes(found.id))


async def audit(storage: Storage) -> list[dict[str, Any]]:
    rows = await storage.db.fetchall(
        "SELECT action, actor_id, details FROM audit_log WHERE action IN ('grant', 'revoke')"
        " AND system_actor IS NULL ORDER BY id")
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


async def test_a_grant_adds_communes_typed_as_people_type_them_and_says_before_and_after(
    admin: FakeChat, storage: Storage
) -> None:
    await admin.says("/grant @binh_lx reviewer long_xuyen")
    assert admin.text == (f"Đã giao {BINH} thẩm định: Phường Long Xuyên.\nTrước: người dân."
                          "\nNay: thẩm định — Phường Long Xuyên.")

    await admin.says('/grant @binh_lx reviewer "mỹ hòa hưng" "châu đốc"')

    assert admin.text == (
        f"Đã giao {BINH} thẩm định: Xã Mỹ Hòa Hưng, Phường Châu Đốc.\nTrước: thẩm định —"
        " Phường Long Xuyên.\nNay: thẩm định — Phường Long Xuyên, Xã Mỹ Hòa Hưng, Phường Châu"
        " Đốc.")
    assert await scope(storage) == ("reviewer", {LONG_XUYEN, MY_HOA_HUNG, CHAU_DOC})
    rows = await audit(storage)
    assert [(r["action"], r["details"]["communes"]) for r in rows] == [
        ("grant", [LONG_XUYEN]), ("grant", [MY_HOA_HUNG, CHAU_DOC])]
    assert rows[1]["details"]["scope_before"] == [LONG_XUYEN]


@pytest.mark.parametrize("typed", [
    "phu quoc chau doc", "Phú Quốc “Châu Đốc”", "31078 chau_doc", '"đặc khu phú quốc" 30316',
])
async def test_communes_with_spaces_accents_quotes_codes_or_underscores(
    admin: FakeChat, storage: Storage, typed: str
) -> None:
    await admin.says(f"/grant @binh_lx reviewer {typed}")
    assert admin.text.startswith(f"Đã giao {BINH} thẩm định: ")
    assert await scope(storage) == ("reviewer", {PHU_QUOC, CHAU_DOC})


@pytest.mark.parametrize(("typed", "answer"), [
    ("my hoa hungg", "Không tìm thấy xã/phường/đặc khu “my hoa hungg”. Có phải: Xã Mỹ Hòa Hưng,"
                     " Xã Hòa Hưng, Xã Vĩnh Hòa Hưng, Xã Hòa Thuận, Xã Thạnh Hưng? (Tên nhiều"
                     " chữ đặt trong ngoặc kép, ví dụ \"mỹ hòa hưng\".)"),
    ("long xuyen chau", "Không tìm thấy xã/phường/đặc khu “chau”. Có phải: Phường Châu Đốc, Xã"
                        " Châu Phong, Xã Châu Phú, Xã Châu Thành, Đặc khu Thổ Châu? (Tên nhiều"
                        " chữ đặt trong ngoặc kép, ví dụ \"mỹ hòa hưng\".)"),
    ("xyz", "Không tìm thấy xã/phường/đặc khu “xyz”. Gõ tên có dấu hoặc không dấu (ví dụ long"
            " xuyen, \"mỹ hòa hưng\"), hoặc mã số."),
])
async def test_an_unknown_commune_gets_the_closest_names_and_changes_nothing(
    admin: FakeChat, storage: Storage, typed: str, answer: str
) -> None:
    await admin.says(f"/grant @binh_lx reviewer {typed}")
    assert admin.text == answer
    assert await scope(storage) == ("citizen", set())
    assert await audit(storage) == []


async def test_revoke_takes_off_only_the_communes_named_then_everything(
    admin: FakeChat, storage: Storage
) -> None:
    await admin.says("/grant @binh_lx reviewer long xuyen chau doc phu quoc")
    assert await scope(storage) == ("reviewer", {LONG_XUYEN, CHAU_DOC, PHU_QUOC})

    await admin.says("/revoke @binh_lx châu đốc")
    assert admin.text == (
        f"Đã thôi giao {BINH} thẩm định: Phường Châu Đốc.\nTrước: thẩm định — Phường Long"
        " Xuyên, Phường Châu Đốc, Đặc khu Phú Quốc.\nNay: thẩm định — Phường Long Xuyên, Đặc khu"
        " Phú Quốc.")
    assert await scope(storage) == ("reviewer", {LONG_XUYEN, PHU_QUOC})

    await admin.says("/revoke @binh_lx my hoa hung")
    assert admin.text == (
        f"{BINH} không thẩm định Xã Mỹ Hòa Hưng; không có gì thay đổi.\nNay: thẩm định —"
        " Phường Long Xuyên, Đặc khu Phú Quốc.")

    await admin.says("/revoke @binh_lx")
    assert admin.text == (
        f"Đã thu hồi quyền của {BINH}.\nTrước: thẩm định — Phường Long Xuyên, Đặc khu Phú Quốc."
        "\nNay: người dân.")
    assert await scope(storage) == ("citizen", set())
    await admin.says("/revoke @binh_lx")
    assert admin.text == f"{BINH} không có quyền nào để thu hồi."
    assert [(r["action"], r["details"].get("communes")) for r in await audit(storage)] == [
        ("grant", [LONG_XUYEN, CHAU_DOC, PHU_QUOC]), ("revoke", [CHAU_DOC]), ("revoke", None)]

    await admin.says("/audit @binh_lx")
    assert "thôi giao Trần Thị Bình (@binh_lx) thẩm định — Phường Châu Đốc" in admin.text


async def test_revoking_the_last_commune_makes_them_a_resident_again(
    admin: FakeChat, storage: Storage
) -> None:
    await admin.says("/grant @binh_lx reviewer long xuyen")
    await admin.says("/revoke @binh_lx long xuyen")
    assert admin.text.endswith("\nTrước: thẩm định — Phường Long Xuyên.\nNay: người dân.")
    assert await scope(storage) == ("citizen", set())
    binh = FakeChat(admin.dialog, "4242", name="Trần Thị Bình", channel="telegram",
                    username="binh_lx")
    await binh.says("/pending")
    assert binh.text == "Lệnh này chỉ dành cho cán bộ thẩm định."


async def test_nothing_is_silently_lost_from_a_province_reviewer_or_an_admin(
    admin: FakeChat, storage: Storage
) -> None:
    await admin.says("/grant @binh_lx reviewer all")
    await admin.says("/grant @binh_lx reviewer long xuyen")
    assert admin.text == (f"{BINH} đã thẩm định Phường Long Xuyên; không có gì thay đổi."
                          "\nNay: thẩm định — toàn tỉnh.")
    await admin.says("/revoke @binh_lx long xuyen")
    assert admin.text == (
        f"{BINH} đang thẩm định toàn tỉnh nên không bớt riêng từng xã được. Để chỉ giữ một số"
        " xã: /revoke telegram:4242 rồi /grant telegram:4242 reviewer <các xã cần giữ>.")
    assert await scope(storage) == ("reviewer", {0})

    await admin.says("/grant @binh_lx admin")
    assert admin.text.endswith("\nTrước: thẩm định — toàn tỉnh.\nNay: quản trị viên — toàn tỉnh.")
    await admin.says("/grant @binh_lx reviewer chau doc")
    assert admin.text.startswith(f"{BINH} đang là quản trị viên, đã thẩm định được toàn tỉnh.")
    await admin.says("/grant @binh_lx admin")
    assert admin.text == (f"{BINH} đã là quản trị viên; không có gì thay đổi."
                          "\nNay: quản trị viên — toàn tỉnh.")
    assert await scope(storage) == ("admin", {0})


async def test_a_bare_word_that_names_nobody_suggests_the_person_it_may_mean(
    admin: FakeChat, storage: Storage
) -> None:
    await admin.says("/grant root admin")
    assert admin.text == ("Không tìm thấy người dùng “root”. Có phải: console:root? Hãy gõ đúng"
                          " như vậy.")
    await admin.says("/grant binh_lx reviewer all")  # a username typed without its @
    assert admin.text == ("Không tìm thấy người dùng “binh_lx”. Có phải: telegram:4242? Hãy gõ"
                          " đúng như vậy.")
    await admin.says("/grant console:root admin")
    assert admin.text.startswith("Đã giao root (console:root) quyền quản trị viên.")
    await admin.says("/ban nobody")
    assert admin.text.startswith("Không tìm thấy người dùng “nobody”. Hãy dùng @tên")


async def test_on_telegram_an_admin_grants_with_curly_quotes_from_a_phone_keyboard(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    binh = TelegramPerson(app, wire, 4242, "Bình", "Trần")
    await binh.says("/start")
    await binh.presses("✅ Tôi đồng ý")
    minh = TelegramPerson(app, wire, 9001, "Minh", "Trần")
    await minh.says("/start")

    await minh.says("/grant telegram:4242 reviewer “mỹ hòa hưng” “châu đốc”")

    assert wire.last_text(9001) == (
        "Đã giao Bình Trần (telegram:4242) thẩm định: Xã Mỹ Hòa Hưng, Phường Châu Đốc.\nTrước:"
        " người dân.\nNay: thẩm định — Xã Mỹ Hòa Hưng, Phường Châu Đốc.")
    assert await scope(storage) == ("reviewer", {MY_HOA_HUNG, CHAU_DOC})
