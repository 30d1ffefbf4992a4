"""The story status machine, exhaustively: every status × action × actor × review levels.

The expected outcome of every combination is written out below, from the rules:

* submit — a person files their own story: not filed yet → pending; refused to a banned person.
* approve — a reviewer of the story's commune (or of the whole province) or an admin takes a
  story under review (pending, recommended) to approved; with two review levels a reviewer's
  approve of a pending story only recommends it, and a recommended story needs an admin.
* recommend — the reviewer's first step of two-level review: pending → recommended.
* request_changes — pending | recommended → needs_changes.
* reject, mark_duplicate — pending | recommended | needs_changes → rejected.
* correct — a reviewer's correction of any field; the status stays (pending | recommended).
* resubmit — the reporter, needs_changes → pending; refused to a banned reporter.
* amend — the reporter's own edit while changes are asked; the status stays (needs_changes);
  refused to a banned reporter.
* withdraw — the reporter, or erasure (a system actor), pending | recommended | needs_changes →
  withdrawn.
* publish — an admin or the publisher (a system actor), approved → published.
* unpublish — an admin, published → approved (the post is taken down; the approval stands).
* revert — an admin, approved | published → pending (the approval is undone; a post comes down).
* nominate — a reviewer of the commune or an admin, approved | published, status stays.
* nomination_outcome — an admin, approved | published, only while the nomination is proposed.
* nobody approves, recommends, nominates or decides the award of their own story; system actors
  take only what is named for them; everything else is refused.
* an officer files stories (for residents of their communes) and may resubmit, amend and
  withdraw the ones they filed, like any reporter; whatever their communes, even the whole
  province, they approve, recommend, reject, correct, nominate and publish nothing.

When several reasons apply, the refusal names the first of: not the person's to act on
(review.not_yours) → a banned reporter (review.banned) → the story is not in a status the action
applies to (review.wrong_status) → the actor's own story (review.own_story) → the review level
(review.needs_admin, or review.wrong_status for recommend without two levels) or the nomination
not being proposed (nominate.not_proposed).
"""

from __future__ import annotations

import pytest

from bot.content import catalogue
from bot.workflow import (
    ACTIONS,
    RULES,
    STATUSES,
    Action,
    Actor,
    Decision,
    NominationState,
    SystemActor,
    decide,
)

COMMUNE = 30307  # Phường Long Xuyên
ELSEWHERE = 31078  # Đặc khu Phú Quốc
REPORTER = 1

# Who acts. rev_rep and adm_rep are staff who filed the story themselves; an officer (of the
# story's commune, or of the whole province) files for residents and reviews nothing: off_rep is
# an officer who filed this story.
ACTORS: dict[str, Actor] = {
    "reporter": Actor(REPORTER, "citizen"),
    "citizen": Actor(2, "citizen"),
    "reviewer": Actor(3, "reviewer", frozenset({COMMUNE})),
    "reviewer_elsewhere": Actor(4, "reviewer", frozenset({ELSEWHERE})),
    "reviewer_province": Actor(5, "reviewer", frozenset({0})),
    "admin": Actor(6, "admin"),
    "banned_reporter": Actor(REPORTER, "citizen", banned=True),
    "reviewer_reporter": Actor(REPORTER, "reviewer", frozenset({COMMUNE})),
    "admin_reporter": Actor(REPORTER, "admin"),
    "publisher": Actor.of_system(SystemActor.PUBLISHER),
    "erasure": Actor.of_system(SystemActor.ERASURE),
    "officer": Actor(7, "officer", frozenset({COMMUNE})),
    "officer_province": Actor(8, "officer", frozenset({0})),
    "officer_reporter": Actor(REPORTER, "officer", frozenset({COMMUNE})),
}
COLUMNS = tuple(ACTORS)
NEW = "new"  # the row of a story not filed yet (status None)
ROWS = (NEW, *STATUSES)

