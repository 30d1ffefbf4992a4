"""Campaigns over time: stories keep their campaign and its keys, and every list, count and export
can be narrowed to one campaign.

Stories are filed through storage as the bot files them; what the repositories return is what a
reviewer's list or count would show.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.buttons import encode
from bot.config import Settings
from bot.content import catalogue, load_library
from bot.dialog import Dialog
from bot.handlers.campaign import CampaignReport
from bot.messages import plain_text
from bot.storage import NewStory, Person, Prompt, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat
from tests.senders import member

LONG_XUYEN, CHAU_DOC = 30307, 30316
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def put(storage: Storage, reporter: Person, key: str, campaign: str, content: str | None,
              *, status: str = "pending", commune: int = LONG_XUYEN, **extra: Any) -> int:
    """File a story under a campaign, then give it a status."""
    story_id = await storage.stories.file(NewStory(
        submission_key=key, reporter_id=reporter.id, channel="fake", campaign=campaign,
        kind="good_deed", content=content, movement=extra.pop("movement", None),
        commune_code=commune, honoree_name="Nguyễn Văn An", honoree_role="nông dân",
        title=f"Câu chuyện {key}", description=GOOD_DESCRIPTION, event_date=date(2025, 5, 1),
        **extra), notify_reviewers=False)
    await storage.db.write("UPDATE stories SET status = ? WHERE id = ?", (status, story_id))
    return story_id


async def two_years(storage: Storage) -> dict[str, list[int]]:
    """Three 2025 stories and two of the standing campaign, in two communes."""
    lan = await member(storage, "lan")
    admin = await member(storage, "admin", role="admin", communes=(0,))
    ids = {
        "an-giang-2025": [
            await put(storage, lan, "a", "an-giang-2025", "key_movements",
                      movement="for_the_poor"),
            await put(storage, lan, "b", "an-giang-2025", "policy_law", status="published"),
            await put(storage, lan, "c", "an-giang-2025", "celebrations", status="approved",
                      commune=CHAU_DOC),
        ],
        "thuong-xuyen": [
            await put(storage, lan, "d", "thuong-xuyen", None),
            await put(storage, lan, "e", "thuong-xuyen", "policy_law", status="published"),
        ],
    }
    outcome = await storage.reports.nominate(ids["an-giang-2025"][2], "bang_khen", "Tiêu biểu",
                                             admin.id)
    assert outcome.ok
    return ids


async def test_a_story_records_its_campaign_and_keys_and_may_leave_the_content_open(
    storage: Storage,
) -> None:
    ids = await two_years(storage)
    story = await storage.stories.get(ids["an-giang-2025"][0])
    assert story is not None
    assert (story.campaign, story.content, story.movement) == (
        "an-giang-2025", "key_movements", "for_the_poor")
    unchosen = await storage.stories.get(ids["thuong-xuyen"][0])
    assert unchosen is not None and unchosen.content is None
    assert sorted(await storage.stories.keys_in_use(), key=repr) == sorted([
        ("an-giang-2025", "key_movements", "for_the_poor", 1),
        ("an-giang-2025", "policy_law", None, 1),
        ("an-giang-2025", "celebrations", None, 1),
        ("thuong-xuyen", None, None, 1),
        ("thuong-xuyen", "policy_law", None, 1),
    ], key=repr)


async def test_the_queue_and_the_published_list_narrow_to_one_campaign(storage: Storage) -> None:
    ids = await two_years(storage)
    a, b, _ = ids["an-giang-2025"]
    d, e = ids["thuong-xuyen"]
    stories = storage.stories
    assert [s.id for s in (await stories.queue(None, None, None, 0, 10))[1]] == [a, d]
    assert [s.id for s in (await stories.queue(None, None, None, 0, 10,
                                               campaign="an-giang-2025"))[1]] == [a]
    assert (await stories.queue(None, None, None, 0, 10, campaign="thuong-xuyen"))[0] == 1
    assert [s.id for s in (await stories.published(None, None, 0, 10))[1]] == [e, b]
    assert [s.id for s in (await stories.published(None, None, 0, 10,
                                                   campaign="thuong-xuyen"))[1]] == [e]
    assert (await stories.published(None, None, 0, 10, campaign="an-giang-2027"))[0] == 0


async def test_counts_lists_and_nominations_narrow_to_one_campaign(storage: Storage) -> None:
    ids = await two_years(storage)
    reports = storage.reports
    every = await reports.counts(None)
    assert sum(c.n for c in every) == 5
    only_2025 = await reports.counts(None, campaign="an-giang-2025")
    assert {(c.campaign, c.content, c.status, c.n) for c in only_2025} == {
        ("an-giang-2025", "key_movements", "pending", 1),
        ("an-giang-2025", "policy_law", "published", 1),
        ("an-giang-2025", "celebrations", "approved", 1)}
    standing = [r["id"] async for r in reports.stories(None, None, None,
                                                        campaign="thuong-xuyen")]
    assert standing == ids["thuong-xuyen"]
    totals = await reports.totals(None, (), campaign="thuong-xuyen")
    assert sum(totals.by_status.values()) == 2
    weekly = await reports.weekly(None, ["2000-01-01", "2100-01-01"], (),
                                  campaign="an-giang-2025")
    assert sum(n for _, _, n in weekly) == 3
    (nominated,) = await reports.nominations(None, campaign="an-giang-2025")
    assert (nominated.story_id, nominated.campaign) == (ids["an-giang-2025"][2], "an-giang-2025")
    assert await reports.nominations(None, campaign="thuong-xuyen") == []


# --- as people see it: two campaigns at once, labels that last, filters, an ended campaign ----

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT / "bot" / "content" / "campaigns"
EXAMPLE_2026 = PROJECT / "deploy" / "content-example" / "campaigns" / "an-giang-2026.toml"
APRIL_2025 = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)  # 09:00 in An Giang
NOVEMBER_2026 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
STUDY = """
key = "khuyen-hoc-2025"
name_vi = "Phong trào khuyến học, khuyến tài năm 2025"
name_en = "The 2025 campaign for learning and talent"
short_vi = "Khuyến học 2025"
short_en = "Learning 2025"
start = 2025-03-01
end = 2025-12-31

