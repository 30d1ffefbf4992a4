"""Stories filed on behalf of residents: the filer's own daily count, and a spreadsheet's rows
filed all at once through the door (or none of them)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.audit import write_audit
from bot.storage.database import Database
from bot.storage.notices import queue_reviewers
from bot.storage.stories import NewStory, Refused, submission
from bot.storage.transitions import Policy, apply

__all__ = ["Behalf", "Imported"]


@dataclass(frozen=True, slots=True)
class Imported:
    """The stories of an import: every row's, in the file's order, and those filed now (the
    others an earlier import had filed)."""

    ids: tuple[int, ...]
    new: tuple[int, ...]


class Behalf:
    """Repository of what is filed for residents."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def filed_since(self, person_id: int, since: str) -> int:
        """How many stories a person filed on behalf of residents since an instant."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM stories WHERE reporter_id = ? AND created_at >= ?"
            " AND resident_name IS NOT NULL", (person_id, since),
        )
        return int(row[0]) if row else 0

    async def file_all(self, stories: Sequence[NewStory], *, by: int, source: dict[str, object],
                       notify_reviewers: bool = True) -> Imported:
        """File every story in one transaction through the door, each by its reporter; when the
        door refuses one (the filer was banned a moment ago), raise Refused and file none.

        The same submission keys again file nothing and answer the stories already filed. Each
        commune's reviewers hear once of the stories new there (not once a story), and the
        audit log keeps one `import` line with `source` (the file's name and hash).
        """
        policy = Policy(notify_reviewers=False)
        ids: list[int] = []
        fresh: list[int] = []
        by_commune: dict[int, list[int]] = defaultdict(list)
        async with self._db.transaction() as tx:
            for story in stories:
                # Up to 1,000 stories, each through the door on the loop's thread: a turn for
                # the other chats between two, so none waits for the whole file.
                await asyncio.sleep(0)
                outcome = await apply(tx, submission(story), policy)
                if not outcome.ok:
                    raise Refused(outcome)
                ids.append(outcome.story_id)
                if outcome.from_status is None:
                    fresh.append(outcome.story_id)
                    by_commune[story.commune_code].append(outcome.story_id)
            if not fresh:
                return Imported(tuple(ids), ())
            if notify_reviewers:
                for commune, filed in by_commune.items():
                    params = {"count": len(filed), "first": filed[0], "last": filed[-1]}
                    await queue_reviewers(tx, commune, "officer.imported_notice", params,
                                          filed[0], skip=by)
            await write_audit(tx, "import", actor_id=by, details={**source, "stories": fresh})
        return Imported(tuple(ids), tuple(fresh))
