"""The channel-neutral language: what a person sent (Incoming) and what the bot says (Reply)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from bot.buttons import Button, static_data

__all__ = [
    "Attachment",
    "ChannelTraits",
    "Choice",
    "Contact",
    "DeliveryError",
    "Document",
    "FileTooLarge",
    "Incoming",
    "Location",
    "Notice",
    "Reply",
    "Retractor",
    "Sender",
    "Voice",
    "esc",
    "normalise",
    "plain_text",
    "split_text",
]

Request = Literal["location", "contact"]


@dataclass(frozen=True, slots=True)
class ChannelTraits:
    """What a channel can draw; handlers adapt questions to it."""

    buttons: bool
    max_text: int
    max_caption: int
    can_request_contact: bool
    can_request_location: bool
    # The terminal: a photo is attached by typing the path of an image file.
    photo_by_path: bool = False
    can_upload_photos: bool = False
    # A person can send voice notes on it (the report's description step takes one).
    voice: bool = False
    # It can hand over a file the bot made (a workbook, a chart); where not (Zalo), the dialog
    # gives a download link instead.
    files: bool = True
    # The largest file it can hand over, in bytes (None: no cap); a larger one goes as a link.
    max_file: int | None = None
    # A person can send the bot a file (the filled /import spreadsheet).
    takes_files: bool = True


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a question: what the person sees and what it means.

    Handlers give a `Button` record; the dialog swaps it for an opaque key (a `str`) before the
    reply reaches a channel. A static button (valid outside any question) keeps its record and
    the channel draws it with `wire_value`.
    """

    label: str
    value: str | Button
    # Whether typing the label (or, where there are no buttons, the number) picks it. False for
    # navigation offered beside a question whose typed answer is free text: typing "Huy" at
    # "who is honoured?" is a name, not Hủy.
    typed: bool = True

    @property
    def wire_value(self) -> str:
        """What the channel carries for this option."""
        return self.value if isinstance(self.value, str) else static_data(self.value)


@dataclass(frozen=True, slots=True)
class Location:
    """A map pin."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone number the person shared."""

    phone: str
    own: bool = True


class FileTooLarge(Exception):
    """A file a person sent is larger than the caller would fetch."""


@dataclass(frozen=True, slots=True)
class Document:
    """A file a person sent (a spreadsheet): its name, its size if the channel said, and how to
    fetch its bytes through the channel — at most `limit` of them, else FileTooLarge."""

    filename: str
    size: int | None
    fetch: Callable[[int], Awaitable[bytes]] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Voice:
    """A voice note a person sent: the channel's reference to it, and its length (0: unknown)."""

    ref: str
    seconds: int = 0


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person sent, already translated from the channel's update."""

    channel: str
    chat_id: str
    user_id: str
    traits: ChannelTraits
    display_name: str = ""
    username: str | None = None
    text: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    callback: str | None = None
    photos: tuple[str, ...] = ()
    location: Location | None = None
    contact: Contact | None = None
    voice: Voice | None = None
    unsupported: str | None = None
    group: bool = False  # written in a group chat: the bot answers only private chats
    # A file: also `unsupported` ("document"), so a question that wants no file says so; the
    # import of a spreadsheet reads it.
    document: Document | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the bot made (a chart, a workbook): sent as a photo or a document."""

    filename: str
    data: bytes
    kind: Literal["photo", "document"] = "document"


@dataclass(frozen=True, slots=True)
class Notice:
    """Which catalogue notice a message is, with its values: a channel that can only reach a
    person through pre-approved templates (a Zalo OA outside the window) picks one by `kind`."""

    kind: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot.

    `text` is safe markup: catalogue text with <b>/<i> and every user-supplied value
    escaped (see `esc`). `choices` are rows of options; `request` asks the channel for the
    person's location or phone (with `request_label` on the button); `edit` means "replace
    the message whose button was pressed". `photo_uploads` are archived copies of photos, sent
    in one album with `photos` by a channel that can upload them (`can_upload_photos`). `audio`
    are voice notes to play before the text: an archived copy, or the channel's own reference.
    """

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    photos: tuple[str, ...] = ()
    request: Request | None = None
    request_label: str = ""
    edit: bool = False
    files: tuple[Attachment, ...] = ()
    notice: Notice | None = None
    photo_uploads: tuple[Attachment, ...] = ()
    audio: tuple[Attachment | str, ...] = ()

    def flat_choices(self) -> list[Choice]:
        """Every option, in reading order."""
        return [c for row in self.choices for c in row]