[[kinds]]
value = "good_deed"
vi = "Gương người tốt, việc tốt"
en = "A good person, a good deed"

[[contents]]
key = "study_support"
vi = "Giúp đỡ học sinh nghèo vượt khó học tốt"
en = "Helping poor pupils study well"
short_vi = "Giúp học sinh nghèo"
short_en = "Helping poor pupils"
"""


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, database_path=tmp_path / "data" / "bot.sqlite3",  # type: ignore[call-arg]
                    admin_ids=(9001,), **values)


def folder(tmp_path: Path, **files: str) -> Path:
    """An operator's CONTENT_DIR with these campaign files (name without .toml: text)."""
    content = tmp_path / "content"
    (content / "campaigns").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (content / "campaigns" / f"{name}.toml").write_text(text, encoding="utf-8")
    return content


async def walk_report(chat: FakeChat, *picks: str) -> str:
    """From the kind onwards, with the content and movement picks given; the bot's last words."""
    for label in picks:
        await chat.picks(label)
    for answer in ("long xuyen", "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh", "Lớp học tình thương",
                   GOOD_DESCRIPTION, "02/03/2025"):
        await chat.says(answer)
    for option in ("Bỏ qua", "Bỏ qua", "Bỏ qua", "Không, giấu tên tôi"):
        await chat.picks(option)
    summary = chat.text
    await chat.picks("Gửi")
    return summary


