"""Photos sent one by one by their web address (Zalo), before a reply's text: one the platform
refuses is left out and named in a line for the text, which still goes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.content import Safe, catalogue
from bot.messages import DeliveryError

__all__ = ["send_photos"]

log = logging.getLogger(__name__)

SendOne = Callable[[str], Awaitable[str | None]]  # a photo's address -> the message id


async def send_photos(chat_id: str, photos: Sequence[str], send: SendOne,
                      language: str) -> tuple[str | None, Safe]:
    """Send each web address with `send` (which raises DeliveryError); return the last message
    id and the line naming the refused ones ('' if none). A refusal that is not about the photo
    itself (the person, the channel, a retry) is raised as it came."""
    shown = [p for p in photos if p.startswith(("http://", "https://"))]
    last: str | None = None
    refused: list[str] = []
    reason = ""
    for n, url in enumerate(shown, start=1):
        try:
            last = await send(url) or last
        except DeliveryError as exc:
            if not exc.permanent or exc.stopped:
                raise
            refused.append(f"{n}/{len(shown)}")
            reason = exc.reason
    if not refused:
        return last, Safe("")
    which = ", ".join(refused)
    log.warning("photo %s of a message to %s refused, sent without it: %s", which, chat_id,
                reason)
    return last, catalogue(language).t("engine.photo_skipped", photos=which, error=reason)
