"""The campaign as a person reads it (/phongtrao), a report under one content, and nominations.

Everyone talks on a channel without buttons (FakeChat): they type commands and option numbers
and read what the bot answers. Storage is checked for what each journey leaves behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.buttons import decode
from bot.config import Settings
from bot.content import ContentError, load_library
from bot.content.campaign import CampaignError, load_campaign
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.handlers.campaign import CampaignContent
from bot.messages import Reply, plain_text
from bot.storage import Person, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat

PROJECT = Path(__file__).resolve().parent.parent
LONG_XUYEN, CHAU_DOC, PHU_QUOC = 30307, 30316, 31078

# --- the words the bot must use (bot/content/vi.toml and the campaign file) ---------------------

THEME = (
    "Đảng bộ, chính quyền, Nhân dân và lực lượng vũ trang tỉnh An Giang đoàn kết, sáng tạo,"
    " thi đua thực hiện thắng lợi nhiệm vụ phát triển kinh tế - xã hội"
)
PERIOD = "Thời gian: Từ ngày ban hành Kế hoạch đến hết tháng 6 năm 2025."
CONTENT_BUTTONS = [
    "1. Chấp hành chủ trương, chính sách, pháp luật",
    "2. Các phong trào thi đua trọng tâm",
    "3. Hoàn thành vượt mức nhiệm vụ được giao",
    "4. Hệ thống chính trị, an ninh trật tự",
    "5. Đại hội, lập thành tích chào mừng ngày lễ lớn",
]
MOVEMENTS_2 = [
    "Cả nước chung sức xây dựng nông thôn mới",
    "Vì người nghèo - Không để ai bị bỏ lại phía sau",
    "Cán bộ, công chức, viên chức thi đua thực hiện văn hóa công sở",
    "Đẩy mạnh phát triển kết cấu hạ tầng đồng bộ, hiện đại; thực hành tiết kiệm, chống lãng phí",
    "Cả nước thi đua xây dựng xã hội học tập, đẩy mạnh học tập suốt đời",
    "Cả nước chung tay xóa nhà tạm, nhà dột nát trong năm 2025",
    "500 ngày đêm thi đua hoàn thành 3.000 km đường bộ cao tốc",
]
EXAMPLE_2 = (
    "Ví dụ nên kể: Một hộ gia đình hiến đất làm đường nông thôn; nhóm thanh niên giúp xóa nhà"
    " tạm cho hộ nghèo."
)
REPORT_HERE = "📝 Kể gương sáng thuộc nội dung này"
BACK = "⬅️ Về phong trào"
BANG_KHEN = "Bằng khen của Chủ tịch UBND tỉnh"
GIAY_KHEN = "Giấy khen của Thủ trưởng đơn vị"
PROVINCE_RULE = "không đề nghị khen thưởng cấp tỉnh"
ASK_KIND = "Bước 1/12. Bạn muốn kể về điều gì?"
ASK_CONTENT = "Câu chuyện thuộc nội dung thi đua nào?"
ASK_MOVEMENT = "Câu chuyện có thuộc phong trào nào dưới đây không?"
NOMINATE = "🏅 Đề nghị khen thưởng"
NOT_REVIEWER = "Lệnh này chỉ dành cho cán bộ thẩm định."
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
# Monday 3 March 2025, 09:00 in An Giang: the 2025 campaign is open (1 January - 30 June 2025).
IN_2025 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
CONTENT_KEYS = ["policy_law", "key_movements", "exceed_targets", "political_security",
                "celebrations"]
REASON = "Vận động bà con góp công sửa cầu, tiêu biểu của phường"


# --- people -------------------------------------------------------------------------------------


async def join(chat: FakeChat) -> Person:
    """/start and agree to the privacy notice; the person as stored."""
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    found = await chat.dialog.storage.people.find(chat.channel, chat.user_id)
    assert found is not None
    return found


async def staff(chat: FakeChat, role: str, communes: tuple[int, ...]) -> Person:
    found = await join(chat)
    await chat.dialog.storage.roles.grant(found.id, role, communes)
    return found


async def report(chat: FakeChat, title: str = TITLE, commune: str = "long xuyen") -> str:
    """A consenting person files a story under content 1; the #id line the bot said."""
    await chat.says("/report")
    await chat.picks("Gương người tốt, việc tốt")
    await chat.picks("Chấp hành tốt chủ trương")
    for answer in (commune, "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh", title, GOOD_DESCRIPTION,
                   "02/02/2025"):
        await chat.says(answer)
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Không, giấu tên tôi")
    await chat.picks("Gửi")
    return chat.text


