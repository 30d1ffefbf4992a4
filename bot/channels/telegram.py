"""Telegram: python-telegram-bot's Application, translating updates for the dialog core and
handing its replies to the sender (telegram_send.py)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

from telegram import (
    BotCommand,
    Message,
    Update,
)
from telegram import Document as TelegramDocument
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_app import TunedApplication
from bot.channels.telegram_rate import ChatRateLimiter
from bot.channels.telegram_send import CHANNEL, TRAITS, TelegramSender
from bot.config import Settings
from bot.content import catalogue
from bot.dialog import Dialog
from bot.menus import EVERYONE
from bot.messages import (
    Contact,
    Document,
    FileTooLarge,
    Incoming,
    Location,
    Voice,
)

__all__ = [
    "CHANNEL",
    "TRAITS",
    "TelegramSender",
    "build_application",
    "set_commands",
    "to_incoming",
]

log = logging.getLogger(__name__)

MENU = EVERYONE
_UNSUPPORTED = (
    "sticker",
    "audio",
    "document",
    "video",
    "video_note",
    "animation",
    "poll",
    "dice",
    "game",
    "venue",
)


def _command(text: str) -> tuple[str, tuple[str, ...]]:
    head, *args = text.split()
    return head[1:].split("@", 1)[0].lower(), tuple(args)


def to_incoming(update: Update) -> Incoming | None:
    """Translate an update into the channel-neutral Incoming; a group's carries no person."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    if chat.type != ChatType.PRIVATE:
        return Incoming(CHANNEL, str(chat.id), "", TRAITS, group=True)
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": str(chat.id),
        "user_id": str(user.id),
        "traits": TRAITS,
        "display_name": user.full_name,
        "username": user.username,
    }
    query = update.callback_query
    if query is not None:
        return Incoming(**base, callback=query.data or "")
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        if message.text.startswith("/") and len(message.text) > 1:
            name, args = _command(message.text)
            return Incoming(**base, command=name, args=args)
        return Incoming(**base, text=message.text)
    if message.photo:
        return Incoming(**base, photos=(message.photo[-1].file_id,))
    if message.voice is not None:
        return Incoming(**base, voice=Voice(message.voice.file_id, _seconds(message.voice)))
    if message.location is not None:
        loc = message.location
        return Incoming(**base, location=Location(loc.latitude, loc.longitude))
    if message.contact is not None:
        own = message.contact.user_id == user.id
        return Incoming(**base, contact=Contact(message.contact.phone_number, own))
    if message.document is not None:
        return Incoming(**base, unsupported="document", document=_document(message.document))
    kind = next((k for k in _UNSUPPORTED if getattr(message, k, None)), "other")
    return Incoming(**base, unsupported=kind)


def _document(sent: TelegramDocument) -> Document:
    """A file sent in the chat, fetched when asked with getFile (never past the limit)."""

    async def fetch(limit: int) -> bytes:
        if sent.file_size is not None and sent.file_size > limit:
            raise FileTooLarge(sent.file_size)
        found = await sent.get_file()
        if found.file_size is not None and found.file_size > limit:
            raise FileTooLarge(found.file_size)
        data = bytes(await found.download_as_bytearray())
        if len(data) > limit:
            raise FileTooLarge(len(data))
        return data

    return Document(sent.file_name or "", sent.file_size, fetch)


def _seconds(voice: Any) -> int:
    """A voice note's length in whole seconds (an int today, a timedelta in a later release)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        length = voice.duration
    return int(length.total_seconds() if hasattr(length, "total_seconds") else length)


async def set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Command menus in Vietnamese (the default) and English; a refusal is logged, not fatal."""
    for language, code in (("vi", None), ("en", "en")):
        texts = catalogue(language)
        commands = [BotCommand(name, texts.t(f"commands.{name}")) for name in MENU]
        try:
            await app.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:
            log.warning("setMyCommands (%s) refused: %s", language, exc)


def build_application(
    settings: Settings,
    dialog: Dialog,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    concurrent_updates: int = 64,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Telegram application: polling by default, the wire replaceable for tests."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .application_class(TunedApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .concurrent_updates(concurrent_updates)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(ChatRateLimiter(max_retries=2))  # type: ignore[arg-type]
    app = builder.build()
    sender = TelegramSender(app, settings.language)
    app.bot_data["sender"] = sender

    async def on_update(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Every message and button press goes through the dialog core."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        query = update.callback_query
        settling = asyncio.create_task(sender.settle_button(query)) if query else None
        replies = await dialog.handle(incoming)
        if settling is not None and query is not None:
            await settling
            replies = await sender.follow_press(query, replies)
        for reply in replies:
            message = query.message if query is not None else None
            if reply.edit and isinstance(message, Message) and await sender.edit(message, reply):
                continue
            await sender.answer(incoming.chat_id, reply)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log and carry on; the process never dies of one update."""
        log.error("update failed: %s", context.error, exc_info=context.error)

    # Group messages and button presses reach on_update too: the dialog core answers a group
    # once, asking to write privately, and keeps nothing about its members.
    chats = (filters.ChatType.PRIVATE | filters.ChatType.GROUPS) & ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(chats, on_update))
    app.add_handler(CallbackQueryHandler(on_update))
    app.add_error_handler(on_error)
    return app