# Outcomes: a status the story moves to, or the catalogue key of the refusal.
PEN, REC, NC = "pending", "recommended", "needs_changes"
APP, PUB, REJ, WD = "approved", "published", "rejected", "withdrawn"
NY, WS, OWN = "review.not_yours", "review.wrong_status", "review.own_story"
ADM, BAN, NP = "review.needs_admin", "review.banned", "nominate.not_proposed"
REFUSALS = (NY, WS, OWN, ADM, BAN, NP)

Row = tuple[str, ...]
# Columns:    reporter citizen reviewer elsewhere province admin banned rev_rep adm_rep pub era
#             officer officer_province off_rep
# staff: status; others: not theirs
STAFF_WS: Row = (NY, NY, WS, NY, WS, WS, NY, WS, WS, NY, NY, NY, NY, NY)
# reporters and erasure: status
OWNER_WS: Row = (WS, NY, NY, NY, NY, NY, WS, WS, WS, NY, WS, NY, NY, WS)
# reporters; a banned one first
OWNER_BAN: Row = (WS, NY, NY, NY, NY, NY, BAN, WS, WS, NY, NY, NY, NY, WS)
# admins: status
ADMIN_WS: Row = (NY, NY, NY, NY, NY, WS, NY, NY, WS, NY, NY, NY, NY, NY)
# admins and the publisher
PUBLISHER_WS: Row = (NY, NY, NY, NY, NY, WS, NY, NY, WS, WS, NY, NY, NY, NY)


def staff(to: str) -> Row:
    """Reviewers of the commune and admins move it to `to`; nobody else may."""
    return (NY, NY, to, NY, to, to, NY, to, to, NY, NY, NY, NY, NY)


def staff_not_own(to: str) -> Row:
    """As `staff`, but not on the staff member's own story."""
    return (NY, NY, to, NY, to, to, NY, OWN, OWN, NY, NY, NY, NY, NY)


def table(base: Row, **rows: Row) -> dict[str, Row]:
    """Every row `base` except those named."""
    return {status: rows.get(status, base) for status in ROWS}


ONE_LEVEL: dict[str, dict[str, Row]] = {
    "submit": table(OWNER_BAN, new=(PEN, NY, NY, NY, NY, NY, BAN, PEN, PEN, NY, NY, NY, NY, PEN)),
    "approve": table(STAFF_WS, pending=staff_not_own(APP), recommended=staff_not_own(APP)),
    "recommend": table(STAFF_WS, pending=staff_not_own(WS), recommended=staff_not_own(WS)),
    "request_changes": table(STAFF_WS, pending=staff(NC), recommended=staff(NC)),
    "reject": table(STAFF_WS, pending=staff(REJ), recommended=staff(REJ),
                    needs_changes=staff(REJ)),
    "mark_duplicate": table(STAFF_WS, pending=staff(REJ), recommended=staff(REJ),
                            needs_changes=staff(REJ)),
    "correct": table(STAFF_WS, pending=staff(PEN), recommended=staff(REC)),
    "resubmit": table(OWNER_BAN,
        needs_changes=(PEN, NY, NY, NY, NY, NY, BAN, PEN, PEN, NY, NY, NY, NY, PEN)),
    "amend": table(OWNER_BAN,
        needs_changes=(NC, NY, NY, NY, NY, NY, BAN, NC, NC, NY, NY, NY, NY, NC)),
    "withdraw": table(
        OWNER_WS,
        pending=(WD, NY, NY, NY, NY, NY, WD, WD, WD, NY, WD, NY, NY, WD),
        recommended=(WD, NY, NY, NY, NY, NY, WD, WD, WD, NY, WD, NY, NY, WD),
        needs_changes=(WD, NY, NY, NY, NY, NY, WD, WD, WD, NY, WD, NY, NY, WD),
    ),
    "publish": table(PUBLISHER_WS,
        approved=(NY, NY, NY, NY, NY, PUB, NY, NY, PUB, PUB, NY, NY, NY, NY)),
    "unpublish": table(ADMIN_WS,
        published=(NY, NY, NY, NY, NY, APP, NY, NY, APP, NY, NY, NY, NY, NY)),
    "revert": table(ADMIN_WS, approved=(NY, NY, NY, NY, NY, PEN, NY, NY, PEN, NY, NY, NY, NY, NY),
                    published=(NY, NY, NY, NY, NY, PEN, NY, NY, PEN, NY, NY, NY, NY, NY)),
    "nominate": table(STAFF_WS, approved=staff_not_own(APP), published=staff_not_own(PUB)),
    # Without a proposed nomination there is no outcome to record (see PROPOSED_OUTCOME).
    "nomination_outcome": table(
        ADMIN_WS,
        approved=(NY, NY, NY, NY, NY, NP, NY, NY, OWN, NY, NY, NY, NY, NY),
        published=(NY, NY, NY, NY, NY, NP, NY, NY, OWN, NY, NY, NY, NY, NY),
    ),
}