class DeliveryError(Exception):
    """A send failed: `permanent` (refused), `stopped` (blocked the bot, account gone), or not.

    `channel_down`: the channel itself cannot send (its token is invalid or expired); nothing
    sent on it will go through until an operator acts. `window_closed`: the platform allows no
    message to this person now (a Zalo OA interaction window has closed); the message can wait
    until the person writes again.
    """

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None,
                 stopped: bool = False, channel_down: bool = False,
                 window_closed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent or stopped
        self.retry_after = retry_after
        self.stopped = stopped
        self.channel_down = channel_down
        self.window_closed = window_closed


class Sender(Protocol):
    """What every channel offers to deliver a message to a chat it knows."""

    channel: str

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver one reply and return the id of the (last) message; raise DeliveryError."""


@runtime_checkable
class Retractor(Protocol):
    """What a channel that can take back its posts offers besides sending (Telegram does).

    The outbox uses it to remember every message of a channel post and to remove or rewrite it
    later; handlers never see it.
    """

    async def send_all(self, chat_id: str, reply: Reply) -> list[str]:
        """Deliver one reply and return the id of every message it took; raise DeliveryError."""

    async def delete(self, chat_id: str, message_id: str) -> bool:
        """Delete a message: True once it is gone, False when the platform refuses (too old,
        no right to delete); raise DeliveryError when the chat itself cannot be reached."""

    async def replace_text(self, chat_id: str, message_id: str, text: str) -> bool:
        """Replace a message's text (or caption) with safe markup: True once it shows `text`,
        False when the platform refuses; raise DeliveryError when the chat cannot be reached."""


# Letters that draw nothing (Hangul fillers, the blank Braille pattern): they would pass a
# minimum length while showing nothing. Format characters (category Cf) go too: zero-width
# spaces and joiners, soft hyphens, and the direction overrides that could turn a channel post
# around (U+202A–U+202E, U+2066–U+2069).
_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def _kept(ch: str) -> bool:
    if ch in "\n\t":
        return True
    return ch not in _BLANK_LETTERS and unicodedata.category(ch) not in ("Cc", "Cf")


def normalise(text: str) -> str:
    """Text a person typed or sent, as kept: NFC; no control or format characters (but line
    breaks and tabs), no blank letters."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if _kept(ch)).strip()


def esc(value: object) -> str:
    """Escape a user-supplied value for safe markup."""
    return html.escape(str(value), quote=False)


_TAG = re.compile(r"</?(?:b|i|u|s|code)>")


def plain_text(markup: str) -> str:
    """Turn safe markup into the plain text a terminal or Zalo shows."""
    return html.unescape(_TAG.sub("", markup))


def _visible_len(markup: str) -> int:
    return len(plain_text(markup))


def _cut(piece: str, limit: int) -> list[str]:
    """Cut one over-long paragraph at sentence, then word, then character boundaries."""
    out: list[str] = []
    rest = piece
    while _visible_len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("\n"))
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut < limit // 3:
            cut = limit - 1
            amp = window.rfind("&", max(0, cut - 8))
            if amp != -1 and ";" not in window[amp : cut + 1]:
                cut = amp - 1
        out.append(rest[: cut + 1].rstrip())
        rest = rest[cut + 1 :].lstrip()
    if rest:
        out.append(rest)
    return out


def split_text(markup: str, limit: int) -> list[str]:
    """Split a message into parts of at most `limit` visible characters, on paragraphs first."""
    if _visible_len(markup) <= limit:
        return [markup]
    parts: list[str] = []
    current = ""
    for paragraph in markup.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if _visible_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        pieces = _cut(paragraph, limit)
        parts.extend(pieces[:-1])
        current = pieces[-1] if pieces else ""
    if current:
        parts.append(current)
    return parts
