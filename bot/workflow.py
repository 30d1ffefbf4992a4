"""The story status machine: which action moves a story where, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ACTIONS",
    "STATUSES",
    "Action",
    "Actor",
    "Decision",
    "NominationState",
    "Role",
    "Status",
    "decide",
]


class Status(StrEnum):
    """Where a story stands."""

    PENDING = "pending"
    RECOMMENDED = "recommended"
    NEEDS_CHANGES = "needs_changes"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """What someone does to a story."""

    APPROVE = "approve"
    RECOMMEND = "recommend"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    CORRECT = "correct"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    PUBLISH = "publish"


class Role(StrEnum):
    """What a person may do: report, review some communes, administer, file for others."""

    CITIZEN = "citizen"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class NominationState(StrEnum):
    """A nomination for an award: proposed, then granted or not."""

    PROPOSED = "proposed"
    GRANTED = "granted"
    DECLINED = "declined"


STATUSES = tuple(Status)
ACTIONS = tuple(Action)
REVIEWABLE = (Status.PENDING, Status.RECOMMENDED)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, as storage knows them at the moment of the action."""

    person_id: int
    role: str
    communes: frozenset[int] = field(default_factory=frozenset)
    banned: bool = False

    def covers(self, commune: int) -> bool:
        """Whether this person reviews stories of a commune (0 in scope = whole province)."""
        if self.role == "admin":
            return True
        return self.role == "reviewer" and (0 in self.communes or commune in self.communes)


@dataclass(frozen=True, slots=True)
class Decision:
    """The status the action leads to, or the catalogue key of why it is refused."""

    to_status: str | None = None
    refusal: str | None = None


def _review(action: str, status: str, actor: Actor, commune: int, reporter: int | None,
            levels: int) -> Decision:
    if not actor.covers(commune):
        return Decision(refusal="review.not_yours")
    if status not in REVIEWABLE and not (action == "reject" and status == "needs_changes"):
        return Decision(refusal="review.wrong_status")
    if action == "correct":
        return Decision(to_status=status)
    if action in ("approve", "recommend") and reporter == actor.person_id:
        return Decision(refusal="review.own_story")
    if action == "approve":
        if levels == 2 and actor.role != "admin":
            if status == "recommended":
                return Decision(refusal="review.needs_admin")
            return Decision(to_status="recommended")
        return Decision(to_status="approved")
    if action == "recommend":
        if levels != 2 or status != "pending":
            return Decision(refusal="review.wrong_status")
        return Decision(to_status="recommended")
    if action == "request_changes":
        return Decision(to_status="needs_changes")
    return Decision(to_status="rejected")


def decide(action: str, status: str, actor: Actor, commune: int, reporter: int | None,
           levels: int = 1) -> Decision:
    """Whether `actor` may take `action` on a story in `status`, and where it leads."""
    if action not in ACTIONS or status not in STATUSES:
        return Decision(refusal="review.wrong_status")
    if action in ("approve", "recommend", "request_changes", "reject", "correct"):
        return _review(action, status, actor, commune, reporter, levels)
    if action in ("resubmit", "withdraw"):
        if reporter is None or reporter != actor.person_id:
            return Decision(refusal="review.not_yours")
        if action == "resubmit":
            if actor.banned:
                return Decision(refusal="review.banned")
            return Decision(to_status="pending") if status == "needs_changes" else Decision(
                refusal="review.wrong_status")
        if status in ("pending", "recommended", "needs_changes"):
            return Decision(to_status="withdrawn")
        return Decision(refusal="review.wrong_status")
    # publish: the publisher (an admin, or the system acting for one) on an approved story.
    if actor.role != "admin":
        return Decision(refusal="review.not_yours")
    if status != "approved":
        return Decision(refusal="review.wrong_status")
    return Decision(to_status="published")
