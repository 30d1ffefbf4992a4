"""Telegram: python-telegram-bot's Application, translating updates and drawing replies."""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import replace
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.content import catalogue
from bot.dialog import Dialog
from bot.messages import (
    ChannelTraits,
    Contact,
    DeliveryError,
    Incoming,
    Location,
    Reply,
    esc,
    split_text,
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

CHANNEL = "telegram"
TRAITS = ChannelTraits(
    buttons=True,
    max_text=4096,
    max_caption=1024,
    can_request_contact=True,
    can_request_location=True,
)
MENU = ("start", "report", "mystories", "stories", "phongtrao", "subscribe", "unsubscribe", "help",
        "privacy", "language", "deleteme", "cancel")
# How the label of the button pressed is shown under the question it answered.
ANSWERED = "➜ <b>{}</b>"
_UNSUPPORTED = (
    "sticker",
    "voice",
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
    """Translate a private-chat update into the channel-neutral Incoming."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
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
    if message.location is not None:
        loc = message.location
        return Incoming(**base, location=Location(loc.latitude, loc.longitude))
    if message.contact is not None:
        own = message.contact.user_id == user.id
        return Incoming(**base, contact=Contact(message.contact.phone_number, own))
    kind = next((k for k in _UNSUPPORTED if getattr(message, k, None)), "other")
    return Incoming(**base, unsupported=kind)


def _inline(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.label, callback_data=c.value) for c in row]
            for row in reply.choices
        ]
    )


def _request_keyboard(reply: Reply) -> ReplyKeyboardMarkup:
    first = KeyboardButton(
        reply.request_label,
        request_location=reply.request == "location",
        request_contact=reply.request == "contact",
    )
    rows = [[first], *([KeyboardButton(c.label)] for c in reply.flat_choices())]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


class TelegramSender:
    """Draws Replies as Bot API calls: HTML, inline buttons, reply keyboards for requests."""

    channel = CHANNEL

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self._app = app
        self._open_keyboards: set[str] = set()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver a message outside the conversation (the outbox): keyboards are left alone."""
        return await self._guarded(chat_id, reply, in_dialog=False)

    async def answer(self, chat_id: str, reply: Reply) -> str | None:
        """Answer the person in the conversation, taking away a request keyboard once used."""
        return await self._guarded(chat_id, reply, in_dialog=True)

    async def _guarded(self, chat_id: str, reply: Reply, *, in_dialog: bool) -> str | None:
        """Send; return the last message's id; raise DeliveryError on any Bot API failure."""
        try:
            return await self._send(chat_id, reply, in_dialog)
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                delay = exc.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
            raise DeliveryError("flood control", permanent=False, retry_after=seconds) from exc
        except Forbidden as exc:
            raise DeliveryError(exc.message, permanent=True, stopped=True) from exc
        except BadRequest as exc:
            raise DeliveryError(exc.message, permanent=True) from exc
        except TelegramError as exc:
            raise DeliveryError(exc.message, permanent=False) from exc

    async def _send(self, chat_id: str, reply: Reply, in_dialog: bool) -> str | None:
        bot = self._app.bot
        last: Message | None = None
        for item in reply.files:
            upload = InputFile(item.data, filename=item.filename)
            if item.kind == "photo":
                last = await bot.send_photo(chat_id, upload)
            else:
                last = await bot.send_document(chat_id, upload)
        if reply.photos:
            last = await self._photos(chat_id, reply)
            if not reply.text:
                return str(last.message_id)
        parts = split_text(reply.text, TRAITS.max_text)
        markup: Any = None
        if reply.request:
            markup = _request_keyboard(reply)
            self._open_keyboards.add(chat_id)
        elif reply.choices:
            markup = _inline(reply)
        elif in_dialog and chat_id in self._open_keyboards:
            markup = ReplyKeyboardRemove()
            self._open_keyboards.discard(chat_id)
        for i, part in enumerate(parts):
            final = i == len(parts) - 1
            last = await bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if final else None,
                disable_web_page_preview=True,
            )
        return str(last.message_id) if last else None

    async def _photos(self, chat_id: str, reply: Reply) -> Message:
        bot = self._app.bot
        if len(reply.photos) == 1:
            single: Message = await bot.send_photo(chat_id, reply.photos[0])
            return single
        media = [InputMediaPhoto(p) for p in reply.photos[:10]]
        album: tuple[Message, ...] = await bot.send_media_group(chat_id, media)
        return album[-1]

    async def edit(self, message: Message, reply: Reply) -> bool:
        """Replace a message's text and buttons in place; False when Telegram refuses."""
        parts = split_text(reply.text, TRAITS.max_text)
        if len(parts) != 1 or reply.photos or reply.request:
            return False
        try:
            await message.edit_text(
                parts[0],
                parse_mode=ParseMode.HTML,
                reply_markup=_inline(reply),
                disable_web_page_preview=True,
            )
        except BadRequest as exc:
            log.info("edit refused, sending instead: %s", exc.message)
            return False
        return True

    async def settle_button(self, query: CallbackQuery) -> None:
        """Answer the press, as Telegram requires of every one; its buttons go in `follow_press`."""
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("answerCallbackQuery failed: %s", exc)

    async def follow_press(self, query: CallbackQuery, replies: list[Reply]) -> list[Reply]:
        """Take the pressed message's buttons away, with the first reply where one call can do
        both; return the replies still to send.

        A reply marked `edit` replaces the pressed message. A next question (a reply with
        buttons) is written into the pressed message below it, after the label of the button
        pressed, so the message keeps what was asked and answered and no old button stays
        pressable. Anything else is sent as new messages once the old buttons are removed.
        """
        message = query.message
        if not isinstance(message, Message) or message.reply_markup is None:
            return replies
        first = replies[0] if replies else None
        if first is not None and first.edit:
            if await self.edit(message, first):
                return replies[1:]
            replies = [replace(first, edit=False), *replies[1:]]  # refused: sent instead
        elif first is not None and first.choices:
            answered = self._answered(message, query.data or "", first)
            if answered is not None and await self.edit(message, answered):
                return replies[1:]
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramError as exc:
            log.info("could not remove old buttons: %s", exc)
        return replies

    def _answered(self, message: Message, data: str, question: Reply) -> Reply | None:
        """The pressed message, the label pressed and the next question, as one message."""
        if message.text is None or str(message.chat_id) in self._open_keyboards:
            return None
        markup = message.reply_markup
        labels = [b.text for row in markup.inline_keyboard for b in row
                  if b.callback_data == data] if markup else []
        if len(labels) != 1:
            return None
        text = f"{message.text_html}\n\n{ANSWERED.format(esc(labels[0]))}\n\n{question.text}"
        return replace(question, text=text, edit=True)


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
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .concurrent_updates(concurrent_updates)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))  # type: ignore[arg-type]
    app = builder.build()
    sender = TelegramSender(app)
    app.bot_data["sender"] = sender

    async def on_update(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Every private message and button press goes through the dialog core."""
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

    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(private, on_update))
    app.add_handler(CallbackQueryHandler(on_update))
    app.add_error_handler(on_error)
    return app