async def test_with_two_campaigns_open_the_reporter_is_asked_which_in_plain_words(
    storage: Storage, tmp_path: Path
) -> None:
    content = folder(tmp_path, **{"khuyen-hoc-2025": STUDY})
    library = load_library(content)
    dialog = Dialog(storage, settings_for(tmp_path), library.campaigns)
    chat = FakeChat(dialog)
    chat.now = APRIL_2025
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")

    await chat.says("/report")
    assert ("Hiện có 2 đợt thi đua đang diễn ra:\n"
            "• Đợt thi đua đặc biệt năm 2025: Đợt thi đua đặc biệt lập thành tích chào mừng") in (
        chat.text)
    assert "• Khuyến học 2025: Phong trào khuyến học, khuyến tài năm 2025" in chat.text
    assert chat.text.endswith("Câu chuyện của bạn gửi cho đợt nào?")
    assert chat.options() == ["Đợt thi đua đặc biệt năm 2025", "Khuyến học 2025", "✖️ Hủy"]
    await chat.says("Khuyến học 2026")  # not an option: asked again
    assert "Câu chuyện của bạn gửi cho đợt nào?" in chat.text
    await chat.picks("Khuyến học 2025")
    assert "Bạn muốn kể về điều gì?" in chat.text
    await chat.picks("Gương người tốt, việc tốt")
    assert chat.options()[:1] == ["Giúp đỡ học sinh nghèo vượt khó học tốt"]
    assert "Chấp hành tốt chủ trương" not in " ".join(chat.options())
    summary = await walk_report(chat, "Giúp đỡ học sinh nghèo")
    assert "Nội dung thi đua: Giúp đỡ học sinh nghèo vượt khó học tốt" in summary
    assert "Câu chuyện của bạn là #1." in chat.text

    story = await storage.stories.get(1)
    assert story is not None
    assert (story.campaign, story.content, story.movement) == (
        "khuyen-hoc-2025", "study_support", None)

    await chat.says("/phongtrao")
    assert chat.text.startswith("Các đợt thi đua — chọn một đợt để xem chi tiết:")
    assert "▶️ Đợt thi đua đặc biệt năm 2025 — đang diễn ra, đến hết 30/06/2025" in chat.text
    assert "▶️ Khuyến học 2025 — đang diễn ra, đến hết 31/12/2025" in chat.text
    assert chat.options() == ["Đợt thi đua đặc biệt năm 2025", "Khuyến học 2025",
                              "Phong trào thi đua thường xuyên"]


async def test_campaign_names_the_one_offered_first(storage: Storage, tmp_path: Path) -> None:
    content = folder(tmp_path, **{"khuyen-hoc-2025": STUDY})
    library = load_library(content, preferred="khuyen-hoc-2025")
    chat = FakeChat(Dialog(storage, settings_for(tmp_path), library.campaigns))
    chat.now = APRIL_2025
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.says("/report")
    assert chat.options() == ["Khuyến học 2025", "Đợt thi đua đặc biệt năm 2025", "✖️ Hủy"]
    # From /phongtrao, the campaign is already known: no question about it.
    await chat.says("/phongtrao 2025")  # two campaigns ran in 2025: both are listed
    assert chat.text.startswith("Các đợt thi đua — chọn một đợt để xem chi tiết:")
    assert chat.options()[:2] == ["Khuyến học 2025", "Đợt thi đua đặc biệt năm 2025"]
    await chat.says("/phongtrao 2031")
    assert chat.text.startswith("Không có đợt thi đua nào ứng với “2031”.\n\nCác đợt thi đua")
    await chat.picks("Khuyến học 2025")
    await chat.picks("1. Giúp học sinh nghèo")
    await chat.picks("📝 Kể gương sáng thuộc nội dung này")
    assert "Bạn muốn kể về điều gì?" in chat.text
    await chat.picks("Gương người tốt, việc tốt")
    await walk_report(chat)
    story = await storage.stories.get(1)
    assert story is not None and (story.campaign, story.content) == (
        "khuyen-hoc-2025", "study_support")


