"""A commune officer imports residents' stories from a spreadsheet (issue 13, item 5): /import
gives the template; the filled file sent back is checked row by row like the report, filed all
at once or not at all, never twice; a file that is not what it should be is refused whole."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.channels import console
from bot.content import load_library
from bot.dialog import Dialog
from bot.messages import Document, FileTooLarge, Reply
from bot.storage import Storage
from tests.conftest import FakeChat
from tests.import_files import HEADERS, filled_template, row, workbook, zip_bomb
from tests.test_review_journey import join, staff

LONG_XUYEN, MY_THOI = 30307, 30301
NOTHING = "Không có gì được nhập."


class Officer(FakeChat):
    """Chi, a commune officer on a channel without buttons, who can send a file."""

    fetched = 0

    async def sends(self, data: bytes, name: str = "cau-chuyen.xlsx",
                    size: int | None = None) -> list[Reply]:
        async def fetch(limit: int) -> bytes:
            self.fetched += 1
            if len(data) > limit:
                raise FileTooLarge(len(data))
            return data

        told = len(data) if size is None else size
        return await self._send(document=Document(name, told, fetch), unsupported="document")


async def officer(dialog: Dialog, communes: tuple[int, ...] = (LONG_XUYEN, MY_THOI)) -> Officer:
    chi = Officer(dialog, "o1", name="Phạm Thị Chi")
    await staff(chi, "officer", communes)
    return chi


async def template(chi: Officer) -> bytes:
    await chi.says("/import")
    (attachment,) = chi.replies[0].files
    assert attachment.filename == "mau-nhap-cau-chuyen.xlsx"
    return attachment.data


async def count(storage: Storage) -> int:
    row_ = await storage.db.fetchone("SELECT COUNT(*) FROM stories")
    assert row_ is not None
    return int(row_[0])


async def test_the_template_has_vietnamese_headers_an_example_and_a_guide(
    dialog: Dialog,
) -> None:
    chi = await officer(dialog)
    data = await template(chi)
    assert chi.text.startswith("📎 Đây là mẫu bảng tính để nhập nhiều câu chuyện của người dân")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Câu chuyện", "Hướng dẫn"]
    sheet, guide = book.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert HEADERS[:3] == ["Xã, phường, đặc khu", "Loại câu chuyện", "Nội dung thi đua"]
    assert len(rows) == 2 and rows[1][0] == "Phường Long Xuyên"
    assert rows[1][HEADERS.index("Người dân đã đồng ý")] == "có"
    said = "\n".join(str(c) for r in guide.iter_rows(values_only=True) for c in r if c)
    for expected in ("Gương người tốt, việc tốt", "Nhân tố mới", "Phường Long Xuyên",
                     "Đặc khu Phú Quốc", "Mô tả việc làm", "Bắt buộc", "Tối đa 1.000 dòng và 5 MB"):
        assert expected in said, expected
    communes = [r[0] for r in guide.iter_rows(values_only=True)
                if r[0] and str(r[0]).startswith(("Xã ", "Phường ", "Đặc khu "))]
    assert len(communes) == 102
    assert len(sheet.data_validations.dataValidation) == 6  # drop-down lists to pick from

    await chi.sends(data)  # sent back untouched: the example is no story
    assert chi.text.startswith("Tệp “cau-chuyen.xlsx” chưa có câu chuyện nào để nhập.")


async def test_thirty_residents_stories_are_filed_at_once_with_a_clear_report(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    reviewer_person = await staff(reviewer, "reviewer", (LONG_XUYEN,))
    data = filled_template(await template(chi), [row(n) for n in range(1, 31)])
    await chi.sends(data)
    assert chi.text.startswith(
        "✅ Đã nhập 30 câu chuyện từ “cau-chuyen.xlsx” (dòng 2–31): #1–#30. Các câu chuyện"
        " đang chờ Ban Thi đua - Khen thưởng xem xét")
    assert await count(storage) == 30
    chi_person = await storage.people.find("fake", "o1")
    assert chi_person is not None
    story = await storage.stories.get(7)
    assert story is not None
    filing = load_library(None).campaigns.filing(datetime.now(UTC).date())[0]  # open today
    third = next(c.key for i, c in enumerate(filing.contents, 1) if (c.number or i) == 3)
    assert (story.reporter_id, story.status, story.campaign, story.commune_code, story.kind,
            story.content) == (chi_person.id, "pending", filing.key, LONG_XUYEN, "good_deed",
                               third)
    assert (story.title, story.event_date) == ("Việc tốt số 7 của bà con ấp Mỹ Thạnh",
                                               "2025-08-08")
    assert (story.resident_name, story.resident_contact, story.resident_is,
            story.resident_shown) == ("Trần Thị Dân 7", "0912345607", "teller", False)
    assert story.resident_consent_at is not None and story.public_name is None
    actors = await storage.db.fetchall("SELECT DISTINCT actor_id, action FROM story_events")
    assert [tuple(a) for a in actors] == [(chi_person.id, "submit")]
    audit = await storage.db.fetchall("SELECT actor_id, action, details FROM audit_log"
                                      " WHERE action = 'import'")
    assert len(audit) == 1 and audit[0]["actor_id"] == chi_person.id
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await join(admin)
    await admin.says("/audit")
    assert "Phạm Thị Chi (fake:o1): nhập 30 câu chuyện từ bảng tính “cau-chuyen.xlsx”" in admin.text
    # The reviewer of Long Xuyên hears once of the stories new there, not thirty times.
    notices = await storage.db.fetchall(
        "SELECT params FROM outbox WHERE person_id = ? AND template = ?",
        (reviewer_person.id, "officer.imported_notice"))
    long_xuyen = [n for n in range(1, 31) if n % 5 in (0, 1, 2)]  # the rest: Mỹ Thới
    assert len(notices) == 1 and f'"count": {len(long_xuyen)}' in notices[0]["params"]


async def test_one_bad_row_imports_nothing_and_names_the_row_and_why(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    rows = [row(n) for n in range(1, 31)]
    rows[5] = row(6, date=date(2031, 1, 1))  # spreadsheet row 7
    rows[10] = row(11, commune="Phú Quốc", consent="không", title="Ngắn")  # row 12
    await chi.sends(workbook(rows))
    assert await count(storage) == 0
    assert chi.text.splitlines()[:6] == [
        "❌ Chưa nhập câu chuyện nào từ “cau-chuyen.xlsx”: 2 dòng chưa đúng. Tệp chỉ được nhập"
        " khi mọi dòng đều đúng — hãy sửa các dòng dưới đây rồi gửi lại cả tệp.",
        "• Dòng 7, cột “Ngày diễn ra”: ngày 01/01/2031 ở tương lai",
        "• Dòng 12, cột “Tiêu đề”: ngắn quá (4 ký tự, cần ít nhất 5)",
        "• Dòng 12, cột “Xã, phường, đặc khu”: Đặc khu Phú Quốc không thuộc địa bàn bạn phụ trách",
        "• Dòng 12, cột “Người dân đã đồng ý”: người dân chưa đồng ý (phải ghi “có”), nên không"
        " nhập",
        "✔️ Các dòng đã đúng (28): 2–6, 8–11, 13–31",
    ]


async def test_the_same_file_twice_files_nothing_the_second_time(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    data = workbook([row(n) for n in range(1, 31)])
    await chi.sends(data)
    assert "Đã nhập 30 câu chuyện" in chi.text
    await chi.sends(data, name="cau-chuyen (1).xlsx")
    assert chi.text.startswith("Tệp “cau-chuyen (1).xlsx” đã được nhập trước đây: 30 câu chuyện"
                               " #1–#30 (dòng 2–31). Không có gì được nhập thêm.")
    assert await count(storage) == 30
    # The same rows with two more, in another order: only the two new ones are filed.
    await chi.sends(workbook([row(31), *[row(n) for n in range(30, 0, -1)], row(32)]))
    assert chi.text.startswith("✅ Đã nhập 2 câu chuyện từ “cau-chuyen.xlsx” (dòng 2, 33):"
                               " #31–#32.")
    assert "Có 30 dòng (3–32) đã được nhập trước đây nên không nhập lại." in chi.text
    assert await count(storage) == 32


def _formula(sheet: Any) -> None:
    sheet["C3"] = "=1+1"


def _merged(sheet: Any) -> None:
    sheet.merge_cells("H2:H3")


def _too_many(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for _ in range(rows):  # one cell is enough for a row to count
        sheet.append(["Long Xuyên"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BAD_FILES: list[tuple[str, Callable[[], bytes], str]] = [
    ("csv", lambda: "Xã, phường, đặc khu,Loại câu chuyện\nLong Xuyên,x\n".encode(),
     "Tệp “cau-chuyen.xlsx” không phải bảng tính Excel .xlsx."),
    ("old xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
     "Tệp “cau-chuyen.xlsx” không phải bảng tính Excel .xlsx."),
    ("broken zip", lambda: b"PK\x03\x04" + b"not really a zip" * 10,
     "Tệp “cau-chuyen.xlsx” không phải bảng tính Excel .xlsx."),
    ("zip bomb", zip_bomb, "Tệp “cau-chuyen.xlsx” lớn quá"),
    ("missing column", lambda: workbook([row(1)], headers=HEADERS[:-1]),
     "Tệp “cau-chuyen.xlsx” thiếu cột: “Người dân đã đồng ý”."),
    ("unknown column", lambda: workbook([row(1)], headers=[*HEADERS, "Ghi chú"]),
     "Tệp “cau-chuyen.xlsx” có cột không có trong mẫu: Ghi chú."),
    ("formula", lambda: workbook([row(1), row(2)], prepare=_formula),
     "Ô C3 của tệp “cau-chuyen.xlsx” có công thức."),
    ("merged cells", lambda: workbook([row(1), row(2)], prepare=_merged),
     "Tệp “cau-chuyen.xlsx” có ô gộp (H2:H3)."),
    ("1,001 rows", lambda: _too_many(1_001), "Tệp “cau-chuyen.xlsx” có hơn 1.000 dòng."),
    ("10,000 rows", lambda: _too_many(10_000), "Tệp “cau-chuyen.xlsx” có hơn 1.000 dòng."),
    ("headers only", lambda: workbook([]),
     "Tệp “cau-chuyen.xlsx” chưa có câu chuyện nào để nhập."),
]


@pytest.mark.parametrize(("data", "answer"), [pytest.param(make, answer, id=name)
                                              for name, make, answer in BAD_FILES])
async def test_a_file_that_is_not_what_it_should_be_gets_a_clear_answer_and_imports_nothing(
    dialog: Dialog, storage: Storage, data: Callable[[], bytes], answer: str,
) -> None:
    chi = await officer(dialog)
    await chi.sends(data())
    assert chi.text.startswith(answer), chi.text
    assert await count(storage) == 0
    await chi.sends(workbook([row(1)]))  # and the bot still imports a good one after it
    assert chi.text.startswith("✅ Đã nhập 1 câu chuyện")


async def test_a_file_over_five_megabytes_is_refused_before_it_is_fetched(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    await chi.sends(b"PK\x03\x04" + b"x" * (5 * 1024 * 1024 + 1))
    assert chi.text.startswith("Tệp “cau-chuyen.xlsx” lớn quá (5,1 MB; tối đa 5 MB).")
    assert await count(storage) == 0


async def test_empty_rows_are_left_out_and_rows_keep_their_numbers(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    await chi.sends(workbook([row(1), None, None, row(2, contact=912345678), None]))
    assert chi.text.startswith("✅ Đã nhập 2 câu chuyện từ “cau-chuyen.xlsx” (dòng 2, 5): #1–#2.")
    second = await storage.stories.get(2)
    assert second is not None and second.resident_contact == "0912345678"  # Excel ate the 0


async def test_a_resident_who_is_the_honoree_may_leave_the_honoree_empty(
    dialog: Dialog, storage: Storage,
) -> None:
    chi = await officer(dialog)
    await chi.sends(workbook([row(1, honoree=None, resident_is="người được nêu gương",
                                  shown="có")]))
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.honoree_name, story.resident_is, story.resident_shown) == (
        "Trần Thị Dân 1", "honoree", False)


async def test_only_staff_may_import_and_a_citizens_file_is_not_read(
    dialog: Dialog, storage: Storage,
) -> None:
    lan = Officer(dialog, "u1", name="Trần Thị Lan")
    await join(lan)
    await lan.says("/import")
    assert lan.text == "Lệnh /import dành cho cán bộ xã, cán bộ thẩm định và quản trị viên."
    await lan.sends(workbook([row(1)]))
    assert lan.text.startswith("Mình chưa đọc được loại tin nhắn này")
    assert lan.fetched == 0 and await count(storage) == 0


async def test_while_waiting_for_the_file_a_typed_answer_is_reminded_what_to_send(
    dialog: Dialog,
) -> None:
    chi = await officer(dialog)
    await template(chi)
    await chi.says("gửi rồi mà")
    assert chi.text.startswith("Mình đang chờ tệp bảng tính (.xlsx)")
    await chi.says("/cancel")
    await chi.sends(workbook([row(1)]))  # a file outside /import is taken all the same
    assert chi.text.startswith("✅ Đã nhập 1 câu chuyện")


async def test_a_file_that_cannot_be_fetched_is_asked_for_again(dialog: Dialog) -> None:
    chi = await officer(dialog)

    async def broken(limit: int) -> bytes:
        raise ConnectionError("the channel is down")

    fetch: Callable[[int], Awaitable[bytes]] = broken
    await chi._send(document=Document("cau-chuyen.xlsx", 1000, fetch), unsupported="document")
    assert chi.text.startswith("Mình chưa tải được tệp “cau-chuyen.xlsx”. Bạn gửi lại giúp mình")


async def test_in_the_console_the_path_of_a_spreadsheet_is_the_file(
    dialog: Dialog, storage: Storage, tmp_path: Path,
) -> None:
    person = await storage.people.get_or_create("console", "chi", "vi")
    await storage.people.set_consent(person, True, "chi", None)
    await storage.roles.grant(person.id, "officer", (LONG_XUYEN,))
    sheet = tmp_path / "xa long xuyen.xlsx"
    sheet.write_bytes(workbook([row(1, commune="long xuyen")]))

    async def say(line: str) -> str:
        incoming = console.to_incoming(line, "chi")
        assert incoming is not None
        return "\n".join(r.text for r in await dialog.handle(incoming))

    asked = await say("/import")  # step 3 says how a file is sent here: by its path
    assert ("\n3. Gõ đường dẫn tới tệp đã điền trên máy này, ví dụ"
            " <i>/home/chi/mau-nhap-cau-chuyen.xlsx</i>.\n") in asked
    assert (await say(f"'{sheet}'")).startswith("✅ Đã nhập 1 câu chuyện từ “xa long xuyen.xlsx”")
    typed = console.to_incoming("/import", "chi")
    assert typed is not None and typed.command == "import"  # a command is still a command
    csv = tmp_path / "ds.csv"
    csv.write_text("a,b\n", encoding="utf-8")
    assert (await say(str(csv))).startswith("Tệp “ds.csv” không phải bảng tính Excel .xlsx.")


async def test_a_banned_officer_files_nothing_and_is_told_how_to_reach_the_board(
    dialog: Dialog, storage: Storage,
) -> None:
    contact = "0296 3852 123 · Sở Nội vụ"
    dialog.settings = dialog.settings.model_copy(update={"contact": contact})
    chi = await officer(dialog)
    data = workbook([row(n) for n in range(1, 4)])
    person = await storage.people.find("fake", "o1")
    assert person is not None
    await storage.roles.ban(person.id, "nhập sai nhiều lần")

    await chi.sends(data)

    assert chi.text.startswith("Xin lỗi, tài khoản của bạn hiện không thể gửi câu chuyện.")
    assert "📞 " + contact in chi.text
    assert await count(storage) == 0
