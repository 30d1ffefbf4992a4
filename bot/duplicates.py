"""Finding stories that may tell the same deed twice: pure scoring, no storage.

Both stories are folded first (no accents, 'đ' as 'd', lower case: `bot.content.fold`), so a
story typed without accents meets the same story typed with them. Two things must agree:

* the honoree — titles of address ("ông", "cô", "chú" …) are dropped and the given name (the
  last word, how neighbours call a person) weighs most, so "Nguyen V. An" meets "Ông Nguyễn Văn
  An" while "Nguyễn Văn Bình" does not;
* the telling — title and description compared as sets of words (rapidfuzz's token ratios), so
  reordered sentences, a few synonyms and typos still match, with the words every story uses
  ("giúp", "bà con" …) left out so that two different deeds of one kind do not.

A deed dated far from the other's counts against it. `SIMILAR` is the score from which a pair is
offered to reviewers; benchmarks/duplicates.py measures its precision and recall.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from bot.content import fold
from bot.health import State, Trouble, poll_until
from bot.storage.duplicates import Duplicates, Telling

__all__ = ["SIMILAR", "DuplicateFinder", "likely_duplicates", "scan", "similarity"]


SIMILAR = 0.66
MAX_CANDIDATES = 5
# Folded titles of address and kinship words said before a name.
_ADDRESS_WORDS = "ong ba anh chi co chu bac cu em thay di duong cau mo tap the ho gia dinh"
_ADDRESS = frozenset(_ADDRESS_WORDS.split())
# Folded words nearly every story uses: they say nothing about which deed it is.
_COMMON_WORDS = """
    va cua cho da la mot cac nhung duoc trong voi nguoi den tu khi nay co khong de ve ra tai o
    nhu thi ma nen rat lai con cung deu hon sau truoc nam ngay thang moi nhieu it tren duoi vao
    giup do ba con nguoi dan xa phuong ap khu gia dinh viec tot lam minh ho ong anh chi em chu
    co bac cu tre nho hang luon van bang theo tung het qua cuoc song dia phuong than thien
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_CHUNK = 100  # stories scored per turn of the worker thread, so the event loop keeps turning
_DAYS_APART = 21  # a deed told twice is seldom dated three weeks apart
# Folded family names: two full names with different ones are two people.
_SURNAME_WORDS = """
    nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly truong dinh mai lam
    trinh cao luu lu ta thai chau kieu quach ton tang la thach danh son kim
"""
_SURNAMES = frozenset(_SURNAME_WORDS.split())


def _fold_table() -> dict[int, str]:
    """Every accented Latin letter (Vietnamese among them) to its folded form, for translate."""
    letters = [chr(c) for c in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))]
    return {ord(c): fold(c) or " " for c in letters if fold(c) != c}


_FOLD = _fold_table()
_WORD = re.compile(r"[^\W_]+")
_SENTENCE = re.compile(r"[.!?\n]+")


def _words(text: str) -> list[str]:
    """Folded words, as `bot.content.fold` gives them (a table: a story's words at C speed)."""
    return _WORD.findall(text.translate(_FOLD).lower())


def _name(honoree: str) -> list[str]:
    words = _words(honoree)
    while len(words) > 1 and words[0] in _ADDRESS:
        words = words[1:]
    return words


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A story's parts as compared: its honoree's name, its words, its specifics, its date."""

    name: tuple[str, ...]
    words: str
    specifics: frozenset[str]
    day: date


def _specifics(text: str) -> frozenset[str]:
    """The words that set one deed apart from another of its kind: numbers, and names of places
    and things (capitalised inside a sentence)."""
    found: set[str] = set()
    for sentence in _SENTENCE.split(text):
        for i, word in enumerate(_WORD.findall(sentence)):
            if word.isdigit() or (i > 0 and word[0].isupper()):
                found.add(word.translate(_FOLD).lower())
    return frozenset(found)


def _prepare(story: Telling) -> _Prepared:
    text = f"{story.title}. {story.description}"
    words = " ".join(w for w in _words(text) if w not in _COMMON)
    return _Prepared(tuple(_name(story.honoree)), words, _specifics(text), story.event_date)


def _name_similarity(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """0–1: the given names alike, and the whole names sharing their words; two full names
    of different families are different people, whatever their given names."""
    if not left or not right:
        return 0.0
    given = fuzz.ratio(left[-1], right[-1]) / 100
    whole = fuzz.token_set_ratio(" ".join(left), " ".join(right)) / 100
    families = len(left) > 1 and len(right) > 1 and left[0] in _SURNAMES and right[0] in _SURNAMES
    if families and fuzz.ratio(left[0], right[0]) < 80:
        return 0.3 * given
    return 0.6 * given + 0.4 * whole


def _score(a: _Prepared, b: _Prepared) -> float:
    name = _name_similarity(a.name, b.name)
    if not a.words or not b.words:
        return 0.0
    text = (fuzz.token_sort_ratio(a.words, b.words) + fuzz.token_set_ratio(a.words, b.words)) / 200
    if a.specifics and b.specifics:
        shared = len(a.specifics & b.specifics) / len(a.specifics | b.specifics)
        text = 0.5 * text + 0.5 * shared
    score = 0.4 * name + 0.6 * text
    if abs((a.day - b.day).days) > _DAYS_APART:
        score -= 0.15
    return max(0.0, min(1.0, score))


def similarity(a: Telling, b: Telling) -> float:
    """0–1: how likely two stories tell the same deed."""
    return _score(_prepare(a), _prepare(b))


def likely_duplicates(story: Telling, others: Iterable[Telling],
                      limit: int = MAX_CANDIDATES) -> list[tuple[int, float]]:
    """The other stories scoring at least `SIMILAR` against `story`, best first."""
    mine = _prepare(story)
    scored = [(other.id, _score(mine, _prepare(other))) for other in others if other.id != story.id]
    found = sorted(((i, s) for i, s in scored if s >= SIMILAR), key=lambda p: (-p[1], p[0]))
    return found[:limit]


async def scan(duplicates: Duplicates, story_id: int) -> None:
    """Compare one story with its commune's recent stories (scored in a worker thread, a
    hundred at a time: a busy commune's sixty days take a few hundred milliseconds) and keep
    what is found."""
    story, others = await duplicates.pool(story_id)
    found: list[tuple[int, float]] = []
    for start in range(0, len(others) if story else 0, _CHUNK):
        assert story is not None
        found += await asyncio.to_thread(likely_duplicates, story, others[start:start + _CHUNK])
    await duplicates.record(story_id, sorted(found, key=lambda p: (-p[1], p[0]))[:MAX_CANDIDATES])


class DuplicateFinder:
    """Compares each filed story in the background, a few at a time."""

    def __init__(self, duplicates: Duplicates, *, batch: int = 5, poll: float = 2.0) -> None:
        self._duplicates = duplicates
        self._batch = batch
        self._poll = poll
        self._trouble = Trouble("duplicate finder", first_wait=poll, max_wait=60.0)

    def state(self) -> State:
        """Running, or retrying (storage failing) and why, as /healthz shows it."""
        return self._trouble.state()

    async def run_once(self) -> int:
        """Compare the stories waiting; return how many."""
        due = await self._duplicates.due(self._batch)
        for story_id in due:
            await scan(self._duplicates, story_id)
        return len(due)

    async def run(self, stop: asyncio.Event) -> None:
        """Until told to stop: compare what is waiting, then wait a little."""
        await poll_until(stop, self.run_once, self._trouble, self._poll)
