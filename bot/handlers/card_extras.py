"""What the review card adds about voice notes and duplicates: the note to listen to, the stories
that may tell the same deed (with a button to compare each), and a duplicate's photos offered to
the story kept."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.buttons import Button
from bot.content import Safe
from bot.duplicates import scan
from bot.handlers.context import Context
from bot.handlers.report_steps import MAX_PHOTOS, voice_length
from bot.messages import Attachment, Choice
from bot.storage import Story
from bot.workflow import Status

__all__ = ["CardExtras", "DupCompare", "DupMark", "DupPhotos", "card_extras", "photos_to_give"]

SHOWN = 3  # candidates named on a card
_REVIEWABLE = (Status.PENDING, Status.RECOMMENDED)
_VOICE_REASONS = ("not_audio", "too_large", "unreachable")
Row = tuple[Choice, ...]


@dataclass(frozen=True)
class DupCompare(Button, tag="dup.cmp"):
    """Show two stories side by side (the card's story first)."""

    story_id: int
    other_id: int


@dataclass(frozen=True)
class DupMark(Button, tag="dup.mark"):
    """Mark a story, as the comparison showed it, as a duplicate of another."""

    story_id: int
    kept_id: int
    version: int


@dataclass(frozen=True)
class DupPhotos(Button, tag="dup.photos"):
    """Give the story kept the photos of a duplicate, through a correction."""

    story_id: int
    from_id: int
    version: int


@dataclass(frozen=True, slots=True)
class CardExtras:
    """Text after the card, rows of buttons before its actions, and a voice note to play."""

    text: Safe
    rows: tuple[Row, ...]
    audio: tuple[Attachment | str, ...]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


async def _voice(ctx: Context, story: Story) -> tuple[Safe, tuple[Attachment | str, ...]]:
    """The voice note: the archived file where the channel uploads, the Telegram file id to a
    Telegram reviewer, a link to a web address, or where to listen."""
    voice = await ctx.storage.voices.of_story(story.id)
    if voice is None:
        return Safe(""), ()
    length = voice_length(ctx, voice.seconds)
    failed = Safe("")
    if voice.state == "failed":
        reason = voice.error if voice.error in _VOICE_REASONS else "unreachable"
        failed = ctx.t("voice.card_failed", reason=ctx.t(f"voice.reason_{reason}"))
    stored = ctx.storage.voices.stored(voice.digest) if voice.digest else None
    if stored is not None and ctx.archived_photos:
        data = await asyncio.to_thread(_read, stored)
        if data is not None:  # uploaded, or (Zalo) given by a link under the card
            upload = Attachment(f"{story.id}-ghi-am{stored.suffix}", data)
            key = "voice.card" if ctx.incoming.traits.can_upload_photos else "voice.card_below"
            return Safe(ctx.t(key, length=length) + failed), (upload,)
    web = voice.file_ref.startswith(("http://", "https://"))
    if ctx.incoming.channel == "telegram" and story.channel == "telegram" and not web:
        return Safe(ctx.t("voice.card", length=length) + failed), (voice.file_ref,)
    if web:
        return Safe(ctx.t("voice.card_link", length=length, url=voice.file_ref) + failed), ()
    return Safe(ctx.t("voice.card_elsewhere", length=length) + failed), ()


async def photos_to_give(ctx: Context, kept: Story, duplicate_id: int) -> list[str]:
    """A duplicate's photos the story kept does not have yet (by reference, or by the archived
    copy of the same picture)."""
    theirs = await ctx.storage.photos.of_story(duplicate_id)
    mine = await ctx.storage.photos.of_story(kept.id)
    refs = {p.file_ref for p in mine}
    digests = {p.digest for p in mine if p.digest}
    return [p.file_ref for p in theirs
            if p.file_ref not in refs and (p.digest is None or p.digest not in digests)]


async def _offers(ctx: Context, story: Story) -> tuple[Safe, tuple[Row, ...]]:
    """For each duplicate that joined this story, a button to add its photos (or why not)."""
    text, rows = "", []
    for dup in await ctx.storage.duplicates.joined(story.id):
        photos = await photos_to_give(ctx, story, dup)
        if not photos:
            continue
        room = MAX_PHOTOS - len(story.photos)
        if story.status not in _REVIEWABLE:
            text += ctx.t("duplicate.photos_later", dup=dup, count=len(photos))
        elif room <= 0:
            text += ctx.t("duplicate.photos_full", dup=dup, count=len(photos), id=story.id,
                          max=MAX_PHOTOS)
        else:
            label = ctx.t("duplicate.photos_button", count=min(room, len(photos)), dup=dup)
            rows.append((Choice(label, DupPhotos(story.id, dup, story.version)),))
    return Safe(text), tuple(rows)


async def _candidates(ctx: Context, story: Story) -> tuple[Safe, tuple[Row, ...]]:
    """'May duplicate #12, #15', each with a button to compare (scanned now if not yet)."""
    if story.duplicate_of is not None and story.status == Status.REJECTED:
        return ctx.t("duplicate.card_joined", id=story.duplicate_of), ()
    if story.status in (Status.REJECTED, Status.WITHDRAWN):
        return Safe(""), ()
    if not await ctx.storage.duplicates.scanned(story.id):
        await scan(ctx.storage.duplicates, story.id)
    found = (await ctx.storage.duplicates.of(story.id))[:SHOWN]
    if not found:
        return Safe(""), ()
    ids = ", ".join(f"#{c.id}" for c in found)
    rows = tuple((Choice(ctx.t("duplicate.compare_button", id=c.id), DupCompare(story.id, c.id)),)
                 for c in found)
    return ctx.t("duplicate.card_line", ids=ids), rows


async def card_extras(ctx: Context, story: Story) -> CardExtras:
    """Everything the card says and offers about voice notes and duplicates."""
    voice_text, audio = await _voice(ctx, story)
    dup_text, dup_rows = await _candidates(ctx, story)
    offer_text, offer_rows = await _offers(ctx, story)
    return CardExtras(Safe(voice_text + dup_text + offer_text), (*offer_rows, *dup_rows), audio)