async def test_a_2025_story_keeps_its_labels_after_a_2026_file_and_new_2025_texts(
    storage: Storage, tmp_path: Path
) -> None:
    reviewer_chat_id = "r1"
    before = FakeChat(Dialog(storage, settings_for(tmp_path), load_library(None).campaigns))
    before.now = APRIL_2025
    await before.says("/start")
    await before.picks("Tôi đồng ý")
    await before.says("/phongtrao")
    await before.picks("2. Các phong trào")
    await before.picks("📝 Kể gương sáng thuộc nội dung này")
    await before.picks("Mô hình hay, cách làm hay")
    summary = await walk_report(before, "Cả nước chung tay xóa nhà tạm")
    assert "Phong trào: Cả nước chung tay xóa nhà tạm, nhà dột nát trong năm 2025" in summary

    # An upgrade rewords the 2025 file and moves its contents around; the operator adds 2026.
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copy(SHIPPED / "thuong-xuyen.toml", shipped)
    text = (SHIPPED / "an-giang-2025.toml").read_text(encoding="utf-8")
    head, first, *rest = text.split("[[contents]]")
    reworded = "[[contents]]".join([head, *rest, first]).replace(
        "Cả nước chung tay xóa nhà tạm, nhà dột nát trong năm 2025",
        "Chung tay xóa nhà tạm, nhà dột nát (năm 2025)").replace(
        'vi = "Thực hiện có hiệu quả các phong trào thi đua trọng tâm trong phạm vi cả nước"',
        'vi = "Thực hiện hiệu quả các phong trào thi đua trọng tâm của cả nước"')
    (shipped / "an-giang-2025.toml").write_text(reworded, encoding="utf-8")
    content = folder(tmp_path, **{"an-giang-2026": EXAMPLE_2026.read_text(encoding="utf-8")})
    library = load_library(content, shipped=shipped)
    moved = library.campaigns.get("an-giang-2025")
    assert moved is not None and [c.key for c in moved.contents] == [
        "key_movements", "exceed_targets", "political_security", "celebrations", "policy_law"]
    settings = settings_for(tmp_path, publish_chat_id="-100777")
    after = Dialog(storage, settings, library.campaigns)
    reviewer = FakeChat(after, reviewer_chat_id, name="Lê Văn Duyệt")
    reviewer.now = NOVEMBER_2026
    await reviewer.says("/start")
    await reviewer.picks("Tôi đồng ý")
    found = await storage.people.find("fake", reviewer_chat_id)
    assert found is not None
    await storage.roles.grant(found.id, "admin", ())

    await reviewer.says("/story 1")
    card = reviewer.text
    assert ("Nội dung thi đua: Thực hiện hiệu quả các phong trào thi đua trọng tâm của cả nước\n"
            "Phong trào: Chung tay xóa nhà tạm, nhà dột nát (năm 2025)") in card
    assert "Đợt thi đua: Đợt thi đua đặc biệt năm 2025" in card
    assert "Dịch vụ công" not in card

    from bot.export import ExportRange
    from bot.handlers.stats import export_workbook

    rng = ExportRange(91, TZ, None, library.campaigns)
    data, listed = await export_workbook(storage, catalogue("vi"), None, None, None, rng)
    # The list's header is the workbook's fourth row (under the title, the period and the
    # column groups); its first story is the fifth.
    row = list(load_workbook(io.BytesIO(data))["Danh sách"].iter_rows(values_only=True))[4]
    assert listed == 1
    assert row[3:6] == ("Mô hình hay, cách làm hay",
                        "Thực hiện hiệu quả các phong trào thi đua trọng tâm của cả nước",
                        "Chung tay xóa nhà tạm, nhà dột nát (năm 2025)")
    assert row[20] == moved.short_vi  # the campaign by its (short) name, not its key

    # A new report in November 2026 goes to the 2026 campaign, with its own contents.
    await reviewer.says("/report")
    await reviewer.picks("Kể chuyện của tôi")  # staff are asked whose story it is
    await reviewer.picks("Gương người tốt, việc tốt")
    assert reviewer.options()[:2] == ["Đưa dịch vụ công trực tuyến đến với người dân",
                                      "Phổ cập kỹ năng số cho mọi người dân"]


async def staff_and_stories(storage: Storage,
                            tmp_path: Path) -> tuple[FakeChat, dict[str, list[int]]]:
    """An admin (from ADMIN_IDS) in November 2026, and the stories of two_years()."""
    ids = await two_years(storage)
    admin = FakeChat(Dialog(storage, settings_for(tmp_path)), "9001", name="Quản trị",
                     channel="telegram")
    admin.now = NOVEMBER_2026
    await admin.says("/start")
    await admin.picks("Tôi đồng ý")
    return admin, ids


