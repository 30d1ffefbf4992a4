"""The terminal console: chat with the very same bot, choices drawn as numbered lines."""

from __future__ import annotations

import asyncio
import getpass
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.content import catalogue
from bot.dialog import Dialog
from bot.messages import (
    ChannelTraits,
    DeliveryError,
    Document,
    FileTooLarge,
    Incoming,
    Reply,
    plain_text,
)

__all__ = ["CHANNEL", "TRAITS", "ConsoleSender", "console_person", "render", "run_console",
           "to_incoming"]

CHANNEL = "console"
TRAITS = ChannelTraits(
    buttons=False,
    max_text=100_000,
    max_caption=100_000,
    can_request_contact=False,
    can_request_location=False,
    photo_by_path=True,
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic")
# Spreadsheets (and what people save them as by mistake), sent as a file for /import.
DOCUMENT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def to_incoming(line: str, user: str) -> Incoming | None:
    """A typed line as Incoming: the path of an image file is a photo, of a spreadsheet a file,
    '/cmd args' a command, anything else text."""
    line = line.strip()
    if not line:
        return None
    photo = _image_path(line)
    if photo is not None:
        return Incoming(CHANNEL, user, user, TRAITS, display_name=user, photos=(photo,))
    document = _document_path(line)
    if document is not None:
        return Incoming(CHANNEL, user, user, TRAITS, display_name=user, unsupported="document",
                        document=document)
    suffix = Path(line).suffix.lower()
    looks_like_a_path = suffix in IMAGE_SUFFIXES + DOCUMENT_SUFFIXES and "/" in line[1:]
    if line.startswith("/") and len(line) > 1 and not looks_like_a_path:
        head, *args = line.split()
        return Incoming(
            CHANNEL,
            user,
            user,
            TRAITS,
            display_name=user,
            command=head[1:].lower(),
            args=tuple(args),
        )
    return Incoming(CHANNEL, user, user, TRAITS, display_name=user, text=line)


def _document_path(line: str) -> Document | None:
    """A typed path to a spreadsheet on this computer, read when the bot asks for it."""
    candidate = Path(line.strip().strip("'\"")).expanduser()
    if candidate.suffix.lower() not in DOCUMENT_SUFFIXES:
        return None
    try:
        if not candidate.is_file():
            return None
        size = candidate.stat().st_size
    except (OSError, ValueError):
        return None

    async def fetch(limit: int) -> bytes:
        if candidate.stat().st_size > limit:
            raise FileTooLarge(candidate.stat().st_size)
        return await asyncio.to_thread(candidate.read_bytes)

    return Document(candidate.name, size, fetch)


def _image_path(line: str) -> str | None:
    """A typed path to an image file on this computer, as a photo reference (file://…)."""
    candidate = Path(line.strip().strip("'\"")).expanduser()
    if candidate.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        if not candidate.is_file():
            return None
        return candidate.resolve().as_uri()
    except (OSError, ValueError):
        return None


def save_files(reply: Reply, folder: Path) -> list[Path]:
    """Files the bot made (charts, workbooks), written where the person can open them."""
    saved = []
    for item in reply.files:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(item.filename).name
        path.write_bytes(item.data)
        saved.append(path)
    return saved


def render(reply: Reply, saved: list[Path] | None = None) -> str:
    """A reply as terminal text: plain words, files saved, then options numbered 1, 2, 3 …"""
    lines = [plain_text(reply.text)]
    lines.extend(f"[📎 {path}]" for path in saved or [])
    if reply.photos:
        lines.append(f"[{len(reply.photos)} 🖼]")
    for number, choice in enumerate(reply.flat_choices(), start=1):
        lines.append(f"  {number}. {plain_text(choice.label)}")
    return "\n".join(lines)


def _login() -> str:
    """The terminal user's name; containers may run as a uid with no name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def console_person(user: str | None = None) -> str:
    """Who is at this terminal: the name asked for (`--as`), or the login."""
    return user or _login() or "console"


class ConsoleSender:
    """Messages for the person at this terminal (decisions, new stories), printed as they are
    delivered; another console person's wait until they are at a terminal and write again."""

    channel = CHANNEL

    def __init__(self, stdout: TextIO, person: str | None = None) -> None:
        self._stdout = stdout
        self._person = console_person(person)
        self._sent = 0

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Print the message with a bell mark, if it is for the person here. Its buttons (a
        one-tap unsubscribe) are left out: a number typed here answers the open question, so the
        message says what to type."""
        if chat_id != self._person:
            raise DeliveryError(f"console:{chat_id} is not at this terminal", permanent=False,
                                window_closed=True)
        self._sent += 1
        self._stdout.write(f"\n🔔 {render(replace(reply, choices=()))}\n\n")
        self._stdout.flush()
        return str(self._sent)


async def run_console(
    dialog: Dialog, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, user: str | None = None,
    files: Path = Path("exports"),
) -> None:
    """Read lines until end of input or Ctrl-C, answering each as the bot would."""
    who = console_person(user)
    loop = asyncio.get_running_loop()
    stdout.write(catalogue("vi").t("console.banner") + "\n")
    stdout.write(catalogue("en").t("console.banner") + "\n")
    for language in ("vi", "en"):
        stdout.write(plain_text(catalogue(language).t("console.who", who=f"{CHANNEL}:{who}"))
                     + "\n")
    stdout.write("\n")
    stdout.flush()
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            stdout.write("\n")
            return
        incoming = to_incoming(line, who)
        if incoming is None:
            continue
        for reply in await dialog.handle(incoming):
            saved = save_files(reply, files)
            stdout.write("\n" + render(reply, saved) + "\n\n")
        stdout.flush()
