"""A commune officer on the Zalo Official Account sends the filled /import spreadsheet: the OA's
`user_send_file` event carries the file's URL, name and size; the bot downloads it from the
platform (never past the import cap) and files the stories. Driven through the real webhook,
channel, dialog and storage against the fake OA platform, which serves the file and records
every request for it."""

from __future__ import annotations

import pytest

from bot.channels.zalo_oa import to_incoming
from bot.messages import Document, FileTooLarge
from bot.sheet_reader import MAX_BYTES
from bot.storage import Storage
from tests.fake_zalo_oa import FakeOa, OaFile
from tests.import_files import row, workbook
from tests.oa_harness import OaBot, OaPerson
from tests.test_zalo_oa_journey import agrees

OFFICER = "6098765432109876543"
RESIDENT = "6012345678901234567"
LONG_XUYEN, MY_THOI = 30307, 30301
WAITING = ("Mình đang chờ tệp bảng tính (.xlsx) bạn đã điền theo mẫu. Gửi tệp vào đây, hoặc gõ"
           " /cancel để thôi.")
NOT_UNDERSTOOD = "Mình chưa đọc được loại tin nhắn này (nhãn dán, ghi âm, tệp…)."
MB = 1024 * 1024


async def officer(oa: FakeOa, bot: OaBot, storage: Storage) -> OaPerson:
    """An officer follows the OA, agrees, and is made a commune officer of two communes."""
    chi = OaPerson(oa, bot, OFFICER)
    await agrees(chi)
    person = await storage.people.find("zalo_oa", OFFICER)
    assert person is not None
    await storage.roles.grant(person.id, "officer", (LONG_XUYEN, MY_THOI))
    return chi


async def stories(storage: Storage) -> int:
    found = await storage.db.fetchone("SELECT COUNT(*) FROM stories")
    assert found is not None
    return int(found[0])


def filled(rows: int) -> bytes:
    """A workbook with the template's headers and `rows` residents' stories."""
    return workbook([row(n) for n in range(1, rows + 1)])


