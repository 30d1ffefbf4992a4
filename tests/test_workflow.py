"""The story status machine, exhaustively: every status × action × kind of actor × review levels.

The expected outcome of every combination is written out below, from the rules:

* approve — a reviewer of the story's commune (or of the whole province) or an admin takes a
  story under review (pending, recommended) to approved; with two review levels a reviewer's
  approve of a pending story only recommends it, and a recommended story needs an admin.
* recommend — the reviewer's first step of two-level review: pending → recommended.
* request_changes — pending | recommended → needs_changes.
* reject — pending | recommended | needs_changes → rejected.
* correct — a reviewer's correction of the text; the status stays (pending | recommended only).
* resubmit — the reporter, needs_changes → pending; refused to a banned reporter.
* withdraw — the reporter, pending | recommended | needs_changes → withdrawn.
* publish — an admin, approved → published.
* nobody approves or recommends their own story; everything else is refused.

When several reasons apply, the refusal names the first of: not the person's to act on
(review.not_yours) → a banned reporter (review.banned) → the story is not in a status the action
applies to (review.wrong_status) → the actor's own story (review.own_story) → the review level
(review.needs_admin, or review.wrong_status for recommend without two levels).
"""

from __future__ import annotations

import pytest

from bot.content import catalogue
from bot.workflow import ACTIONS, STATUSES, Actor, Decision, decide

COMMUNE = 30307  # Phường Long Xuyên
ELSEWHERE = 31078  # Đặc khu Phú Quốc
REPORTER = 1

# Who acts. The last two are staff who filed the story themselves.
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
}
COLUMNS = tuple(ACTORS)

# Outcomes: a status the story moves to, or the catalogue key of the refusal.
PENDING, RECOMMENDED, NEEDS_CHANGES = "pending", "recommended", "needs_changes"
APPROVED, PUBLISHED, REJECTED, WITHDRAWN = "approved", "published", "rejected", "withdrawn"
NY, WS, OWN = "review.not_yours", "review.wrong_status", "review.own_story"
ADM, BAN = "review.needs_admin", "review.banned"
REFUSALS = (NY, WS, OWN, ADM, BAN)

# Columns:      reporter citizen reviewer elsewhere province admin banned rev_rep adm_rep
_STAFF_WS = (NY, NY, WS, NY, WS, WS, NY, WS, WS)  # staff: wrong status; others: not theirs
_OWNER_WS = (WS, NY, NY, NY, NY, NY, WS, WS, WS)  # reporters: wrong status; others: not theirs
_NOT_ADMIN = (NY, NY, NY, NY, NY, NY, NY, NY, NY)