async def test_stats_narrow_to_a_campaign_by_year_or_key(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.charts

    for name in ("bar_chart", "stacked_weeks"):
        monkeypatch.setattr(bot.charts, name, lambda *args, **kwargs: b"")
    admin, _ = await staff_and_stories(storage, tmp_path)

    await admin.says("/stats")
    assert admin.text.startswith("Thống kê — toàn tỉnh: 5 câu chuyện\n\nTheo trạng thái:")
    assert ("Theo nội dung thi đua:\n1. Chấp hành chủ trương, chính sách, pháp luật: 2\n"
            "2. Các phong trào thi đua trọng tâm: 1\n"
            "5. Đại hội, lập thành tích chào mừng ngày lễ lớn: 1\nchưa chọn: 1\n\n") in admin.text

    await admin.says("/stats 2025")
    assert admin.text.startswith("Thống kê — toàn tỉnh: 3 câu chuyện\n"
                                 "Đợt thi đua: Đợt thi đua đặc biệt năm 2025\n\n")
    assert ("Theo nội dung thi đua:\n1. Chấp hành chủ trương, chính sách, pháp luật: 1\n"
            "2. Các phong trào thi đua trọng tâm: 1\n"
            "5. Đại hội, lập thành tích chào mừng ngày lễ lớn: 1\n\n") in admin.text

    await admin.says("/stats thuong-xuyen")
    assert admin.text.startswith("Thống kê — toàn tỉnh: 2 câu chuyện\n"
                                 "Đợt thi đua: Phong trào thi đua thường xuyên\n\n")
    await admin.says("/stats 2031")
    assert admin.text == "Không có đợt thi đua nào ứng với “2031”."


async def test_export_narrows_to_a_campaign_in_the_chat_and_on_the_command_line(
    storage: Storage, tmp_path: Path, db_path: Path
) -> None:
    admin, ids = await staff_and_stories(storage, tmp_path)
    replies = await admin.says("/export 2025")
    (attachment,) = replies[0].files
    assert attachment.filename == "guongsang-an-giang-2025-2025-01-01-2025-06-30.xlsx"
    assert admin.text == "📊 Bảng tổng hợp Gương Sáng từ trước đến nay: 3 câu chuyện."
    listed = list(load_workbook(io.BytesIO(attachment.data))["Danh sách"].iter_rows(
        min_row=5, values_only=True))
    assert [r[0] for r in listed] == ids["an-giang-2025"]
    assert {r[20] for r in listed} == {"Đợt thi đua đặc biệt năm 2025"}

    replies = await admin.says("/export thuong-xuyen 01/01/2020 31/12/2030")
    assert "2 câu chuyện" in admin.text
    await storage.close()

    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(db_path), PYTHONIOENCODING="utf-8")
    out = tmp_path / "list.csv"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--out", str(out), "--campaign", "thuong-xuyen"],
        cwd=PROJECT, env=environ, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.strip() == f"{out}: 2 stories"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # phones and names: the operator's alone
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))[1:]
    assert [int(r[0]) for r in rows] == ids["thuong-xuyen"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--out", str(out), "--campaign", "2019"],
        cwd=PROJECT, env=environ, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "--campaign 2019: names 0 campaigns (known: an-giang-2025, thuong-xuyen).")


async def test_stories_and_pending_narrow_to_a_campaign(storage: Storage, tmp_path: Path) -> None:
    admin, ids = await staff_and_stories(storage, tmp_path)
    await admin.says("/stories 2025")
    assert admin.text.startswith("Gương sáng đã đăng (đợt Đợt thi đua đặc biệt năm 2025): 1")
    assert f"#{ids['an-giang-2025'][1]} · " in " ".join(admin.options())
    await admin.says("/stories thuong-xuyen")
    assert f"#{ids['thuong-xuyen'][1]} · " in " ".join(admin.options())
    await admin.says("/pending thuong-xuyen")
    assert admin.text.startswith(
        "Đang chờ duyệt: 1 (đợt Phong trào thi đua thường xuyên) — trang 1/1")
    await admin.picks(f"#{ids['thuong-xuyen'][0]}")
    assert "Nội dung thi đua: Chưa chọn (cán bộ thẩm định sẽ chọn)" in admin.text
    await admin.says("/pending 2025 long xuyen")
    assert admin.text.startswith(
        "Đang chờ duyệt: 1 (đợt Đợt thi đua đặc biệt năm 2025, Phường Long Xuyên)")


