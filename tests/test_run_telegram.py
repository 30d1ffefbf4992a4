"""The real `python -m bot run` against a Telegram Bot API server over HTTP (tests/fake_telegram):
a resident starts, agrees, begins a report; the process is killed with SIGKILL right after a
reply and started again; the resident's next tap carries on where they were; SIGTERM ends it
cleanly, and the token is never printed. Then a whole story: filed by taps and typing, approved
by an admin of ADMIN_IDS, and the resident told."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import Settings
from tests.fake_telegram import TOKEN, FakeTelegram, parse_html

PROJECT = Path(__file__).resolve().parent.parent
LAN = 424242
KINDS = ["Gương người tốt, việc tốt", "Mô hình hay, cách làm hay", "Điển hình tiên tiến",
         "Nhân tố mới"]


async def _run(api: FakeTelegram, db_path: Path, **env: str) -> asyncio.subprocess.Process:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(db_path), TELEGRAM_BOT_TOKEN=TOKEN,
                   TELEGRAM_API_URL=api.api_url, PYTHONIOENCODING="utf-8", **env)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=PROJECT, env=environ,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def test_a_resident_walks_in_through_the_real_process_and_a_kill_loses_nothing(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "data" / "gs.sqlite3"
    async with FakeTelegram() as api:
        bot = await _run(api, db_path)
        try:
            api.says(LAN, "/start")
            await api.until(lambda: "Tôi đồng ý" in " ".join(api.buttons(LAN)))
            said = [str(c.params.get("text", "")) for c in api.sent(LAN)]
            assert said[0].startswith("Xin chào, Lan! Đây là <b>Gương Sáng</b>"), said
            assert said[-1] == "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?"
            api.presses(LAN, "Tôi đồng ý")
            await api.until(lambda: "Để sau" in api.buttons(LAN))
            answered = [c for c in api.calls if c.method == "answerCallbackQuery"]
            assert answered, "the tap's spinner is stopped"
            api.says(LAN, "/report")
            await api.until(lambda: "Bước 1/" in api.text_to(LAN))
            assert api.buttons(LAN)[:4] == KINDS
        finally:
            bot.kill()  # SIGKILL: no clean-up of any kind
            await bot.communicate()

        again = await _run(api, db_path)
        try:
            api.presses(LAN, "Gương người tốt, việc tốt")
            await api.until(lambda: "Bước 2/" in api.text_to(LAN))
            assert "nội dung thi đua" in api.text_to(LAN).lower()
        finally:
            again.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(again.communicate(), 30)
        assert again.returncode == 0, err.decode()
        printed = (out + err).decode()
        assert TOKEN not in printed and TOKEN.split(":")[1] not in printed
        assert "Traceback" not in printed


ADMIN = 999001
GOOD = ("Ông An đã tự bỏ tiền và công sức sửa cây cầu khỉ bắc qua kênh Xáng, giúp hơn 50 hộ dân"
        " và học sinh đi lại an toàn mỗi ngày.")


async def _answer(api: FakeTelegram, user: int, *, says: str | None = None,
                  presses: str | None = None, then: str) -> None:
    """Type or tap, then wait until the last thing `user` was shown contains `then`."""
    mark = len(api.sent(user))
    if says is not None:
        api.says(user, says)
    if presses is not None:
        await api.until(lambda: any(presses in b for b in api.buttons(user)))
        api.presses(user, presses)
    await api.until(lambda: len(api.sent(user)) > mark and then in api.text_to(user))


async def test_a_story_filed_on_telegram_is_approved_by_the_admin_and_the_reporter_is_told(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "data" / "gs.sqlite3"
    async with FakeTelegram() as api:
        bot = await _run(api, db_path, ADMIN_IDS=str(ADMIN))
        try:
            await _answer(api, ADMIN, says="/start", then="đồng ý")
            await _answer(api, ADMIN, presses="Tôi đồng ý", then="")
            await _answer(api, LAN, says="/start", then="đồng ý")
            await _answer(api, LAN, presses="Tôi đồng ý", then="")
            await _answer(api, LAN, says="/report", then="Bước 1/")
            await _answer(api, LAN, presses="Gương người tốt, việc tốt", then="Bước 2/")
            await _answer(api, LAN, presses="Chấp hành chủ trương", then="Bước 3/")
            await _answer(api, LAN, says="long xuyen", then="Bước 4/")
            await _answer(api, LAN, says="Nguyễn Văn An", then="Bước 5/")
            await _answer(api, LAN, says="nông dân ấp Mỹ Thạnh", then="Bước 6/")
            await _answer(api, LAN, says="Sửa cầu khỉ cho bà con ấp Mỹ Thạnh", then="Bước 7/")
            await _answer(api, LAN, says=GOOD, then="Bước 8/")
            await _answer(api, LAN, says="02/09/2025", then="Bước 9/")
            await _answer(api, LAN, presses="Bỏ qua", then="Bước 10/")
            await _answer(api, LAN, presses="Bỏ qua", then="Bước 11/")
            await _answer(api, LAN, presses="Bỏ qua", then="Bước 12/")
            await _answer(api, LAN, presses="Không, giấu tên tôi", then="Sửa cầu khỉ")
            await _answer(api, LAN, presses="Gửi", then="xem xét")
            assert "Câu chuyện của bạn là #1." in api.text_to(LAN), api.text_to(LAN)
            await api.until(lambda: "Câu chuyện mới" in api.text_to(ADMIN))

            await _answer(api, ADMIN, says="/approve 1", then="#1")
            await api.until(lambda: "đã được duyệt" in api.text_to(LAN))
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, err.decode()
        assert api.text_to(ADMIN) == ("✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương"
                                      " sáng (/stories).")
        assert api.text_to(LAN).startswith(
            "✅ Câu chuyện #1 “Sửa cầu khỉ cho bà con ấp Mỹ Thạnh” của bạn đã được duyệt và đăng"
            " trong mục Gương sáng của bot.")
        # The admin heard of the new story on their own, before anyone asked.
        told = [parse_html(str(c.params["text"]))[0] for c in api.sent(ADMIN)]
        assert ("📥 Câu chuyện mới #1 “Sửa cầu khỉ cho bà con ấp Mỹ Thạnh” đang chờ duyệt. Gõ"
                " /pending để xem.") in told