# With two review levels only approve and recommend of stories under review differ.
TWO_LEVELS: dict[str, dict[str, Row]] = {
    **ONE_LEVEL,
    "approve": {
        **ONE_LEVEL["approve"],
        "pending": (NY, NY, REC, NY, REC, APP, NY, OWN, OWN, NY, NY, NY, NY, NY),
        "recommended": (NY, NY, ADM, NY, ADM, APP, NY, OWN, OWN, NY, NY, NY, NY, NY),
    },
    "recommend": {
        **ONE_LEVEL["recommend"],
        "pending": staff_not_own(REC),
        "recommended": staff_not_own(WS),
    },
}
TABLES = {1: ONE_LEVEL, 2: TWO_LEVELS}

# nomination_outcome while the story's nomination is proposed (at either review level).
PROPOSED_OUTCOME = table(
    ADMIN_WS,
    approved=(NY, NY, NY, NY, NY, APP, NY, NY, OWN, NY, NY, NY, NY, NY),
    published=(NY, NY, NY, NY, NY, PUB, NY, NY, OWN, NY, NY, NY, NY, NY),
)


def _status(row: str) -> str | None:
    return None if row == NEW else row


def _check(decision: Decision, expected: str, where: object) -> None:
    if expected in REFUSALS:
        assert decision == Decision(refusal=expected), where
    else:
        assert decision == Decision(to_status=expected), where


def test_the_table_names_every_status_action_and_actor() -> None:
    for written in (*TABLES.values(), {"nomination_outcome": PROPOSED_OUTCOME}):
        for action, rows in written.items():
            assert action in ACTIONS
            assert set(rows) == set(ROWS), action
            for row in rows.values():
                assert len(row) == len(COLUMNS), action
    for table_ in TABLES.values():
        assert set(table_) == set(ACTIONS)
    assert set(RULES) == set(ACTIONS)


@pytest.mark.parametrize(("levels", "action", "row"), [
    pytest.param(levels, action, row, id=f"L{levels}-{action}-{row}")
    for levels in (1, 2) for action in ACTIONS for row in ROWS
])
def test_each_action_on_each_status_by_each_actor(levels: int, action: str, row: str) -> None:
    expected = TABLES[levels][action][row]
    for who, outcome in zip(COLUMNS, expected, strict=True):
        decision = decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER, levels)
        _check(decision, outcome, (levels, action, row, who))


@pytest.mark.parametrize("levels", [1, 2])
def test_an_outcome_is_recorded_only_for_a_proposed_nomination(levels: int) -> None:
    for row in ROWS:
        for state in NominationState:
            written = PROPOSED_OUTCOME if state is NominationState.PROPOSED else (
                TABLES[levels]["nomination_outcome"])
            for who, outcome in zip(COLUMNS, written[row], strict=True):
                decision = decide(Action.NOMINATION_OUTCOME, _status(row), ACTORS[who], COMMUNE,
                                  REPORTER, levels, state)
                _check(decision, outcome, (row, state, who))