async def prompt_values(chat: FakeChat) -> list[str]:
    """The values behind the options the person was last shown, as the dialog remembers them."""
    state = await chat.dialog.storage.dialogs.load(chat.channel, chat.user_id)
    assert state is not None
    return list(state.prompt.values)


async def rows(storage: Storage, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await storage.db.fetchall(sql, params)]


async def snapshot(storage: Storage) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a nomination could write."""
    queries = {
        "nominations": "SELECT * FROM nominations ORDER BY id",
        "events": "SELECT id, action FROM story_events ORDER BY id",
        "outbox": "SELECT id, template FROM outbox ORDER BY id",
        "stories": "SELECT id, status, version FROM stories ORDER BY id",
    }
    return {name: [tuple(r) for r in await storage.db.fetchall(sql)]
            for name, sql in queries.items()}


# --- /phongtrao --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/phongtrao", "/campaign"])
async def test_the_overview_quotes_the_theme_and_the_period_and_offers_five_contents(
    chat: FakeChat, command: str
) -> None:
    chat.now = IN_2025
    await chat.says(command)

    text = chat.text
    assert text.startswith("Đợt thi đua đặc biệt lập thành tích chào mừng Đại hội Đảng bộ")
    assert f"Chủ đề: “{THEME}”" in text
    assert PERIOD in text
    assert "Năm nội dung thi đua — chọn một nội dung để xem chi tiết:" in text
    assert chat.options()[:5] == CONTENT_BUTTONS
    assert chat.options()[5:] == ["🎯 Mục tiêu, đối tượng", "🏅 Khen thưởng", "📅 Thời hạn"]
    values = await prompt_values(chat)
    assert [decode(v) for v in values[:5]] == [
        CampaignContent("an-giang-2025", key) for key in CONTENT_KEYS]
    assert "<i>“" in chat.replies[0].text  # the theme is shown as a quotation


async def test_content_2_lists_its_seven_movements_and_an_example(chat: FakeChat) -> None:
    chat.now = IN_2025
    await chat.says("/phongtrao")
    await chat.picks("2. Các phong trào")

    text = chat.text
    assert text.startswith(
        "Nội dung 2: Thực hiện có hiệu quả các phong trào thi đua trọng tâm trong phạm vi cả nước")
    listed = [line.removeprefix("• ") for line in text.splitlines() if line.startswith("• ")]
    assert listed == MOVEMENTS_2
    assert text.index("Các phong trào:") < text.index(EXAMPLE_2)
    assert chat.options() == [REPORT_HERE, BACK]
    assert chat.replies[0].edit

    await chat.picks(BACK)
    assert f"Chủ đề: “{THEME}”" in chat.text
    assert chat.options()[:5] == CONTENT_BUTTONS


async def test_a_content_without_movements_shows_only_its_example(chat: FakeChat) -> None:
    chat.now = IN_2025
    await chat.says("/phongtrao")
    await chat.picks("3. Hoàn thành")
    assert "Các phong trào" not in chat.text
    assert "Ví dụ nên kể: Một đơn vị hoàn thành chỉ tiêu năm trước thời hạn" in chat.text


async def test_reporting_under_a_content_skips_the_content_step_and_files_it(
    chat: FakeChat, storage: Storage
) -> None:
    chat.now = IN_2025
    await join(chat)
    await chat.says("/phongtrao")
    await chat.picks("2. Các phong trào")
    await chat.picks(REPORT_HERE)
    assert ASK_KIND in chat.text

    await chat.picks("Mô hình hay, cách làm hay")
    assert ASK_CONTENT not in chat.text
    assert ASK_MOVEMENT in chat.text  # content 2 has movements: asked right after the kind
    assert chat.options()[:7] == MOVEMENTS_2
    await chat.picks("Cả nước chung tay xóa nhà tạm")
    for answer in ("long xuyen", "Nhóm thanh niên phường Long Xuyên", "đoàn viên thanh niên",
                   "Xóa nhà tạm cho hộ nghèo", GOOD_DESCRIPTION, "02/02/2025"):
        await chat.says(answer)
    for option in ("Bỏ qua", "Bỏ qua", "Bỏ qua", "Không, giấu tên tôi"):
        await chat.picks(option)
    assert ("Nội dung thi đua: Thực hiện có hiệu quả các phong trào thi đua trọng tâm trong"
            " phạm vi cả nước\nPhong trào: Cả nước chung tay xóa nhà tạm") in chat.text
    await chat.picks("Gửi")
    assert "Câu chuyện của bạn là #1." in chat.text

    story = await rows(storage, "SELECT kind, content, movement, campaign FROM stories")
    assert story == [{"kind": "model_practice", "content": "key_movements",
                      "movement": "makeshift_houses_2025", "campaign": "an-giang-2025"}]


async def test_going_back_from_the_first_step_after_a_preset_content_never_shows_contents(
    chat: FakeChat,
) -> None:
    chat.now = IN_2025
    await join(chat)
    await chat.says("/phongtrao")
    await chat.picks("4. Hệ thống chính trị")
    await chat.picks(REPORT_HERE)
    await chat.picks("Gương người tốt, việc tốt")
    assert ASK_MOVEMENT in chat.text
    await chat.picks("Quay lại")
    assert ASK_KIND in chat.text
    assert ASK_CONTENT not in chat.text


async def test_the_awards_view_shows_both_forms_and_the_provincial_rule(chat: FakeChat) -> None:
    chat.now = IN_2025
    await chat.says("/phongtrao")
    await chat.picks("🏅 Khen thưởng")

    text = chat.text
    assert text.startswith("Hình thức khen thưởng")
    assert f"• {BANG_KHEN}: Cho tập thể, cá nhân có thành tích tiêu biểu xuất sắc" in text
    assert f"• {GIAY_KHEN}: Các cơ quan, đơn vị, địa phương quy định số lượng" in text
    assert PROVINCE_RULE in text
    assert "Lưu ý: Những cơ quan, đơn vị, địa phương không tổ chức phát động" in text
    assert chat.options() == [BACK]


async def test_goals_and_deadlines_are_shown(chat: FakeChat) -> None:
    chat.now = IN_2025
    await chat.says("/phongtrao")
    await chat.picks("🎯 Mục tiêu")
    assert chat.text.startswith("Mục tiêu")
    assert "• Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh" in chat.text
    assert "Ai tham gia: Tập thể (sở, ngành" in chat.text
    await chat.picks(BACK)
    await chat.picks("📅 Thời hạn")
    assert "trước ngày 25/02" in chat.text and "trước ngày 31/07" in chat.text


async def test_a_filed_story_records_the_campaign_open_that_day(
    dialog: Dialog, storage: Storage
) -> None:
    u1 = FakeChat(dialog, "u1")
    u1.now = IN_2025
    await join(u1)
    assert "Câu chuyện của bạn là #1." in await report(u1)
    u1.now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # no campaign with a period is open
    assert "Câu chuyện của bạn là #2." in await report(u1, "Lớp học bơi miễn phí ở ấp")
    assert await rows(storage, "SELECT campaign, content FROM stories ORDER BY id") == [
        {"campaign": "an-giang-2025", "content": "policy_law"},
        {"campaign": "thuong-xuyen", "content": "policy_law"}]


# --- the campaign file -------------------------------------------------------------------------

SHIPPED = PROJECT / "bot" / "content" / "campaigns" / "an-giang-2025.toml"


def _without(text: str, line_start: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(line_start))


def test_the_shipped_campaign_loads_with_five_contents() -> None:
    loaded = load_campaign(SHIPPED)
    assert [c.number for c in loaded.contents] == [1, 2, 3, 4, 5]
    assert [c.key for c in loaded.contents] == CONTENT_KEYS
    assert len(loaded.content("key_movements").movements) == 7  # type: ignore[union-attr]
    assert [a.id for a in loaded.awards] == ["bang_khen", "giay_khen"]


def test_a_campaign_file_without_a_required_field_names_it(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    # Every [[kinds]] table goes: the required list is missing.
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("[["):
            skipping = line == "[[kinds]]"
        if not skipping:
            kept.append(line)
    path = tmp_path / "no-kinds.toml"
    path.write_text("\n".join(kept), encoding="utf-8")

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Campaign file no-kinds.toml: kinds:")


def test_a_content_without_its_short_name_is_named_with_its_place(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    first = text.index('short_vi = "Chấp hành chủ trương')
    end = text.index("\n", first)
    path = tmp_path / "broken.toml"
    path.write_text(text[:first] + text[end + 1:], encoding="utf-8")

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    assert str(caught.value).startswith("Campaign file broken.toml: contents.0.short_vi:")


def test_a_preferred_campaign_that_no_file_defines_is_refused_in_one_line() -> None:
    for name in ("nonexistent", "../vi"):
        with pytest.raises(ContentError) as caught:
            load_library(None, preferred=name)
        assert str(caught.value) == (
            f"Invalid setting CAMPAIGN: no campaign has the key {name!r}"
            " (known: an-giang-2025, thuong-xuyen)")
    assert load_library(None, preferred="an-giang-2025").campaigns.preferred == "an-giang-2025"


def test_python_m_bot_with_an_unknown_campaign_exits_2_with_one_line(tmp_path: Path) -> None:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(tmp_path / "data" / "cli.sqlite3"), TELEGRAM_BOT_TOKEN="",
                   CAMPAIGN="nonexistent", PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"], cwd=PROJECT, env=environ,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "nonexistent" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "data" / "cli.sqlite3").exists()


# --- nominations -------------------------------------------------------------------------------


class FakeSender:
    """The fake channel's Sender for the outbox worker: records (chat, plain text)."""

    channel = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self.sent.append((chat_id, plain_text(reply.text)))
        return str(len(self.sent))


