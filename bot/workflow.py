"""The story status machine: which action moves a story where, and who may take it.

Pure: no storage, no clock. `decide` answers for every action on a story — filing it, review,
the reporter's own edits, corrections, publishing and undoing, erasure, duplicates and
nominations — and `RULES` is the written table it follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

__all__ = [
    "ACTIONS",
    "RULES",
    "STATUSES",
    "Action",
    "Actor",
    "Decision",
    "NominationState",
    "Role",
    "Rule",
    "Status",
    "SystemActor",
    "Who",
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
    SUBMIT = "submit"
    AMEND = "amend"
    UNPUBLISH = "unpublish"
    REVERT = "revert"
    MARK_DUPLICATE = "mark_duplicate"
    NOMINATE = "nominate"
    NOMINATION_OUTCOME = "nomination_outcome"


class Role(StrEnum):
    """What a person may do: report, review some communes, administer, file for others.

    An officer (cán bộ xã) files stories on behalf of the residents of their communes and
    imports them from a spreadsheet; they review nothing.
    """

    CITIZEN = "citizen"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    OFFICER = "officer"


class NominationState(StrEnum):
    """A nomination for an award: proposed, then granted or not."""

    PROPOSED = "proposed"
    GRANTED = "granted"
    DECLINED = "declined"


class SystemActor(StrEnum):
    """The bot itself acting, by name: it posts approved stories, and erases on request."""

    PUBLISHER = "publisher"
    ERASURE = "erasure"
    SCHEDULER = "scheduler"
    CONFIG = "config"


STATUSES = tuple(Status)
ACTIONS = tuple(Action)
REVIEWABLE = (Status.PENDING, Status.RECOMMENDED)
OPEN = (Status.PENDING, Status.RECOMMENDED, Status.NEEDS_CHANGES)
DECIDED = (Status.APPROVED, Status.PUBLISHED)

NOT_YOURS, WRONG_STATUS, OWN_STORY = "review.not_yours", "review.wrong_status", "review.own_story"
NEEDS_ADMIN, BANNED = "review.needs_admin", "review.banned"
NOT_PROPOSED = "nominate.not_proposed"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, as storage knows them at the moment of the action (or a named system actor)."""

    person_id: int | None
    role: str
    communes: frozenset[int] = field(default_factory=frozenset)
    banned: bool = False
    system: SystemActor | None = None

    @classmethod
    def of_system(cls, name: SystemActor) -> Actor:
        """The bot itself acting as `name`."""
        return cls(None, "", system=name)

    def covers(self, commune: int) -> bool:
        """Whether this person reviews stories of a commune (0 in scope = whole province); an
        officer's communes are where they file, not what they review."""
        if self.system is not None:
            return False
        if self.role == Role.ADMIN:
            return True
        return self.role == Role.REVIEWER and (0 in self.communes or commune in self.communes)


@dataclass(frozen=True, slots=True)
class Decision:
    """The status the action leads to, or the catalogue key of why it is refused."""

    to_status: str | None = None
    refusal: str | None = None


class Who(Enum):
    """Whose action it is."""

    REPORTER = "the story's reporter"
    REVIEWER = "a reviewer of the story's commune, or an admin"
    ADMIN = "an admin"


SAME = None  # a rule's target when the status stays


@dataclass(frozen=True, slots=True)
class Rule:
    """One action: who takes it, from which statuses (None: not filed yet), and where it leads."""

    who: Who
    source: tuple[Status | None, ...]
    to: Status | None
    systems: frozenset[SystemActor] = frozenset()
    not_own: bool = False
    banned_refused: bool = False


