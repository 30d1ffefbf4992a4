"""Storage: repositories over one SQLite file. SQL lives here and only here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.storage.audit import Audit, AuditEntry, Who
from bot.storage.behalf import Behalf, Imported
from bot.storage.broadcasts import EVERYTHING, TOPICS, Broadcasts, Delivery, Progress, Result
from bot.storage.database import Database, DatabaseFileError, migrations
from bot.storage.dialogs import Dialogs, DialogState, Prompt
from bot.storage.duplicates import Candidate, Duplicates, Telling
from bot.storage.erasure import ResidentErased, erase_person, erase_resident
from bot.storage.file_links import FileLinks, LinkedFile
from bot.storage.outbox import Outbox, OutboxItem
from bot.storage.people import People, Person
from bot.storage.photos import ArchivedPhoto, Photos, media_folder
from bot.storage.public import PublicStories, PublicStory
from bot.storage.reports import Count, Nomination, Reports
from bot.storage.reviews import Event, Outcome, Reviews
from bot.storage.roles import ReviewerLine, Roles, ScopeChange
from bot.storage.search import Search, StoryFilter
from bot.storage.staff import DIGEST, Staff, Waiting
from bot.storage.stories import NewStory, Post, Refused, Stories, Story, StoryLine
from bot.storage.transitions import Change, Policy
from bot.storage.voices import ArchivedVoice, Voices

__all__ = [
    "DIGEST",
    "EVERYTHING",
    "TOPICS",
    "ArchivedPhoto",
    "ArchivedVoice",
    "Audit",
    "AuditEntry",
    "Behalf",
    "Broadcasts",
    "Candidate",
    "Change",
    "Count",
    "Database",
    "DatabaseFileError",
    "Delivery",
    "DialogState",
    "Dialogs",
    "Duplicates",
    "Event",
    "FileLinks",
    "Imported",
    "LinkedFile",
    "NewStory",
    "Nomination",
    "Outbox",
    "OutboxItem",
    "Outcome",
    "People",
    "Person",
    "Photos",
    "Policy",
    "Post",
    "Progress",
    "Prompt",
    "PublicStories",
    "PublicStory",
    "Refused",
    "Reports",
    "Result",
    "ReviewerLine",
    "Reviews",
    "Roles",
    "ScopeChange",
    "Search",
    "Staff",
    "Storage",
    "Stories",
    "Story",
    "StoryFilter",
    "StoryLine",
    "Telling",
    "Voices",
    "Waiting",
    "Who",
    "migrations",
    "open_storage",
]


@dataclass(slots=True)
class Storage:
    """The facade handed to every handler: one repository per aggregate."""

    db: Database
    people: People
    dialogs: Dialogs
    stories: Stories
    reviews: Reviews
    roles: Roles
    outbox: Outbox
    broadcasts: Broadcasts
    reports: Reports
    audit: Audit
    staff: Staff
    photos: Photos
    search: Search
    public: PublicStories
    duplicates: Duplicates
    voices: Voices
    behalf: Behalf
    file_links: FileLinks

    async def erase_person(self, person_id: int) -> int:
        """Erase a person's personal data; return how many open stories were withdrawn."""
        return await erase_person(self.db, person_id)

    async def erase_resident(self, story_id: int, actor_id: int) -> ResidentErased | None:
        """Forget the resident a story was filed for; None when it names none."""
        return await erase_resident(self.db, story_id, actor_id)

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


async def open_storage(
    path: Path | str, *, review_levels: int = 1, notify_reviewers: bool = True,
    publish_chat: str | None = None,
) -> Storage:
    """Open the database file, migrate it, and build the repositories."""
    db = await Database.open(path)
    reviews = Reviews(db, review_levels, notify_reviewers, publish_chat)
    return Storage(
        db, People(db), Dialogs(db), Stories(db), reviews, Roles(db), Outbox(db), Broadcasts(db),
        Reports(db), Audit(db), Staff(db), Photos(db, media_folder(path)), Search(db),
        PublicStories(db), Duplicates(db), Voices(db, media_folder(path)), Behalf(db),
        FileLinks(db),
    )
