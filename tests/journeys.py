"""Walking part of a report on the fake numbered channel, step by step (helpers, not tests)."""

from __future__ import annotations

from bot.messages import Reply
from tests.conftest import GOOD_DESCRIPTION, FakeChat

GOOD_TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"

# How a resident answers each step of /report on a channel without buttons. Content 1 has no
# national movement, so "movement" is never asked on this walk.
WALK: list[tuple[str, str, str]] = [
    ("kind", "picks", "Gương người tốt, việc tốt"),
    ("content", "picks", "Chấp hành tốt chủ trương"),
    ("commune", "says", "long xuyen"),
    ("honoree", "says", "Nguyễn Văn An"),
    ("honoree_role", "says", "nông dân ấp Mỹ Thạnh"),
    ("title", "says", GOOD_TITLE),
    ("description", "says", GOOD_DESCRIPTION),
    ("date", "says", "02/09/2025"),
    ("photos", "picks", "Bỏ qua"),
    ("location", "picks", "Bỏ qua"),
    ("phone", "picks", "Bỏ qua"),
    ("show_name", "picks", "Không, giấu tên tôi"),
    ("summary", "picks", "Gửi"),
]
STEPS = [name for name, _, _ in WALK]


async def agree(chat: FakeChat) -> None:
    """/start and agree to the privacy notice."""
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")


async def answer(chat: FakeChat, step: str, **instead: str) -> list[Reply]:
    """Answer one step the usual way, or type `instead[step]`."""
    if step in instead:
        return await chat.says(instead[step])
    for name, how, value in WALK:
        if name == step:
            return await (chat.picks(value) if how == "picks" else chat.says(value))
    raise AssertionError(f"no such step {step!r}")


async def answer_from(chat: FakeChat, first: str, last: str | None = None, **instead: str) -> None:
    """Answer every step from `first` up to and including `last` (default: submit)."""
    end = STEPS.index(last) + 1 if last else len(STEPS)
    for step in STEPS[STEPS.index(first) : end]:
        await answer(chat, step, **instead)


async def report_until(chat: FakeChat, step: str, **instead: str) -> None:
    """From a consenting person's /report, answer every step before `step`."""
    await chat.says("/report")
    index = STEPS.index(step)
    if index:
        await answer_from(chat, STEPS[0], STEPS[index - 1], **instead)