async def test_phongtrao_says_a_campaign_has_ended_and_when_it_ran(
    storage: Storage, tmp_path: Path
) -> None:
    chat = FakeChat(Dialog(storage, settings_for(tmp_path)))
    chat.now = NOVEMBER_2026
    await chat.says("/phongtrao")
    assert chat.text.startswith("Phong trào thi đua yêu nước thường xuyên\n\nChủ đề:")
    assert "đã kết thúc" not in chat.text
    assert chat.options()[-1] == "🗂 Các đợt thi đua khác"
    await chat.picks("🗂 Các đợt thi đua khác")
    assert ("⏹ Đợt thi đua đặc biệt năm 2025 — đã kết thúc (từ 01/01/2025 đến 30/06/2025)"
            in chat.text)
    assert "🔁 Phong trào thi đua thường xuyên — quanh năm" in chat.text
    await chat.picks("Đợt thi đua đặc biệt năm 2025")
    ended = ("⏹ Đợt thi đua này đã kết thúc. Đợt diễn ra từ 01/01/2025 đến 30/06/2025; câu"
             " chuyện mới được gửi vào đợt thi đua đang diễn ra.")
    assert chat.text.startswith("Đợt thi đua đặc biệt lập thành tích chào mừng")
    assert ended in chat.text
    await chat.picks("2. Các phong trào")
    assert chat.options() == ["⬅️ Về phong trào"]  # no reporting under an ended campaign

    await chat.says("/phongtrao 2025")
    assert ended in chat.text
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    forged = encode(CampaignReport("an-giang-2025", "policy_law"))
    state.prompt = Prompt("n1", [forged], ["x"])
    await storage.dialogs.save(state, NOVEMBER_2026)
    replies = await dialog_press(chat, "n1:0")
    assert plain_text(replies[0].text) == (
        "Đợt “Đợt thi đua đặc biệt năm 2025” không còn nhận câu chuyện mới. Gõ /report để kể"
        " vào đợt thi đua đang diễn ra.")
    assert await storage.stories.count_by_reporter(1) == 0


async def dialog_press(chat: FakeChat, data: str) -> list[Any]:
    """Press a button whose wire data is `data` on a channel with buttons."""
    from bot.messages import Incoming

    incoming = Incoming(chat.channel, chat.user_id, chat.user_id, chat.traits,
                        display_name=chat.name, callback=data)
    return await chat.dialog.handle(incoming, chat.now)


async def test_a_year_of_two_campaigns_asks_for_a_key(storage: Storage, tmp_path: Path) -> None:
    library = load_library(folder(tmp_path, **{"khuyen-hoc-2025": STUDY}))
    await two_years(storage)
    admin = FakeChat(Dialog(storage, settings_for(tmp_path), library.campaigns), "9001",
                     channel="telegram")
    await admin.says("/start")
    await admin.picks("Tôi đồng ý")
    for command in ("/pending 2025", "/stories 2025", "/export 2025", "/nominations 2025"):
        replies = await admin.says(command)
        assert admin.text == ("“2025” ứng với nhiều đợt thi đua: an-giang-2025, khuyen-hoc-2025."
                              " Hãy gõ mã của một đợt, ví dụ an-giang-2025."), command
        assert all(not r.files for r in replies)
    await admin.says("/nominations khuyen-hoc-2025")
    assert admin.text == "Chưa có đề nghị khen thưởng nào."
    await admin.says("/nominations an-giang-2025")
    assert admin.text.startswith("Đề nghị khen thưởng (1)")


def test_contents_counted_across_campaigns_that_number_them_differently_name_the_campaign(
    tmp_path: Path,
) -> None:
    from collections import Counter

    from bot.handlers.stats import content_items

    campaigns = load_library(folder(tmp_path, **{
        "an-giang-2026": EXAMPLE_2026.read_text(encoding="utf-8")})).campaigns
    same_keys = Counter({("an-giang-2025", "policy_law"): 2, ("thuong-xuyen", "policy_law"): 1,
                         ("thuong-xuyen", None): 1})
    assert content_items(campaigns, same_keys, "vi", "chưa chọn") == [
        ("1. Chấp hành chủ trương, chính sách, pháp luật", 3), ("chưa chọn", 1)]
    both_first = Counter({("an-giang-2025", "policy_law"): 2,
                          ("an-giang-2026", "digital_services"): 4})
    assert content_items(campaigns, both_first, "vi", "chưa chọn") == [
        ("Chuyển đổi số 2026 1. Dịch vụ công trực tuyến", 4),
        ("Đợt thi đua đặc biệt năm 2025 1. Chấp hành chủ trương, chính sách, pháp luật", 2)]