@dataclass
class Commune:
    storage: Storage
    u1: FakeChat  # a resident of Long Xuyên, reporter of #1
    r1: FakeChat  # reviewer of Phường Long Xuyên
    r2: FakeChat  # reviewer of Đặc khu Phú Quốc
    reporter: Person
    reviewer: Person
    other: Person


@pytest.fixture
async def town(dialog: Dialog) -> Commune:
    u1 = FakeChat(dialog, "u1")
    r1 = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    r2 = FakeChat(dialog, "r2", name="Huỳnh Văn Đảo")
    reviewer = await staff(r1, "reviewer", (LONG_XUYEN,))
    other = await staff(r2, "reviewer", (PHU_QUOC,))
    reporter = await join(u1)
    u1.now = IN_2025  # filed under the 2025 campaign, whose award rule the reviewers read
    assert "Câu chuyện của bạn là #1." in await report(u1)
    u1.now = None
    return Commune(dialog.storage, u1, r1, r2, reporter, reviewer, other)


async def nominate(chat: FakeChat, story_id: int, award: str, reason: str) -> str:
    """Open the card, press the nomination button, pick the form, give the reason."""
    await chat.says(f"/story {story_id}")
    await chat.picks(NOMINATE)
    await chat.picks(award)
    await chat.says(reason)
    return chat.text


