"""What a button means: typed records kept with the question, decoded strictly, routed by type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.buttons import Button, Unsubscribe, decode, encode, from_static, static_data
from bot.dialog import Dialog
from bot.handlers.report_steps import Move, PickMovement, ReportMove, ShowName
from bot.handlers.review import ReviewDo
from bot.messages import Choice, Incoming
from bot.storage import Storage
from bot.workflow import Action
from tests.conftest import FakeChat
from tests.senders import BUTTONS, said


@pytest.mark.parametrize("record", [
    ReviewDo(Action.APPROVE, 12, 3),
    ReportMove(Move.BACK),
    PickMovement(None),
    PickMovement("new_rural_areas"),
    ShowName(True),
    Unsubscribe("anniversaries"),
])
def test_a_record_survives_the_trip_through_storage(record: Button) -> None:
    assert decode(encode(record)) == record


@pytest.mark.parametrize("raw", [
    "r:back",  # a question stored by the previous version, before records
    '["rv.do", {"action": "approve", "story_id": "12", "version": 3}]',  # id as text
    '["rv.do", {"action": "promote", "story_id": 12, "version": 3}]',  # no such action
    '["rv.do", {"action": "approve", "story_id": 12}]',  # a field missing
    '["rv.do", {"action": "approve", "story_id": 12, "version": 3, "x": 1}]',  # one too many
    '["r.show", {"show": 1}]',  # a number is not a yes/no
    '["r.movement", {"index": true}]',  # a yes/no is not a number
    '["nope", {}]',
    "[]",
    "",
])
def test_anything_that_is_not_a_known_record_decodes_to_nothing(raw: str) -> None:
    assert decode(raw) is None


def test_a_tag_names_one_kind_of_button() -> None:
    with pytest.raises(TypeError, match="taken by ReviewDo"):
        @dataclass(frozen=True)
        class Impostor(Button, tag="rv.do"):
            story_id: int


def test_only_static_buttons_have_a_wire_form() -> None:
    assert static_data(Unsubscribe("stories")) == "unsub:stories"
    assert from_static("unsub:stories") == Unsubscribe("stories")
    assert from_static("rv.do:12") is None
    assert from_static("unsub") is None
    with pytest.raises(ValueError):
        static_data(ReviewDo(Action.APPROVE, 1, 1))


async def test_options_reach_the_channel_as_opaque_keys_and_come_back_as_records(
    storage: Storage, dialog: Dialog
) -> None:
    chat = FakeChat(dialog, traits=BUTTONS)
    await chat.says("/start")
    consent = chat.replies[-1]
    keys = [c.value for c in consent.flat_choices()]
    assert all(isinstance(k, str) and ":" in k for k in keys)
    assert not any("consent" in str(k) for k in keys)

    pressed = Incoming("fake", "u1", "u1", BUTTONS, display_name="Bình", callback=str(keys[0]))
    await dialog.handle(pressed, datetime.now(UTC))

    person = await storage.people.find("fake", "u1")
    assert person is not None and person.consent is True


async def test_a_question_stored_by_the_previous_version_is_a_stale_button_and_changes_nothing(
    storage: Storage, dialog: Dialog
) -> None:
    chat = FakeChat(dialog, traits=BUTTONS)
    await chat.says("/start")
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    state.prompt.values = ["consent:yes", "consent:no"]
    await storage.dialogs.save(state, datetime.now(UTC))

    pressed = Incoming("fake", "u1", "u1", BUTTONS, display_name="Bình",
                       callback=f"{state.prompt.nonce}:0")
    replies = await dialog.handle(pressed, datetime.now(UTC))

    assert "Nút này thuộc một tin nhắn cũ và không còn dùng được." in said(replies)
    person = await storage.people.find("fake", "u1")
    assert person is not None and person.consent is None


@pytest.mark.parametrize("forged", ["x:0", "unsub:", "unsub:everything", "rv.do:1:2:3", "9" * 80])
async def test_a_forged_button_gets_a_clear_answer_and_changes_nothing(
    storage: Storage, dialog: Dialog, forged: str
) -> None:
    chat = FakeChat(dialog)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.picks("Nhận cả hai")
    before = [tuple(r) for r in await storage.db.fetchall("SELECT * FROM subscriptions")]

    pressed = Incoming("fake", "u1", "u1", BUTTONS, display_name="Bình", callback=forged)
    replies = await dialog.handle(pressed, datetime.now(UTC))

    assert said(replies).strip()
    after = [tuple(r) for r in await storage.db.fetchall("SELECT * FROM subscriptions")]
    assert len(before) == 2
    assert after == before


def test_a_choice_with_a_record_is_drawn_by_its_static_wire_form() -> None:
    assert Choice("Ngừng", Unsubscribe("stories")).wire_value == "unsub:stories"
    assert Choice("1", "abc:0").wire_value == "abc:0"
