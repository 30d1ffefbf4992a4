"""/stats and /export as a reviewer, an admin and a citizen see them.

The fixture province is 30 stories put straight into storage across three communes, four kinds,
five contents and five statuses, with filing times set in SQL so that weeks are known. What each
person sees is checked word for word. The workbook itself, the CSV and `python -m bot export` are
checked in test_workbook.py, over this same province.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from matplotlib import image as mpimg
from openpyxl import load_workbook
from telegram.request import RequestData

from bot.config import Settings
from bot.content import localities
from bot.dialog import Dialog
from bot.messages import Attachment
from bot.storage import NewStory, Person, Storage
from tests.conftest import FakeChat, start_telegram
from tests.wire import RecordingRequest, TelegramPerson

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_XUYEN, CHAU_DOC, PHU_QUOC = 30307, 30316, 31078
NAMES = {LONG_XUYEN: "Phường Long Xuyên", CHAU_DOC: "Phường Châu Đốc",
         PHU_QUOC: "Đặc khu Phú Quốc"}
# Wednesday 18/06/2025, 10:00 in An Giang: this week began Monday 16/06 at 00:00 local time.
NOW = datetime(2025, 6, 18, 3, 0, tzinfo=UTC)
MONDAY = datetime(2025, 6, 16, tzinfo=TZ)

NOT_REVIEWER = "Lệnh này chỉ dành cho cán bộ thẩm định."
PNG = b"\x89PNG\r\n\x1a\n"

# --- the words of the workbook (bot/content/vi*.toml export.* and status_name.*) ---------------

SHEETS = ["Tổng hợp", "Theo nội dung thi đua", "Theo địa bàn", "Danh sách",
          "Đề nghị khen thưởng"]
KIND_NAMES = {"good_deed": "Gương người tốt, việc tốt",
              "model_practice": "Mô hình hay, cách làm hay",
              "advanced_example": "Điển hình tiên tiến", "new_factor": "Nhân tố mới"}
STATUS_NAMES = {"pending": "Đang chờ duyệt", "needs_changes": "Cần bổ sung",
                "approved": "Đã duyệt", "published": "Đã đăng", "rejected": "Không được duyệt"}


# --- the fixture province -----------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One fixture story: where, what, its status, and how many weeks before this one it came."""

    commune: int
    kind: str
    content: int
    status: str
    weeks_ago: int


def _spread(counts: list[tuple[Any, int]], step: int) -> list[Any]:
    """A flat list with these counts, shuffled by a fixed stride (step coprime with 30)."""
    flat = [value for value, n in counts for _ in range(n)]
    assert len(flat) == 30
    return [flat[(i * step) % 30] for i in range(30)]


COMMUNES = [LONG_XUYEN] * 15 + [CHAU_DOC] * 9 + [PHU_QUOC] * 6
STATUSES = _spread([("pending", 11), ("approved", 8), ("published", 5), ("rejected", 4),
                    ("needs_changes", 2)], 7)
KINDS = _spread([("good_deed", 13), ("model_practice", 9), ("advanced_example", 5),
                 ("new_factor", 3)], 11)
CONTENTS = _spread([(2, 10), (1, 4), (3, 7), (4, 6), (5, 3)], 13)
WEEKS = _spread([(0, 7), (1, 5), (2, 4), (3, 3), (5, 3), (8, 3), (11, 3), (14, 2)], 17)
SPECS = [Spec(*fields) for fields in zip(COMMUNES, KINDS, CONTENTS, STATUSES, WEEKS, strict=True)]


def filed_at(index: int, weeks_ago: int) -> str:
    """A filing time in the week `weeks_ago` before this one, as storage writes it (UTC)."""
    if weeks_ago == 0:
        # Monday 00:30 local is still Sunday in UTC: it must count for this week.
        local = MONDAY + timedelta(days=1, hours=9) if index % 2 else MONDAY + timedelta(minutes=30)
    elif weeks_ago == 1:
        # Sunday 23:30 local, the last half hour of last week.
        local = MONDAY - timedelta(days=5) if index % 2 else MONDAY - timedelta(minutes=30)
    else:
        local = MONDAY - timedelta(weeks=weeks_ago) + timedelta(days=index % 7, hours=10)
    return local.astimezone(UTC).isoformat(timespec="seconds")


async def person(storage: Storage, external: str, name: str, role: str = "citizen",
                 communes: tuple[int, ...] = ()) -> Person:
    found = await storage.people.get_or_create("fake", external, "vi")
    await storage.people.set_consent(found, True, name, None)
    if role != "citizen":
        await storage.roles.grant(found.id, role, communes)
    return found