async def test_a_reviewer_nominates_an_approved_story_and_the_reporter_is_told(
    town: Commune,
) -> None:
    storage, r1 = town.storage, town.r1
    await r1.says("/approve 1")
    assert r1.text == "✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương sáng (/stories)."

    await r1.says("/story 1")
    assert NOMINATE in r1.options()
    await r1.picks(NOMINATE)
    assert r1.text.startswith("Đề nghị khen thưởng cho #1 — chọn hình thức:")
    assert PROVINCE_RULE in r1.text
    assert r1.options() == [BANG_KHEN, GIAY_KHEN, "✖️ Hủy"]
    await r1.picks(BANG_KHEN)
    assert r1.text == f"Vì sao đề nghị #1 nhận “{BANG_KHEN}”? Gõ lý do (3–500 ký tự)."
    await r1.says("ok")  # too short: asked again, nothing saved
    assert "Vì sao đề nghị #1" in r1.text
    assert await rows(storage, "SELECT * FROM nominations") == []
    await r1.says(REASON)
    assert r1.text == f"🏅 Đã đề nghị #1: {BANG_KHEN}."

    nominations = await rows(storage, "SELECT story_id, award, reason, nominated_by"
                                      " FROM nominations")
    assert nominations == [{"story_id": 1, "award": "bang_khen", "reason": REASON,
                            "nominated_by": town.reviewer.id}]
    audit = await rows(storage, "SELECT actor_id, from_status, to_status, note FROM story_events"
                                " WHERE action = 'nominate'")
    assert audit == [{"actor_id": town.reviewer.id, "from_status": "published",
                      "to_status": "published", "note": f"bang_khen: {REASON}"}]
    queued = await rows(storage, "SELECT person_id, chat_id, params, status FROM outbox"
                                 " WHERE template = 'notify.nominated'")
    assert len(queued) == 1
    assert (queued[0]["person_id"], queued[0]["chat_id"], queued[0]["status"]) == (
        town.reporter.id, "u1", "pending")
    assert json.loads(queued[0]["params"]) == {"id": 1, "title": TITLE, "award": "bang_khen",
                                               "campaign": "an-giang-2025"}

    sender = FakeSender()
    await OutboxWorker(storage, {"fake": sender}, 91).run_once(datetime.now(UTC))
    told = [text for chat_id, text in sender.sent if chat_id == "u1" and "🏅" in text]
    assert told == [f"🏅 Câu chuyện #1 “{TITLE}” của bạn đã được đề nghị khen thưởng:"
                    f" {BANG_KHEN}."]
    assert (await rows(storage, "SELECT status FROM outbox WHERE template = 'notify.nominated'")
            ) == [{"status": "sent"}]
    assert (await storage.stories.get(1)).status == "published"  # type: ignore[union-attr]