def test_no_other_action_depends_on_the_nomination() -> None:
    for levels in (1, 2):
        for action in ACTIONS:
            if action is Action.NOMINATION_OUTCOME:
                continue
            for row in ROWS:
                for who in COLUMNS:
                    plain = decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER, levels)
                    for state in NominationState:
                        assert decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER,
                                      levels, state) == plain, (action, row, who, state)


def test_a_story_of_an_erased_reporter_can_be_neither_resubmitted_amended_nor_withdrawn() -> None:
    for who in COLUMNS:
        for action in ("resubmit", "amend", "withdraw"):
            decision = decide(action, "needs_changes", ACTORS[who], COMMUNE, None)
            if who == "erasure" and action == "withdraw":
                assert decision == Decision(to_status=WD)
                continue
            assert decision.refusal == NY, (who, action)
            assert decision.to_status is None


def test_reviewers_still_review_a_story_whose_reporter_was_erased() -> None:
    assert decide("approve", "pending", ACTORS["reviewer"], COMMUNE, None).to_status == APP
    assert decide("reject", "pending", ACTORS["admin"], COMMUNE, None).to_status == REJ
    assert decide("nominate", "published", ACTORS["reviewer"], COMMUNE, None).to_status == PUB


@pytest.mark.parametrize(("action", "status"), [("promote", "pending"), ("approve", "draft"),
                                                ("", ""), ("publish", "archived")])
def test_an_unknown_action_or_status_is_refused(action: str, status: str) -> None:
    for who in COLUMNS:
        decision = decide(action, status, ACTORS[who], COMMUNE, REPORTER, 1)
        assert decision.to_status is None
        assert decision.refusal == WS


def test_every_decision_is_either_a_move_or_a_refusal_never_both() -> None:
    for levels in (1, 2):
        for row in ROWS:
            for action in ACTIONS:
                for who in COLUMNS:
                    for state in (None, *NominationState):
                        d = decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER, levels,
                                   state)
                        assert (d.to_status is None) != (d.refusal is None), (levels, row, action)
                        assert d.to_status is None or d.to_status in STATUSES


def test_system_actors_take_only_what_is_named_for_them() -> None:
    allowed = {
        (action, row)
        for who in ("publisher", "erasure")
        for levels in (1, 2)
        for action in ACTIONS
        for row in ROWS
        if decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER, levels).refusal is None
    }
    assert allowed == {("publish", "approved"), ("withdraw", "pending"),
                       ("withdraw", "recommended"), ("withdraw", "needs_changes")}


def test_every_refusal_has_a_vietnamese_and_an_english_text() -> None:
    given = {
        decide(action, status, ACTORS[who], COMMUNE, reporter, levels, state).refusal
        for levels in (1, 2)
        for status in (*STATUSES, None, "draft")
        for action in (*ACTIONS, "promote")
        for who in COLUMNS
        for reporter in (REPORTER, None)
        for state in (None, *NominationState)
    } - {None}
    assert given == set(REFUSALS)
    for language in ("vi", "en"):
        texts = catalogue(language)
        for key in sorted(given | {"review.changed", "review.no_story"}):
            assert texts.has(key), key
            text = texts.t(key, id=7, status="⏳ Đang chờ duyệt")
            assert text.strip() and "{" not in text, key


def test_an_officer_files_and_edits_their_own_stories_and_reviews_nothing() -> None:
    allowed = {
        (who, action)
        for who in ("officer", "officer_province", "officer_reporter")
        for levels in (1, 2)
        for action in ACTIONS
        for row in ROWS
        for state in (None, *NominationState)
        if decide(action, _status(row), ACTORS[who], COMMUNE, REPORTER, levels,
                  state).refusal is None
    }
    assert allowed == {("officer_reporter", "submit"), ("officer_reporter", "resubmit"),
                       ("officer_reporter", "amend"), ("officer_reporter", "withdraw")}
