"""A resident names the commune, ward or special zone however they type it, and finds it."""

from __future__ import annotations

from collections import Counter

import pytest
from vietnam_provinces import ProvinceCode, Ward

from bot.content import fold, localities
from bot.storage import Storage
from tests.conftest import FakeChat
from tests.journeys import agree, report_until

AN_GIANG = 91
UNITS = localities(AN_GIANG).units
PREFIXES = ("Xã ", "Phường ", "Đặc khu ")


def _bare(name: str) -> str:
    """'Phường Long Xuyên' -> 'Long Xuyên'."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    raise AssertionError(f"unexpected unit name {name!r}")


def _ids(units: list) -> list[str]:  # type: ignore[type-arg]
    return [u.name for u in units]


def test_all_102_units_of_an_giang_are_loaded_from_vietnam_provinces() -> None:
    places = localities(AN_GIANG)
    assert places.province_name == "An Giang"
    assert len(places.units) == 102
    assert Counter(u.division for u in places.units) == {"xã": 85, "phường": 14, "đặc khu": 3}
    wards = list(Ward.iter_by_province(ProvinceCode(AN_GIANG)))
    assert {int(w.code) for w in wards} == {u.code for u in places.units}
    assert {w.name for w in wards} == {u.name for u in places.units}
    assert all(places.get(u.code) == u for u in places.units)
    assert places.get(1) is None  # Phường Phúc Xá, Hà Nội: not in the province


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda n: n, id="as-written"),
        pytest.param(fold, id="without-accents"),
        pytest.param(str.lower, id="lower-case"),
        pytest.param(str.upper, id="upper-case"),
        pytest.param(lambda n: _bare(n), id="bare-name"),
        pytest.param(lambda n: fold(_bare(n)), id="bare-without-accents"),
        pytest.param(lambda n: _bare(n).lower(), id="bare-lower-case"),
        pytest.param(lambda n: f"  {fold(n).upper()}  ", id="shouting-with-spaces"),
    ],
)
def test_every_unit_is_found_by_its_name_however_it_is_typed(typed) -> None:  # type: ignore[no-untyped-def]
    places = localities(AN_GIANG)
    missed = []
    for unit in UNITS:
        query = typed(unit.name)
        found, sure = places.search(query)
        if not (sure and found and found[0].code == unit.code):
            missed.append((query, _ids(found), sure))
    assert missed == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("long xuyen", "Phường Long Xuyên"),
        ("Long Xuyên", "Phường Long Xuyên"),
        ("LONG XUYEN", "Phường Long Xuyên"),
        ("phường long xuyên", "Phường Long Xuyên"),
        ("p. long xuyen", "Phường Long Xuyên"),
        ("phu quoc", "Đặc khu Phú Quốc"),
        ("Phú Quốc", "Đặc khu Phú Quốc"),
        ("dac khu phu quoc", "Đặc khu Phú Quốc"),
        ("my hoa hung", "Xã Mỹ Hòa Hưng"),
        ("Mỹ Hòa Hưng", "Xã Mỹ Hòa Hưng"),
        ("rach gia", "Phường Rạch Giá"),
        ("chau doc", "Phường Châu Đốc"),
        ("ha tien", "Phường Hà Tiên"),
        ("tho chau", "Đặc khu Thổ Châu"),
    ],
)
def test_well_known_places_are_a_sure_single_match(query: str, name: str) -> None:
    found, sure = localities(AN_GIANG).search(query)
    assert sure
    assert found[0].name == name


@pytest.mark.parametrize("query", ["đông", "dong", "Đông", "ĐÔNG", "DONG"])
def test_dong_with_or_without_its_d_stroke_offers_the_same_several_places(query: str) -> None:
    found, sure = localities(AN_GIANG).search(query)
    assert not sure
    names = _ids(found)
    assert len(names) >= 3
    assert {"Xã Đông Hòa", "Xã Đông Hưng", "Xã Đông Thái"} <= set(names)
    assert all("dong" in fold(n).split() for n in names)
    assert names == _ids(localities(AN_GIANG).search("đông")[0])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("long", {"Phường Long Xuyên", "Phường Long Phú", "Xã Long Kiến", "Xã Long Điền"}),
        ("phu", {"Đặc khu Phú Quốc", "Xã Phú Hòa", "Xã Phú Hữu", "Xã Phú Tân"}),
        ("vinh", {"Phường Vĩnh Tế", "Phường Vĩnh Thông"}),
        ("chau", {"Phường Châu Đốc", "Phường Tân Châu"}),
    ],
)
def test_part_of_a_name_gives_several_matches(query: str, expected: set[str]) -> None:
    found, sure = localities(AN_GIANG).search(query)
    assert not sure
    assert len(found) > 1
    assert expected <= set(_ids(found))
    assert all(fold(query) in u.key for u in found)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("longxuyen", "Phường Long Xuyên"),
        ("rach gai", "Phường Rạch Giá"),
        ("phu qouc", "Đặc khu Phú Quốc"),
        ("tan chao", "Phường Tân Châu"),
        ("ha tein", "Phường Hà Tiên"),
    ],
)
def test_a_misspelling_finds_nothing_but_suggests_the_intended_place(typo: str, meant: str) -> None:
    places = localities(AN_GIANG)
    assert places.search(typo) == ([], False)
    suggestions = _ids(places.suggest(typo))
    assert suggestions[0] == meant
    assert len(suggestions) <= 5


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Rạch Gía", "Phường Rạch Giá"),  # the tone mark on the wrong vowel
        ("phu quoc.", "Đặc khu Phú Quốc"),
        ("Long  Xuyen!", "Phường Long Xuyên"),
        ("xã  mỹ hòa hưng", "Xã Mỹ Hòa Hưng"),
    ],
)
def test_stray_punctuation_spaces_and_misplaced_tone_marks_are_forgiven(
    typed: str, meant: str
) -> None:
    found, sure = localities(AN_GIANG).search(typed)
    assert sure
    assert found[0].name == meant


def test_a_name_from_another_province_is_not_found_and_gets_no_wild_suggestions() -> None:
    places = localities(AN_GIANG)
    assert places.search("Hoàn Kiếm") == ([], False)
    assert places.suggest("xyzzy qwerty") == []


# --- the same through the dialog ---------------------------------------------------------------


async def test_long_xuyen_typed_without_accents_is_taken_at_once(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "commune")
    await chat.says("long xuyen")
    assert "📍 Địa bàn: Phường Long Xuyên" in chat.text
    assert "Bước 4/12. Ai là người (hoặc tập thể) được nêu gương?" in chat.text
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    assert (state.step, state.data["commune"]) == ("honoree", 30307)


async def test_dong_offers_a_list_to_pick_from_and_the_pick_is_stored(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "commune")
    await chat.says("dong")
    assert "Có nhiều nơi trùng với “dong”. Bạn chọn đúng nơi nhé:" in chat.text
    assert {"Xã Đông Hòa", "Xã Đông Hưng", "Xã Đông Thái"} <= set(chat.options())
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None and state.step == "commune" and "commune" not in state.data
    await chat.picks("Xã Đông Thái")
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    expected = next(u.code for u in UNITS if u.name == "Xã Đông Thái")
    assert (state.step, state.data["commune"]) == ("honoree", expected)


async def test_a_misspelt_name_gets_suggestions_in_the_dialog(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "commune")
    await chat.says("rach gai")
    assert (
        "Không tìm thấy “rach gai” trong 102 xã, phường, đặc khu của An Giang. "
        "Có phải một trong các nơi này không? Nếu không, hãy gõ lại tên."
    ) in chat.text
    assert "Phường Rạch Giá" in chat.options()
    await chat.picks("Phường Rạch Giá")
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    assert state.data["commune"] == next(u.code for u in UNITS if u.name == "Phường Rạch Giá")


async def test_every_unit_can_be_chosen_in_the_dialog_by_typing_it_without_accents(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "commune")
    for unit in UNITS:
        await chat.says(fold(unit.name))
        state = await storage.dialogs.load("fake", "u1")
        assert state is not None
        assert (state.step, state.data.get("commune")) == ("honoree", unit.code), unit.name
        await chat.says("/back")
        assert "Bước 3/12." in chat.text