async def test_a_published_story_can_be_nominated_and_a_second_nomination_replaces_it(
    town: Commune,
) -> None:
    storage = town.storage
    await town.r1.says("/approve 1")
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE stories SET status = 'published' WHERE id = 1")
    assert await nominate(town.r1, 1, GIAY_KHEN, "Tiêu biểu trong phường") == (
        f"🏅 Đã đề nghị #1: {GIAY_KHEN}.")
    assert await nominate(town.r1, 1, BANG_KHEN, REASON) == f"🏅 Đã đề nghị #1: {BANG_KHEN}."
    assert await rows(storage, "SELECT story_id, award, reason FROM nominations") == [
        {"story_id": 1, "award": "bang_khen", "reason": REASON}]
    events = await rows(storage, "SELECT from_status FROM story_events WHERE action = 'nominate'")
    assert events == [{"from_status": "published"}, {"from_status": "published"}]


async def test_a_reviewer_of_another_commune_sees_no_button_and_cannot_nominate(
    town: Commune,
) -> None:
    storage = town.storage
    await town.r1.says("/approve 1")
    before = await snapshot(storage)

    await town.r2.says("/story 1")
    assert town.r2.text.startswith(f"#1 · {TITLE}\n📢 Đã đăng")  # the public card, published
    assert town.r2.options() == []

    outcome = await storage.reports.nominate(1, "bang_khen", REASON, town.other.id)
    assert (outcome.ok, outcome.refusal) == (False, "review.not_yours")
    assert await snapshot(storage) == before


async def test_a_reviewer_moved_to_another_commune_mid_nomination_is_refused(
    town: Commune,
) -> None:
    storage = town.storage
    await town.r1.says("/approve 1")
    await town.r1.says("/story 1")
    await town.r1.picks(NOMINATE)
    await town.r1.picks(BANG_KHEN)
    before = await snapshot(storage)

    await storage.roles.grant(town.reviewer.id, "reviewer", (PHU_QUOC,))
    await town.r1.says(REASON)

    assert town.r1.text == "Bạn không có quyền làm việc này với câu chuyện #1."
    assert await snapshot(storage) == before


async def test_a_citizen_cannot_nominate(town: Commune) -> None:
    storage = town.storage
    await town.r1.says("/approve 1")
    before = await snapshot(storage)

    # The reporter asks for their own story: the public card, no button.
    await town.u1.says("/story 1")
    assert "Sửa cầu khỉ" in town.u1.text
    assert NOMINATE not in town.u1.options()
    # Storage refuses a citizen whatever the handler does.
    outcome = await storage.reports.nominate(1, "bang_khen", REASON, town.reporter.id)
    assert (outcome.ok, outcome.refusal) == (False, "review.not_yours")
    # A reviewer who holds the button and is then made a citizen is refused at the press.
    await town.r1.says("/story 1")
    await storage.roles.revoke(town.reviewer.id)
    await town.r1.picks(NOMINATE)
    assert town.r1.text == NOT_REVIEWER

    assert await snapshot(storage) == before


async def test_a_citizen_mid_nomination_is_stopped_before_anything_is_saved(
    town: Commune,
) -> None:
    storage = town.storage
    await town.r1.says("/approve 1")
    await town.r1.says("/story 1")
    await town.r1.picks(NOMINATE)
    await town.r1.picks(BANG_KHEN)
    before = await snapshot(storage)
    await storage.roles.revoke(town.reviewer.id)

    await town.r1.says(REASON)

    assert town.r1.text == "Đã hủy. Không có gì bị gửi đi."
    assert await snapshot(storage) == before