ONE_LEVEL: dict[str, dict[str, tuple[str, ...]]] = {
    "approve": {
        "pending":       (NY, NY, APPROVED, NY, APPROVED, APPROVED, NY, OWN, OWN),
        "recommended":   (NY, NY, APPROVED, NY, APPROVED, APPROVED, NY, OWN, OWN),
        "needs_changes": _STAFF_WS,
        "approved":      _STAFF_WS,
        "published":     _STAFF_WS,
        "rejected":      _STAFF_WS,
        "withdrawn":     _STAFF_WS,
    },
    "recommend": {
        "pending":       (NY, NY, WS, NY, WS, WS, NY, OWN, OWN),
        "recommended":   (NY, NY, WS, NY, WS, WS, NY, OWN, OWN),
        "needs_changes": _STAFF_WS,
        "approved":      _STAFF_WS,
        "published":     _STAFF_WS,
        "rejected":      _STAFF_WS,
        "withdrawn":     _STAFF_WS,
    },
    "request_changes": {
        "pending":       (NY, NY, NEEDS_CHANGES, NY, NEEDS_CHANGES, NEEDS_CHANGES, NY,
                          NEEDS_CHANGES, NEEDS_CHANGES),
        "recommended":   (NY, NY, NEEDS_CHANGES, NY, NEEDS_CHANGES, NEEDS_CHANGES, NY,
                          NEEDS_CHANGES, NEEDS_CHANGES),
        "needs_changes": _STAFF_WS,
        "approved":      _STAFF_WS,
        "published":     _STAFF_WS,
        "rejected":      _STAFF_WS,
        "withdrawn":     _STAFF_WS,
    },
    "reject": {
        "pending":       (NY, NY, REJECTED, NY, REJECTED, REJECTED, NY, REJECTED, REJECTED),
        "recommended":   (NY, NY, REJECTED, NY, REJECTED, REJECTED, NY, REJECTED, REJECTED),
        "needs_changes": (NY, NY, REJECTED, NY, REJECTED, REJECTED, NY, REJECTED, REJECTED),
        "approved":      _STAFF_WS,
        "published":     _STAFF_WS,
        "rejected":      _STAFF_WS,
        "withdrawn":     _STAFF_WS,
    },
    "correct": {
        "pending":       (NY, NY, PENDING, NY, PENDING, PENDING, NY, PENDING, PENDING),
        "recommended":   (NY, NY, RECOMMENDED, NY, RECOMMENDED, RECOMMENDED, NY, RECOMMENDED,
                          RECOMMENDED),
        "needs_changes": _STAFF_WS,
        "approved":      _STAFF_WS,
        "published":     _STAFF_WS,
        "rejected":      _STAFF_WS,
        "withdrawn":     _STAFF_WS,
    },
    "resubmit": {
        "pending":       (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
        "recommended":   (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
        "needs_changes": (PENDING, NY, NY, NY, NY, NY, BAN, PENDING, PENDING),
        "approved":      (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
        "published":     (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
        "rejected":      (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
        "withdrawn":     (WS, NY, NY, NY, NY, NY, BAN, WS, WS),
    },
    "withdraw": {
        "pending":       (WITHDRAWN, NY, NY, NY, NY, NY, WITHDRAWN, WITHDRAWN, WITHDRAWN),
        "recommended":   (WITHDRAWN, NY, NY, NY, NY, NY, WITHDRAWN, WITHDRAWN, WITHDRAWN),
        "needs_changes": (WITHDRAWN, NY, NY, NY, NY, NY, WITHDRAWN, WITHDRAWN, WITHDRAWN),
        "approved":      _OWNER_WS,
        "published":     _OWNER_WS,
        "rejected":      _OWNER_WS,
        "withdrawn":     _OWNER_WS,
    },
    "publish": {
        "pending":       (NY, NY, NY, NY, NY, WS, NY, NY, WS),
        "recommended":   (NY, NY, NY, NY, NY, WS, NY, NY, WS),
        "needs_changes": (NY, NY, NY, NY, NY, WS, NY, NY, WS),
        "approved":      (NY, NY, NY, NY, NY, PUBLISHED, NY, NY, PUBLISHED),
        "published":     (NY, NY, NY, NY, NY, WS, NY, NY, WS),
        "rejected":      (NY, NY, NY, NY, NY, WS, NY, NY, WS),
        "withdrawn":     (NY, NY, NY, NY, NY, WS, NY, NY, WS),
    },
}

# With two review levels only approve and recommend of stories under review differ.
TWO_LEVELS: dict[str, dict[str, tuple[str, ...]]] = {
    **ONE_LEVEL,
    "approve": {
        **ONE_LEVEL["approve"],
        "pending":       (NY, NY, RECOMMENDED, NY, RECOMMENDED, APPROVED, NY, OWN, OWN),
        "recommended":   (NY, NY, ADM, NY, ADM, APPROVED, NY, OWN, OWN),
    },
    "recommend": {
        **ONE_LEVEL["recommend"],
        "pending":       (NY, NY, RECOMMENDED, NY, RECOMMENDED, RECOMMENDED, NY, OWN, OWN),
        "recommended":   (NY, NY, WS, NY, WS, WS, NY, OWN, OWN),
    },
}
TABLES = {1: ONE_LEVEL, 2: TWO_LEVELS}


def test_the_table_names_every_status_action_and_actor() -> None:
    for table in TABLES.values():
        assert set(table) == set(ACTIONS)
        for action in ACTIONS:
            assert set(table[action]) == set(STATUSES), action
            for status in STATUSES:
                assert len(table[action][status]) == len(COLUMNS), (action, status)


CASES = [
    pytest.param(levels, status, action, who, id=f"L{levels}-{status}-{action}-{who}")
    for levels in (1, 2)
    for status in STATUSES
    for action in ACTIONS
    for who in COLUMNS
]


@pytest.mark.parametrize(("levels", "status", "action", "who"), CASES)
def test_each_action_on_each_status_by_each_actor(
    levels: int, status: str, action: str, who: str
) -> None:
    expected = TABLES[levels][action][status][COLUMNS.index(who)]
    decision = decide(action, status, ACTORS[who], COMMUNE, REPORTER, levels)
    if expected in REFUSALS:
        assert decision == Decision(refusal=expected)
    else:
        assert decision == Decision(to_status=expected)


def test_a_story_of_an_erased_reporter_can_be_neither_resubmitted_nor_withdrawn() -> None:
    for who in COLUMNS:
        for action in ("resubmit", "withdraw"):
            decision = decide(action, "needs_changes", ACTORS[who], COMMUNE, None)
            assert decision.refusal == NY, (who, action)
            assert decision.to_status is None


def test_reviewers_still_review_a_story_whose_reporter_was_erased() -> None:
    assert decide("approve", "pending", ACTORS["reviewer"], COMMUNE, None).to_status == APPROVED
    assert decide("reject", "pending", ACTORS["admin"], COMMUNE, None).to_status == REJECTED


@pytest.mark.parametrize(("action", "status"), [("promote", "pending"), ("approve", "draft"),
                                                ("", ""), ("publish", "archived")])
def test_an_unknown_action_or_status_is_refused(action: str, status: str) -> None:
    for who in COLUMNS:
        decision = decide(action, status, ACTORS[who], COMMUNE, REPORTER, 1)
        assert decision.to_status is None
        assert decision.refusal == WS


def test_every_decision_is_either_a_move_or_a_refusal_never_both() -> None:
    for levels in (1, 2):
        for status in STATUSES:
            for action in ACTIONS:
                for who in COLUMNS:
                    d = decide(action, status, ACTORS[who], COMMUNE, REPORTER, levels)
                    assert (d.to_status is None) != (d.refusal is None), (levels, status, action)
                    assert d.to_status is None or d.to_status in STATUSES


def test_every_refusal_has_a_vietnamese_text() -> None:
    vi = catalogue("vi")
    given = {
        decide(action, status, ACTORS[who], COMMUNE, reporter, levels).refusal
        for levels in (1, 2)
        for status in (*STATUSES, "draft")
        for action in (*ACTIONS, "promote")
        for who in COLUMNS
        for reporter in (REPORTER, None)
    } - {None}
    assert given == set(REFUSALS)
    for key in sorted(given | {"review.changed", "review.no_story"}):
        assert vi.has(key), key
        text = vi.t(key, id=7, status="⏳ Đang chờ duyệt")
        assert text.strip() and "{" not in text, key