# The contents of the shipped 2025 campaign, by the number a person reads, and their keys.
CONTENT_KEYS = {1: "policy_law", 2: "key_movements", 3: "exceed_targets",
                4: "political_security", 5: "celebrations"}


async def put(storage: Storage, reporter: Person, key: str, *, commune: int, kind: str,
              content: int, status: str, created_at: str, campaign: str = "an-giang-2025",
              **fields: Any) -> int:
    """File a 2025 story the way the bot does, then set its status and filing time in SQL."""
    values: dict[str, Any] = {
        "movement": None, "honoree_name": "Nguyễn Văn An", "honoree_role": "nông dân",
        "title": f"Câu chuyện {key}", "description": "Một việc tốt được bà con ghi nhận." * 3,
        "event_date": date(2025, 5, 1), **fields,
    }
    published = values.pop("published_message_id", None)
    note = values.pop("review_note", None)
    story_id = await storage.stories.file(
        NewStory(submission_key=key, reporter_id=reporter.id, channel="fake", campaign=campaign,
                 kind=kind, content=CONTENT_KEYS[content], commune_code=commune, **values),
        notify_reviewers=False)
    async with storage.db.transaction() as tx:
        await tx.execute(
            "UPDATE stories SET status = ?, created_at = ?, updated_at = ?,"
            " published_message_id = ?, review_note = ? WHERE id = ?",
            (status, created_at, created_at, published, note, story_id))
    return story_id


KNOWN = {
    "title": "Cầu khỉ mới cho ấp Mỹ Thạnh", "description": "Ông An bỏ tiền sửa cầu khỉ.",
    "honoree_name": "Nguyễn Văn An", "honoree_role": "nông dân ấp Mỹ Thạnh",
    "event_date": date(2025, 6, 2), "movement": "makeshift_houses_2025", "latitude": 10.3759,
    "longitude": 105.4185,
    "reporter_phone": "0912345678", "show_name": True, "photos": ["ph-1", "ph-2"],
    "published_message_id": "55", "review_note": "Đã xác minh",
}


async def populate(storage: Storage) -> dict[str, Person]:
    """The 30 fixture stories (#1 is the fully known one), and two nominations."""
    lan = await person(storage, "u1", "Trần Thị Bình")
    province = await person(storage, "rp", "Võ Thị Tỉnh", "reviewer", (0,))
    for i, spec in enumerate(SPECS):
        extra = KNOWN if i == 0 else {}
        await put(storage, lan, f"k{i:02d}", commune=spec.commune, kind=spec.kind,
                  content=spec.content, status=spec.status,
                  created_at=filed_at(i, spec.weeks_ago), **extra)
    nominated = [i + 1 for i, s in enumerate(SPECS) if s.status in ("approved", "published")]
    by_commune = {s.commune: i + 1 for i, s in reversed(list(enumerate(SPECS)))
                  if s.status in ("approved", "published")}
    assert len(nominated) == 13
    first_cd, first_pq = by_commune[CHAU_DOC], by_commune[PHU_QUOC]
    for story_id, award, reason in ((first_pq, "giay_khen", "Giữ đường hoa sạch đẹp"),
                                    (first_cd, "bang_khen", "Dạy bơi miễn phí cho trẻ em")):
        outcome = await storage.reports.nominate(story_id, award, reason, province.id)
        assert outcome.ok, outcome
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE nominations SET created_at = '2025-06-17T18:00:00+00:00'")
    return {"lan": lan, "province": province}


def expected(scope: int | None = None) -> list[Spec]:
    return [s for s in SPECS if scope is None or s.commune == scope]


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=db_path, admin_ids=(9001,),  # type: ignore[call-arg]
                    publish_chat_id="-100777")


@dataclass
class Board:
    storage: Storage
    admin: FakeChat  # Telegram id 9001, an admin from ADMIN_IDS
    rp: FakeChat  # reviewer of the whole province
    rcd: FakeChat  # reviewer of Phường Châu Đốc only
    citizen: FakeChat


@pytest.fixture
async def board(dialog: Dialog, storage: Storage) -> Board:
    await populate(storage)
    rcd = await person(storage, "rcd", "Lê Văn Đốc", "reviewer", (CHAU_DOC,))
    assert rcd.role == "citizen"  # as read before the grant
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    chats = [admin, FakeChat(dialog, "rp", name="Võ Thị Tỉnh"),
             FakeChat(dialog, "rcd", name="Lê Văn Đốc"), FakeChat(dialog, "u1")]
    for chat in chats:
        chat.now = NOW
    return Board(storage, *chats)