async def test_a_pending_story_cannot_be_nominated(town: Commune) -> None:
    storage = town.storage
    before = await snapshot(storage)

    await town.r1.says("/story 1")
    assert "Duyệt" in " ".join(town.r1.options())
    assert NOMINATE not in town.r1.options()
    outcome = await storage.reports.nominate(1, "bang_khen", REASON, town.reviewer.id)
    assert (outcome.ok, outcome.refusal, outcome.from_status) == (
        False, "review.wrong_status", "pending")
    assert await snapshot(storage) == before


async def test_a_reviewer_cannot_nominate_their_own_story(town: Commune) -> None:
    storage = town.storage
    await storage.db.write("UPDATE stories SET status = 'approved', reporter_id = ? WHERE id = 1",
                           (town.reviewer.id,))
    before = await snapshot(storage)

    outcome = await storage.reports.nominate(1, "bang_khen", REASON, town.reviewer.id)

    assert (outcome.ok, outcome.refusal) == (False, "review.own_story")
    assert await snapshot(storage) == before


async def test_nominations_list_by_form_then_commune_in_scope(
    dialog: Dialog, storage: Storage
) -> None:
    u1, u2 = FakeChat(dialog, "u1"), FakeChat(dialog, "u2", name="Phạm Văn Đảo")
    rp = FakeChat(dialog, "rp", name="Võ Thị Tỉnh")
    r1 = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(rp, "reviewer", (0,))
    await staff(r1, "reviewer", (LONG_XUYEN,))
    await join(u1)
    await join(u2)
    await rp.says("/nominations")
    assert rp.text == "Chưa có đề nghị khen thưởng nào."

    titles = {1: "Cầu khỉ Mỹ Thạnh", 2: "Lớp học tình thương", 3: "Đường hoa Phú Quốc",
              4: "Nhà tình nghĩa Long Xuyên"}
    assert "#1" in await report(u1, titles[1])
    assert "#2" in await report(u1, titles[2])
    assert "#3" in await report(u2, titles[3], commune="phu quoc")
    assert "#4" in await report(u2, titles[4])
    await rp.says("/approve 1 2 3 4")
    # Filed out of order on purpose: Giấy khen first, Phú Quốc before Long Xuyên.
    assert "Đã đề nghị #3" in await nominate(rp, 3, GIAY_KHEN, "Giữ đường hoa sạch đẹp")
    assert "Đã đề nghị #4" in await nominate(rp, 4, BANG_KHEN, "Xây nhà cho hộ nghèo")
    assert "Đã đề nghị #3" in await nominate(rp, 3, BANG_KHEN, "Giữ đường hoa sạch đẹp")
    assert "Đã đề nghị #2" in await nominate(rp, 2, GIAY_KHEN, "Dạy chữ miễn phí")
    assert "Đã đề nghị #1" in await nominate(rp, 1, BANG_KHEN, "Sửa cầu cho bà con")

    await rp.says("/nominations")
    assert rp.text.splitlines() == [
        "Đề nghị khen thưởng (4)",
        "",
        BANG_KHEN,
        "• #1 Cầu khỉ Mỹ Thạnh — Phường Long Xuyên: Sửa cầu cho bà con",
        "• #4 Nhà tình nghĩa Long Xuyên — Phường Long Xuyên: Xây nhà cho hộ nghèo",
        "• #3 Đường hoa Phú Quốc — Đặc khu Phú Quốc: Giữ đường hoa sạch đẹp",
        "",
        GIAY_KHEN,
        "• #2 Lớp học tình thương — Phường Long Xuyên: Dạy chữ miễn phí",
    ]

    await r1.says("/nominations")
    assert r1.text.splitlines()[0] == "Đề nghị khen thưởng (3)"
    assert "Phú Quốc" not in r1.text


async def test_a_citizen_is_refused_the_nominations_list(town: Commune) -> None:
    await town.r1.says("/approve 1")
    await nominate(town.r1, 1, BANG_KHEN, REASON)
    await town.u1.says("/nominations")
    assert town.u1.text == NOT_REVIEWER
    assert REASON not in town.u1.text
