"""The photos of a draft, edited from the summary: see them, take one out, or send more."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.handlers.context import Context
from bot.handlers.report_steps import MAX_PHOTOS, Move, ReportMove
from bot.messages import Choice, Reply

__all__ = ["PHOTO_EDIT", "DropDraftPhoto", "MorePhotos", "answer_photo_edit", "ask_photo_edit"]

PHOTO_EDIT = "photo_edit"


@dataclass(frozen=True)
class DropDraftPhoto(Button, tag="r.photo.drop"):
    """Take this photo (by its place) out of the draft."""

    index: int


@dataclass(frozen=True)
class MorePhotos(Button, tag="r.photo.more"):
    """Send more photos (up to the limit)."""


def ask_photo_edit(ctx: Context) -> Reply:
    """The draft's photos, with a button to take out each, send more, or be done."""
    photos = tuple(str(p) for p in ctx.state.data.get("photos", []))
    rows: list[tuple[Choice, ...]] = [
        (Choice(ctx.t("photo_edit.drop", n=i + 1, count=len(photos)), DropDraftPhoto(i)),)
        for i in range(len(photos))
    ]
    if len(photos) < MAX_PHOTOS:
        rows.append((Choice(ctx.t("photo_edit.more"), MorePhotos()),))
    rows.append((Choice(ctx.t("photo_edit.done"), ReportMove(Move.BACK)),))
    text = ctx.t("photo_edit.ask", count=len(photos), max=MAX_PHOTOS)
    return Reply(text, choices=tuple(rows), photos=photos)


def answer_photo_edit(ctx: Context) -> list[Reply] | str:
    """Take a photo out (and ask again), or the next step: 'photos' to send more."""
    choice = ctx.choice
    photos: list[str] = ctx.state.data.setdefault("photos", [])
    if isinstance(choice, MorePhotos) and len(photos) < MAX_PHOTOS:
        return "photos"
    if isinstance(choice, DropDraftPhoto) and 0 <= choice.index < len(photos):
        photos.pop(choice.index)
        return [Reply(ctx.t("photo_edit.dropped", n=choice.index + 1)), ask_photo_edit(ctx)]
    return [Reply(ctx.t("dialog.use_choices")), ask_photo_edit(ctx)]