RULES: dict[Action, Rule] = {
    Action.SUBMIT: Rule(Who.REPORTER, (None,), Status.PENDING, banned_refused=True),
    Action.APPROVE: Rule(Who.REVIEWER, REVIEWABLE, Status.APPROVED, not_own=True),
    Action.RECOMMEND: Rule(Who.REVIEWER, REVIEWABLE, Status.RECOMMENDED, not_own=True),
    Action.REQUEST_CHANGES: Rule(Who.REVIEWER, REVIEWABLE, Status.NEEDS_CHANGES),
    Action.REJECT: Rule(Who.REVIEWER, OPEN, Status.REJECTED),
    Action.MARK_DUPLICATE: Rule(Who.REVIEWER, OPEN, Status.REJECTED),
    Action.CORRECT: Rule(Who.REVIEWER, REVIEWABLE, SAME),
    Action.RESUBMIT: Rule(Who.REPORTER, (Status.NEEDS_CHANGES,), Status.PENDING,
                          banned_refused=True),
    Action.AMEND: Rule(Who.REPORTER, (Status.NEEDS_CHANGES,), SAME, banned_refused=True),
    Action.WITHDRAW: Rule(Who.REPORTER, OPEN, Status.WITHDRAWN,
                          systems=frozenset({SystemActor.ERASURE})),
    Action.PUBLISH: Rule(Who.ADMIN, (Status.APPROVED,), Status.PUBLISHED,
                         systems=frozenset({SystemActor.PUBLISHER})),
    Action.UNPUBLISH: Rule(Who.ADMIN, (Status.PUBLISHED,), Status.APPROVED),
    Action.REVERT: Rule(Who.ADMIN, DECIDED, Status.PENDING),
    Action.NOMINATE: Rule(Who.REVIEWER, DECIDED, SAME, not_own=True),
    Action.NOMINATION_OUTCOME: Rule(Who.ADMIN, DECIDED, SAME, not_own=True),
}


def _whose(rule: Rule, actor: Actor, commune: int, reporter: int | None) -> bool:
    if actor.system is not None:
        return actor.system in rule.systems
    if rule.who is Who.REPORTER:
        return reporter is not None and reporter == actor.person_id
    if rule.who is Who.ADMIN:
        return actor.role == Role.ADMIN
    return actor.covers(commune)


def _level(action: Action, status: str, actor: Actor, levels: int) -> Decision:
    """Two-level review: a commune reviewer's approval of a pending story only recommends it."""
    if action is Action.RECOMMEND:
        if levels != 2 or status != Status.PENDING:
            return Decision(refusal=WRONG_STATUS)
        return Decision(to_status=Status.RECOMMENDED)
    if levels == 2 and actor.role != Role.ADMIN:
        if status == Status.RECOMMENDED:
            return Decision(refusal=NEEDS_ADMIN)
        return Decision(to_status=Status.RECOMMENDED)
    return Decision(to_status=Status.APPROVED)


def decide(action: str, status: str | None, actor: Actor, commune: int, reporter: int | None,
           levels: int = 1, nomination: NominationState | None = None) -> Decision:
    """Whether `actor` may take `action` on a story in `status`, and where it leads.

    `status` None means the story is not filed yet (only `submit` applies); `reporter` is the
    story's reporter (for `submit`, the person filing); `nomination` the state of the story's
    nomination, if any. When several reasons apply, the refusal names the first of: not the
    actor's to take → a banned reporter → the status → the actor's own story → the review level
    or the nomination's state.
    """
    if action not in ACTIONS or (status is not None and status not in STATUSES):
        return Decision(refusal=WRONG_STATUS)
    act = Action(action)
    rule = RULES[act]
    if not _whose(rule, actor, commune, reporter):
        return Decision(refusal=NOT_YOURS)
    if rule.banned_refused and actor.banned:
        return Decision(refusal=BANNED)
    if status not in rule.source:
        return Decision(refusal=WRONG_STATUS)
    if rule.not_own and reporter is not None and reporter == actor.person_id:
        return Decision(refusal=OWN_STORY)
    if act in (Action.APPROVE, Action.RECOMMEND):
        assert status is not None
        return _level(act, status, actor, levels)
    if act is Action.NOMINATION_OUTCOME and nomination is not NominationState.PROPOSED:
        return Decision(refusal=NOT_PROPOSED)
    return Decision(to_status=rule.to if rule.to is not SAME else status)