# --- /stats --------------------------------------------------------------------------------------


@pytest.fixture
def no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts drawn as empty bytes, for tests that read only the text (drawing is slow)."""
    import bot.charts
    import bot.handlers.stats

    for name in ("bar_chart", "stacked_weeks"):
        monkeypatch.setattr(bot.charts, name, lambda *args, **kwargs: b"")
        if hasattr(bot.handlers.stats, name):
            monkeypatch.setattr(bot.handlers.stats, name, lambda *args, **kwargs: b"")


def _check_png(data: bytes) -> None:
    assert data.startswith(PNG)
    assert len(data) > 5 * 1024
    pixels = mpimg.imread(io.BytesIO(data), format="png")
    assert pixels.shape[1] > 300 and pixels.shape[0] > 100


COUNTED = ("Các số dưới đây và hai biểu đồ tính {counted} câu chuyện đang xét hoặc đã duyệt,"
           " không tính {left_out} câu chuyện không được duyệt hoặc đã rút lại.")
CONTENT_NAMES = {1: "1. Chấp hành chủ trương, chính sách, pháp luật",
                 2: "2. Các phong trào thi đua trọng tâm",
                 3: "3. Hoàn thành vượt mức nhiệm vụ được giao",
                 4: "4. Hệ thống chính trị, an ninh trật tự",
                 5: "5. Đại hội, lập thành tích chào mừng ngày lễ lớn"}


async def test_stats_for_the_province_counts_everything_and_draws_two_charts(
    board: Board,
) -> None:
    replies = await board.admin.says("/stats")

    assert len(replies) == 1
    # Every story is in the total and by status; the 4 rejected ones in nothing else.
    assert board.admin.text.split("\n\n") == [
        "Thống kê — toàn tỉnh: 30 câu chuyện",
        "Theo trạng thái: ⏳ Đang chờ duyệt: 11 · ✅ Đã duyệt: 8 · 📢 Đã đăng: 5"
        " · ❌ Không được duyệt: 4 · ✏️ Cần bổ sung: 2",
        COUNTED.format(counted=26, left_out=4),
        "Theo loại: Gương người tốt, việc tốt: 11 · Mô hình hay, cách làm hay: 8"
        " · Điển hình tiên tiến: 5 · Nhân tố mới: 2",
        "Theo nội dung thi đua:\n" + "\n".join(
            f"{CONTENT_NAMES[c]}: {n}" for c, n in ((1, 4), (2, 8), (3, 6), (4, 5), (5, 3))),
        "10 nơi nhiều nhất:\n1. Phường Long Xuyên: 13\n2. Phường Châu Đốc: 8"
        "\n3. Đặc khu Phú Quốc: 5",
        "99 xã, phường, đặc khu chưa có câu chuyện nào.",
        "Tuần này: 6 · tuần trước: 5",
    ]
    files = replies[0].files
    assert [(f.filename, f.kind) for f in files] == [("stats-weekly.png", "photo"),
                                                     ("stats-communes.png", "photo")]
    for attachment in files:
        _check_png(attachment.data)


@dataclass
class Drawn:
    """What /stats handed to the chart functions: title, labels, values."""

    weekly: tuple[str, list[str], dict[str, list[int]]] | None = None
    communes: tuple[str, list[str], list[int]] | None = None


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    import bot.charts

    seen = Drawn()

    def weekly(title: str, weeks: list[str], series: dict[str, list[int]], _: str) -> bytes:
        seen.weekly = (title, list(weeks), {k: list(v) for k, v in series.items()})
        return b""

    def communes(title: str, labels: list[str], values: list[int], _: str) -> bytes:
        seen.communes = (title, list(labels), list(values))
        return b""

    monkeypatch.setattr(bot.charts, "stacked_weeks", weekly)
    monkeypatch.setattr(bot.charts, "bar_chart", communes)
    return seen


async def test_the_charts_say_what_they_count_and_count_only_that(
    board: Board, drawn: Drawn
) -> None:
    await board.admin.says("/stats")

    assert drawn.weekly is not None and drawn.communes is not None
    title, weeks, series = drawn.weekly
    assert title == "Câu chuyện đang xét hoặc đã duyệt, theo tuần gửi và loại"
    assert weeks[-2:] == ["09/06", "16/06"] and len(weeks) == 12
    counted = [s for s in SPECS if s.status != "rejected"]
    assert series == {
        KIND_NAMES[kind]: [sum(1 for s in counted if s.kind == kind and s.weeks_ago == 11 - i)
                           for i in range(12)]
        for kind in {s.kind for s in counted if s.weeks_ago < 12}
    }
    assert sum(map(sum, series.values())) == sum(1 for s in counted if s.weeks_ago < 12)
    # The same places, in the same order, as the text's "10 nơi nhiều nhất".
    assert drawn.communes == ("Câu chuyện đang xét hoặc đã duyệt: 10 nơi nhiều nhất",
                              ["Phường Long Xuyên", "Phường Châu Đốc", "Đặc khu Phú Quốc"],
                              [13, 8, 5])


async def test_the_text_and_the_chart_name_the_same_top_places(
    board: Board, storage: Storage, drawn: Drawn
) -> None:
    """With more places than the top list holds, text and chart stop at the same place."""
    reporter = await storage.people.find("fake", "u1")
    assert reporter is not None
    codes = [u.code for u in localities(91).units if u.code not in NAMES][:12]
    for i, code in enumerate(codes):
        for n in range(14 - i):
            await put(storage, reporter, f"x{code}-{n}", commune=code,
                      kind="good_deed", content=1, status="pending",
                      created_at=filed_at(n, 2))
    await board.admin.says("/stats")

    top_text = board.admin.text.split("\n\n")[5].splitlines()
    assert top_text[0] == "10 nơi nhiều nhất:"
    places = [line.split(". ", 1)[1].rsplit(": ", 1)[0] for line in top_text[1:]]
    assert drawn.communes is not None
    assert len(places) == 10 and drawn.communes[1] == places
    assert drawn.communes[0].endswith(": 10 nơi nhiều nhất")


async def test_the_province_reviewer_sees_the_same_numbers_as_the_admin(
    board: Board, no_drawing: None
) -> None:
    await board.admin.says("/stats")
    admin_text = board.admin.text
    await board.rp.says("/stats")
    assert board.rp.text == admin_text


async def test_a_commune_reviewer_sees_only_their_commune(board: Board, no_drawing: None) -> None:
    mine = expected(CHAU_DOC)
    assert len(mine) == 9

    replies = await board.rcd.says("/stats")

    parts = board.rcd.text.split("\n\n")
    assert parts[0] == "Thống kê — 1 địa bàn bạn phụ trách: 9 câu chuyện"
    statuses = Counter(s.status for s in mine)
    status_items = set(parts[1].removeprefix("Theo trạng thái: ").split(" · "))
    icons = {"pending": "⏳", "approved": "✅", "published": "📢", "rejected": "❌",
             "needs_changes": "✏️"}
    assert status_items == {f"{icons[s]} {STATUS_NAMES[s]}: {n}" for s, n in statuses.items()}
    counted = [s for s in mine if s.status != "rejected"]
    assert parts[2] == COUNTED.format(counted=len(counted), left_out=len(mine) - len(counted))
    kind_items = set(parts[3].removeprefix("Theo loại: ").split(" · "))
    assert kind_items == {f"{KIND_NAMES[k]}: {n}"
                          for k, n in Counter(s.kind for s in counted).items()}
    contents = sorted(Counter(s.content for s in counted).items())
    assert parts[4] == "Theo nội dung thi đua:\n" + "\n".join(
        f"{CONTENT_NAMES[c]}: {n}" for c, n in contents)
    assert parts[5] == f"10 nơi nhiều nhất:\n1. Phường Châu Đốc: {len(counted)}"
    assert parts[6] == "0 xã, phường, đặc khu chưa có câu chuyện nào."
    this = sum(1 for s in counted if s.weeks_ago == 0)
    last = sum(1 for s in counted if s.weeks_ago == 1)
    assert parts[7] == f"Tuần này: {this} · tuần trước: {last}"
    assert "Long Xuyên" not in board.rcd.text and "Phú Quốc" not in board.rcd.text
    assert len(replies[0].files) == 2


async def test_a_reviewer_with_no_story_in_scope_is_told_so(
    board: Board, dialog: Dialog, storage: Storage
) -> None:
    await person(storage, "rkh", "Đỗ Văn Hải", "reviewer", (31108,))  # Đặc khu Kiên Hải
    chat = FakeChat(dialog, "rkh", name="Đỗ Văn Hải")
    replies = await chat.says("/stats")
    assert chat.text == "Chưa có câu chuyện nào trong phạm vi của bạn."
    assert replies[0].files == ()


async def test_a_citizen_is_refused_stats_and_export(board: Board) -> None:
    for command in ("/stats", "/export", "/export 01/01/2025 30/06/2025"):
        replies = await board.citizen.says(command)
        assert board.citizen.text == NOT_REVIEWER
        assert all(r.files == () for r in replies)


# --- /export -------------------------------------------------------------------------------------


def _workbook(attachment: Attachment) -> Any:
    assert attachment.kind == "document"
    assert attachment.filename.endswith(".xlsx")
    assert attachment.data.startswith(b"PK")
    return load_workbook(io.BytesIO(attachment.data))


def _values(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


async def export(chat: FakeChat, args: str = "") -> Any:
    replies = await chat.says(f"/export {args}".strip())
    assert len(replies) == 1 and len(replies[0].files) == 1
    return _workbook(replies[0].files[0])


async def test_export_explains_a_bad_range_and_sends_no_file(board: Board) -> None:
    replies = await board.rp.says("/export 31/12/2025 01/01/2025")
    assert board.rp.text == (
        "Ngày bắt đầu (31/12/2025) phải trước hoặc bằng ngày kết thúc (01/01/2025).")
    assert replies[0].files == ()
    replies = await board.rp.says("/export abc")
    assert board.rp.text == "Không đọc được ngày “abc”. Dùng dạng ngày/tháng/năm, ví dụ 01/01/2025."
    assert replies[0].files == ()
    replies = await board.rp.says("/export 01/01/2025 31/02/2025")
    assert board.rp.text == (
        "Không đọc được ngày “31/02/2025”. Dùng dạng ngày/tháng/năm, ví dụ 01/01/2025.")


RISKY = {
    "title": '=HYPERLINK("http://evil.example","bấm vào đây")',
    "description": "+1+cmd|' /C calc'!A0 và bà con góp tiền sửa cầu",
    "honoree_name": "-2+3",
    "honoree_role": "@SUM(A1:A9)",
}


# --- through Telegram ---------------------------------------------------------------------------


class FileWire(RecordingRequest):
    """The recording wire, answering uploads like Telegram and keeping each uploaded file."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads: list[tuple[str, str, bytes]] = []

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if request_data is not None and request_data.contains_files:
            for _, part in (request_data.multipart_data or {}).items():
                filename, content = part[0], part[1]
                assert isinstance(content, bytes)
                self.uploads.append((name, str(filename), content))
        return await super().do_request(url, method, request_data, *args, **kwargs)

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "sendDocument":
            doc = {"file_id": "doc", "file_unique_id": "doc", "file_name": "x.xlsx"}
            return self._message(params, document=doc)
        return super()._result(name, params)