async def test_an_officer_sends_the_filled_workbook_on_the_oa_and_the_stories_are_filed(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    chi = await officer(oa, bot, storage)
    said = await chi.says("/import")
    assert said[0].startswith("📎 Đây là mẫu bảng tính để nhập nhiều câu chuyện của người dân")
    data = filled(12)
    url = oa.upload("cau-chuyen-xa.xlsx", OaFile(data))
    said = await chi.sends_file(url, "cau-chuyen-xa.xlsx", str(len(data)))
    assert said[0].startswith("✅ Đã nhập 12 câu chuyện từ “cau-chuyen-xa.xlsx” (dòng 2–13):"
                              " #1–#12.")
    assert [r.path for r in oa.calls(".xlsx")] == [url.removeprefix(oa.url)]
    assert await stories(storage) == 12
    person = await storage.people.find("zalo_oa", OFFICER)
    story = await storage.stories.get(12)
    assert person is not None and story is not None
    assert (story.reporter_id, story.status, story.title, story.resident_name) == (
        person.id, "pending", "Việc tốt số 12 của bà con ấp Mỹ Thạnh", "Trần Thị Dân 12")


TOO_BIG = "Tệp “qua-lon.xlsx” lớn quá ("


async def test_a_file_over_the_cap_is_refused_and_never_read_past_it(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    chi = await officer(oa, bot, storage)
    # The event says 6 MB: the platform is not asked for a byte.
    declared = oa.upload("qua-lon.xlsx", OaFile(b"PK\x03\x04" * (6 * MB // 4)))
    await chi.says("/import")
    said = await chi.sends_file(declared, "qua-lon.xlsx", str(6 * MB))
    assert said == ["Tệp “qua-lon.xlsx” lớn quá (6,0 MB; tối đa 5 MB). Hãy chia thành nhiều tệp"
                    " nhỏ hơn. Không có gì được nhập."]
    assert oa.calls(".xlsx") == []

    # No size in the event, 8 MB in the Content-Length: refused before the body is read.
    chunk = b"\0" * (64 * 1024)
    headed = OaFile(chunk, repeat=128)
    await chi.says("/import")
    said = await chi.sends_file(oa.upload("qua-lon.xlsx", headed), "qua-lon.xlsx", "lớn")
    assert said[0].startswith(TOO_BIG + "8,0 MB; tối đa 5 MB).")  # the size the platform gave
    assert said[0].endswith("Không có gì được nhập.")
    assert len(oa.calls(".xlsx")) == 1

    # The event says 1,000 bytes, the body runs on without a length: the download stops soon
    # after the cap (the kernel's socket buffers take a few MB more; the body is 64 MB).
    lying = OaFile(chunk, repeat=1024, declare=False)
    await chi.says("/import")
    said = await chi.sends_file(oa.upload("qua-lon.xlsx", lying), "qua-lon.xlsx", 1000)
    shown = said[0].removeprefix(TOO_BIG).split(" MB;")[0]  # what was read: over 5, not 0,0
    assert 5 < float(shown.replace(",", ".")) < 32, said[0]
    assert said[0].endswith("Không có gì được nhập.")
    assert len(oa.calls(".xlsx")) == 2
    assert MAX_BYTES < lying.served < lying.size // 2, lying.served
    assert headed.served < headed.size // 2, headed.served
    assert await stories(storage) == 0


async def test_a_resident_who_sends_a_file_is_not_understood_and_nothing_is_fetched(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    resident = OaPerson(oa, bot, RESIDENT)
    await agrees(resident)
    url = oa.upload("cau-chuyen.xlsx", OaFile(filled(2)))
    said = await resident.sends_file(url, "cau-chuyen.xlsx", "4096")
    assert said[0].startswith(NOT_UNDERSTOOD)
    assert await resident.says("/import") == [
        "Lệnh /import dành cho cán bộ xã, cán bộ thẩm định và quản trị viên."]
    assert (await resident.sends_file(url, "cau-chuyen.xlsx", "4096"))[0].startswith(
        NOT_UNDERSTOOD)
    assert oa.calls(".xlsx") == []
    assert await stories(storage) == 0


async def test_a_file_the_platform_cannot_give_is_asked_for_again(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    chi = await officer(oa, bot, storage)
    data = filled(3)
    url = oa.upload("mat.xlsx", OaFile(data, status=500))
    await chi.says("/import")
    said = await chi.sends_file(url, "mat.xlsx", len(data))
    assert said == ["Mình chưa tải được tệp “mat.xlsx”. Bạn gửi lại giúp mình nhé."]
    assert [c.status for c in oa.calls(".xlsx")] == [500]
    assert await stories(storage) == 0


def file_event(payload: dict[str, object]) -> dict[str, object]:
    return {"event_name": "user_send_file", "sender": {"id": OFFICER}, "timestamp": "1",
            "message": {"msg_id": "m1", "attachments": [{"type": "file", "payload": payload}]}}


async def test_a_file_event_becomes_a_document_fetched_through_the_download() -> None:
    asked: list[tuple[str, int]] = []

    async def download(url: str, limit: int) -> bytes:
        asked.append((url, limit))
        return b"PK"

    url = "https://f1.zdn.vn/oa/cau-chuyen.xlsx"
    incoming = to_incoming(file_event({"url": url, "name": "x" * 300, "size": "20480"}),
                           "Chi", download)
    assert incoming is not None and incoming.unsupported == "document"
    document = incoming.document
    assert isinstance(document, Document)
    assert (document.filename, document.size) == ("x" * 200, 20480)
    assert await document.fetch(MAX_BYTES) == b"PK"
    with pytest.raises(FileTooLarge):
        await document.fetch(20479)  # refused on the declared size alone
    assert asked == [(url, MAX_BYTES)]


@pytest.mark.parametrize(("size", "known"), [
    (20480, 20480), ("0", 0), (-1, None), ("-1", None), (1.5, None), ("1,5", None),
    (True, None), (None, None), ("", None), ("9" * 40, None),
])
def test_a_declared_size_is_a_non_negative_whole_number_or_unknown(
    size: object, known: int | None,
) -> None:
    async def download(url: str, limit: int) -> bytes:
        raise AssertionError("not fetched")

    incoming = to_incoming(file_event({"url": "https://f1.zdn.vn/a.xlsx", "size": size}),
                           download=download)
    assert incoming is not None and incoming.document is not None
    assert (incoming.document.filename, incoming.document.size) == ("", known)


@pytest.mark.parametrize("payload", [{"name": "a.xlsx"}, {"url": "ftp://f1.zdn.vn/a.xlsx"},
                                     {"url": 7}])
def test_a_file_without_a_usable_address_stays_an_unsupported_document(
    payload: dict[str, object],
) -> None:
    async def download(url: str, limit: int) -> bytes:
        raise AssertionError("not fetched")

    incoming = to_incoming(file_event(payload), download=download)
    assert incoming is not None
    assert (incoming.unsupported, incoming.document) == ("document", None)
    without = to_incoming(file_event({"url": "https://f1.zdn.vn/a.xlsx"}))
    assert without is not None
    assert (without.unsupported, without.document) == ("document", None)
