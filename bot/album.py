"""The photos that go with a story's card: the archive's copies where the channel can upload
them (a file id may have expired, a Zalo address surely will), the original reference where
not, and which photos the archive gave up on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.content import Catalogue, Safe
from bot.imaging import WEB
from bot.messages import Attachment
from bot.storage import ArchivedPhoto, Photos

__all__ = ["Album", "elsewhere_note", "failed_note", "story_album"]

REASONS = ("not_image", "too_large", "too_many_pixels", "unreachable")


@dataclass(frozen=True, slots=True)
class Album:
    """A card's photos: by reference, as uploads, those that could not be archived, and how
    many cannot be shown on this channel at all (another platform's file id, not kept yet)."""

    photos: tuple[str, ...]
    uploads: tuple[Attachment, ...]
    failed: tuple[ArchivedPhoto, ...]
    elsewhere: int = 0


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


async def story_album(photos: Photos, story_id: int, uploads: bool,
                      same_channel: bool = True) -> Album:
    """A story's photos for a card: archived copies uploaded when `uploads`, else references —
    a reference that is no web address only on the channel the story came from
    (`same_channel`); elsewhere it is counted, not sent."""
    refs: list[str] = []
    files: list[Attachment] = []
    elsewhere = 0
    items = await photos.of_story(story_id)
    for item in items:
        if uploads and item.archived and item.digest is not None:
            data = await asyncio.to_thread(_read, photos.files.path(item.digest, WEB))
            if data is not None:
                files.append(Attachment(f"{story_id}-{item.position + 1}.jpg", data, "photo"))
                continue
        if same_channel or item.file_ref.startswith(("http://", "https://")):
            refs.append(item.file_ref)
        else:
            elsewhere += 1
    failed = tuple(item for item in items if item.state == "failed")
    return Album(tuple(refs), tuple(files), failed, elsewhere)


def elsewhere_note(album: Album, texts: Catalogue, channel: str) -> Safe:
    """How many photos sent on `channel` this one cannot show ('' if none)."""
    if not album.elsewhere:
        return Safe("")
    name = {"zalo_oa": "Zalo OA"}.get(channel, channel.capitalize())
    return texts.t("archive.card_elsewhere", count=album.elsewhere, channel=name)


def failed_note(album: Album, texts: Catalogue) -> Safe:
    """For reviewers: how many photos the archive could not keep, and why ('' if none)."""
    if not album.failed:
        return Safe("")
    reasons = dict.fromkeys(
        item.error if item.error in REASONS else "unreachable" for item in album.failed)
    words = ", ".join(texts.t(f"archive.reason_{reason}") for reason in reasons)
    return texts.t("archive.card_failed", count=len(album.failed), reasons=Safe(words))