async def test_telegram_sends_the_charts_as_photos_and_the_workbook_as_a_document(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    await populate(storage)
    wire = FileWire()
    app, _ = await start_telegram(settings, dialog, wire)
    try:
        reviewer = TelegramPerson(app, wire, 5150, first_name="Đốc", last_name="Lê")
        await reviewer.says("/start")
        found = await storage.people.find("telegram", "5150")
        assert found is not None
        await storage.roles.grant(found.id, "reviewer", (0,))
        citizen = TelegramPerson(app, wire, 6160, first_name="Bình")
        await citizen.says("/stats")
        await citizen.says("/export")
        assert wire.last_text(6160) == NOT_REVIEWER
        assert wire.sent("sendPhoto", 6160) == wire.sent("sendDocument", 6160) == []

        await reviewer.says("/stats")
        photos = wire.sent("sendPhoto", 5150)
        assert len(photos) == 2
        assert "toàn tỉnh: <b>30</b> câu chuyện" in wire.last_text(5150)
        pngs = [data for method, _, data in wire.uploads if method == "sendPhoto"]
        assert len(pngs) == 2
        for data in pngs:
            _check_png(data)

        await reviewer.says("/export")
        documents = wire.sent("sendDocument", 5150)
        assert len(documents) == 1
        assert wire.sent("sendDocument") == documents  # to the reviewer's chat only
        assert "30 câu chuyện" in wire.last_text(5150)
        name, filename, data = wire.uploads[-1]
        assert name == "sendDocument" and filename.startswith("guongsang-")
        assert filename.endswith(".xlsx")
        wb = load_workbook(io.BytesIO(data))
        assert wb.sheetnames == SHEETS
        assert [r[0] for r in _values(wb["Danh sách"])[4:]] == list(range(1, 31))
    finally:
        await app.shutdown()


def test_fixture_is_what_the_tests_assume() -> None:
    """The numbers above come from the fixture; a change to it must show here first."""
    assert Counter(s.status for s in SPECS) == {"pending": 11, "approved": 8, "published": 5,
                                               "rejected": 4, "needs_changes": 2}
    assert Counter(s.weeks_ago for s in SPECS)[0] == 7
    assert json.dumps(sorted(Counter(s.commune for s in SPECS).values())) == "[6, 9, 15]"
