"""Telegram: drawing replies — texts, buttons, photos, voice notes and files — and answering
button presses, through python-telegram-bot's Bot."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InputFile,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
)

from bot.channels.telegram_rate import retry_seconds
from bot.content import catalogue
from bot.messages import (
    Attachment,
    ChannelTraits,
    DeliveryError,
    Reply,
    esc,
    split_text,
)

__all__ = ["ANSWERED", "CHANNEL", "TRAITS", "TelegramSender"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TRAITS = ChannelTraits(
    buttons=True,
    max_text=4096,
    max_caption=1024,
    can_request_contact=True,
    can_request_location=True,
    can_upload_photos=True,
    voice=True,
    max_file=50 * 1024 * 1024,  # the Bot API's limit for a file a bot uploads
)
T = TypeVar("T")

# How the label of the button pressed is shown under the question it answered.
ANSWERED = "➜ <b>{}</b>"
# Chats whose last question (a message with inline buttons) the sender keeps, as drawn.
QUESTIONS_KEPT = 10_000
# Archived voice notes Telegram plays as voice messages (Opus in Ogg), as audio (MP3, M4A);
# any other kind goes as a file to download and play.
_AS_VOICE, _AS_AUDIO = (".ogg",), (".mp3", ".m4a")


def _inline(reply: Reply) -> dict[str, Any] | None:
    """The reply's options as an inline keyboard, in the Bot API's own JSON shape."""
    if not reply.choices:
        return None
    return {"inline_keyboard": [[{"text": c.label, "callback_data": c.wire_value} for c in row]
                                for row in reply.choices]}


def _parts(text: str) -> list[str]:
    """The text in messages Telegram takes; one within the limit in characters is within it in
    visible ones too (tags don't show), and is not measured again."""
    return [text] if len(text) <= TRAITS.max_text else split_text(text, TRAITS.max_text)


def _html(text: str, markup: Any) -> dict[str, Any]:
    """The parameters of a text in HTML parse mode, without link previews."""
    return {"text": text, "parse_mode": ParseMode.HTML.value,
            "link_preview_options": {"is_disabled": True}, "reply_markup": markup}


def _photo(item: Attachment | str, attach: bool) -> InputFile | str:
    """A photo by reference, or an archived copy uploaded (in an album each upload is its own
    multipart part, named by an attach:// address)."""
    if isinstance(item, str):
        return item
    return InputFile(item.data, filename=item.filename, attach=attach)


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

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any],
                 language: str = "vi") -> None:
        self._app = app
        self._language = language
        self._open_keyboards: set[str] = set()
        # chat: (message id, HTML) of the last message with inline buttons drawn there, so a
        # press on it is written into it without rebuilding its HTML from Telegram's entities.
        self._questions: dict[str, tuple[int, str]] = {}

    @property
    def bot(self) -> Bot:
        """The Bot the replies go through (the archive downloads files with it too)."""
        bot: Bot = self._app.bot
        return bot

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver a message outside the conversation (the outbox): keyboards are left alone."""
        ids = await self._guarded(self._send(chat_id, reply, in_dialog=False))
        return ids[-1] if ids else None

    async def send_all(self, chat_id: str, reply: Reply) -> list[str]:
        """As `send`, returning the id of every message sent (each photo of an album, each part)."""
        return await self._guarded(self._send(chat_id, reply, in_dialog=False))

    async def answer(self, chat_id: str, reply: Reply) -> str | None:
        """Answer the person in the conversation, taking away a request keyboard once used."""
        ids = await self._guarded(self._send(chat_id, reply, in_dialog=True))
        return ids[-1] if ids else None

    async def set_menu(self, chat_id: str, commands: Sequence[tuple[str, str]]) -> None:
        """Give one chat its own command menu (a reviewer's, an admin's); none: the chat shows
        the default menu again. Raise DeliveryError on any Bot API failure."""
        scope = BotCommandScopeChat(int(chat_id))
        bot = self._app.bot
        if commands:
            listed = [BotCommand(name, description) for name, description in commands]
            await self._guarded(bot.set_my_commands(listed, scope=scope))
        else:
            await self._guarded(bot.delete_my_commands(scope=scope))

    async def delete(self, chat_id: str, message_id: str) -> bool:
        """deleteMessage: True once the message is gone, False when Telegram refuses (older than
        48 hours, or the bot may not delete messages in that chat)."""
        return await self._guarded(self._delete(chat_id, int(message_id)))

    async def replace_text(self, chat_id: str, message_id: str, text: str) -> bool:
        """editMessageText (editMessageCaption for a photo): True once the message shows `text`."""
        return await self._guarded(self._replace(chat_id, int(message_id), text))

    def _drawn(self, chat_id: str, message_id: int, html: str | None) -> None:
        """Keep (or, for None, forget) the HTML of a question drawn in a chat."""
        kept = self._questions.pop(chat_id, None)
        if html is not None:
            self._questions[chat_id] = (message_id, html)
            if len(self._questions) > QUESTIONS_KEPT:
                del self._questions[next(iter(self._questions))]  # the longest kept
        elif kept is not None and kept[0] != message_id:
            self._questions[chat_id] = kept  # another message: the question stays as it is

    async def _delete(self, chat_id: str, message_id: int) -> bool:
        self._drawn(chat_id, message_id, None)
        try:
            return bool(await self._app.bot.delete_message(chat_id, message_id))
        except BadRequest as exc:
            said = exc.message.lower()
            if "message to delete not found" in said:
                return True
            if "can't be deleted" in said or "can not be deleted" in said:
                return False
            raise

    async def _replace(self, chat_id: str, message_id: int, text: str) -> bool:
        self._drawn(chat_id, message_id, None)
        bot = self._app.bot
        try:
            await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                        parse_mode=ParseMode.HTML, disable_web_page_preview=True)
            return True
        except BadRequest as exc:
            said = exc.message.lower()
            if "not modified" in said:
                return True
            if "no text in the message" not in said:
                if "can't be edited" in said or "message to edit not found" in said:
                    return False
                raise
        try:
            await bot.edit_message_caption(chat_id=chat_id, message_id=message_id,
                                           caption=text, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            said = exc.message.lower()
            if "not modified" in said:
                return True
            if "can't be edited" in said or "message to edit not found" in said:
                return False
            raise
        return True

    async def _call(self, endpoint: str, params: dict[str, Any]) -> Any:
        """One Bot API call whose answer is used as Telegram sent it (a dict, or True).

        The library's own methods would parse every answer into a Message (and its keyboard)
        that the dialog never reads, the largest share of the cost of a reply. This goes through
        the very path those methods end in (Bot._post: parameters without the None ones, the
        rate limiter, the same errors raised), so a call and its failures are alike.
        """
        return await self._app.bot._post(endpoint, params)

    async def _guarded(self, call: Awaitable[T]) -> T:
        """Run one Bot API exchange; raise DeliveryError on any Bot API failure."""
        try:
            return await call
        except RetryAfter as exc:
            raise DeliveryError("flood control", permanent=False,
                                retry_after=retry_seconds(exc)) from exc
        except Forbidden as exc:
            raise DeliveryError(exc.message, permanent=True, stopped=True) from exc
        except BadRequest as exc:
            raise DeliveryError(exc.message, permanent=True) from exc
        except TelegramError as exc:
            raise DeliveryError(exc.message, permanent=False) from exc

    async def _send(self, chat_id: str, reply: Reply, in_dialog: bool) -> list[str]:
        bot = self._app.bot
        ids: list[str] = []
        text = reply.text
        for item in reply.files:
            upload = InputFile(item.data, filename=item.filename)
            try:
                if item.kind == "photo":
                    sent = await bot.send_photo(chat_id, upload)
                else:
                    sent = await bot.send_document(chat_id, upload)
            except NetworkError as exc:  # refused or lost on the way: the words still go
                log.warning("a file to %s was not sent: %s", chat_id, exc.message)
                text += catalogue(self._language).t("files.not_sent", name=item.filename)
                continue
            ids.append(str(sent.message_id))
        for note_item in reply.audio:
            sent_id, note = await self._voice(chat_id, note_item)
            ids.extend(sent_id)
            text += note
        # The archived copies (uploaded) and the other photos (by reference), in one album.
        photos: tuple[Attachment | str, ...] = (*reply.photo_uploads, *reply.photos)
        if photos and not text:
            ids.extend(await self._photos(chat_id, photos))
            return ids
        if photos:
            shown, note = await self._photos_or_note(chat_id, photos)
            ids.extend(shown)
            text += note
        parts = _parts(text)
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
            last = await self._call("sendMessage", {"chat_id": chat_id,
                                                    **_html(part, markup if final else None)})
            ids.append(str(last["message_id"]))
            if final and reply.choices and not reply.request:
                self._drawn(chat_id, int(last["message_id"]), part)
        return ids

    async def _voice(self, chat_id: str, item: Attachment | str) -> tuple[list[str], str]:
        """A voice note to listen to: by its file id, or the archived file as voice, audio or a
        file by its kind. One Telegram refuses (a person who does not take voice messages, a
        lost file id) is sent as a file instead, or named in a line added to the text."""
        bot = self._app.bot
        try:
            if isinstance(item, str):
                sent: Message = await bot.send_voice(chat_id, item)
            elif item.filename.endswith(_AS_VOICE):
                sent = await bot.send_voice(chat_id, InputFile(item.data, filename=item.filename))
            elif item.filename.endswith(_AS_AUDIO):
                sent = await bot.send_audio(chat_id, InputFile(item.data, filename=item.filename))
            else:
                sent = await bot.send_document(chat_id,
                                               InputFile(item.data, filename=item.filename))
            return [str(sent.message_id)], ""
        except BadRequest as exc:
            reason = exc.message
        if not isinstance(item, str):
            try:
                upload = InputFile(item.data, filename=item.filename)
                fallback: Message = await bot.send_document(chat_id, upload)
                return [str(fallback.message_id)], ""
            except BadRequest as exc:
                reason = exc.message
        log.warning("a voice note to %s refused, sent without it: %s", chat_id, reason)
        return [], catalogue(self._language).t("voice.skipped", error=reason)

    async def _photos(self, chat_id: str, photos: Sequence[Attachment | str]) -> list[str]:
        bot = self._app.bot
        if len(photos) == 1:
            single: Message = await bot.send_photo(chat_id, _photo(photos[0], attach=False))
            return [str(single.message_id)]
        media = [InputMediaPhoto(_photo(p, attach=True)) for p in photos[:10]]
        album: tuple[Message, ...] = await bot.send_media_group(chat_id, media)
        return [str(m.message_id) for m in album]

    async def _photos_or_note(self, chat_id: str, photos: Sequence[Attachment | str]
                              ) -> tuple[list[str], str]:
        """Photos before a text: one Telegram refuses (a URL it cannot fetch, a file too large)
        is left out, logged in one line, and named in a line added to the text. Returns the ids
        of the photo messages sent, and that line ('' when every photo went)."""
        try:
            return await self._photos(chat_id, photos), ""
        except BadRequest as exc:
            reason = exc.message
        shown = photos[:10]
        refused = [1] if len(shown) == 1 else []
        sent: list[str] = []
        if len(shown) > 1:
            reasons = []
            for position, photo in enumerate(shown, start=1):
                try:
                    single = await self._app.bot.send_photo(chat_id, _photo(photo, attach=False))
                    sent.append(str(single.message_id))
                except BadRequest as exc:
                    refused.append(position)
                    reasons.append(exc.message)
            if not refused:
                return sent, ""
            reason = reasons[0]
        which = ", ".join(f"{n}/{len(shown)}" for n in refused)
        log.warning("photo %s of a message to %s refused, sent without it: %s", which, chat_id,
                    reason)
        note = catalogue(self._language).t("engine.photo_skipped", photos=which, error=reason)
        return sent, note

    async def edit(self, message: Message, reply: Reply) -> bool:
        """Replace a message's text and buttons in place; False when Telegram refuses."""
        parts = _parts(reply.text)
        if (len(parts) != 1 or reply.photos or reply.photo_uploads or reply.request or reply.audio
                or reply.files):
            return False
        chat_id = str(message.chat_id)
        self._drawn(chat_id, message.message_id, None)
        try:
            await self._call("editMessageText", {"chat_id": message.chat_id,
                                                 "message_id": message.message_id,
                                                 **_html(parts[0], _inline(reply))})
        except BadRequest as exc:
            log.info("edit refused, sending instead: %s", exc.message)
            return False
        if reply.choices:
            self._drawn(chat_id, message.message_id, parts[0])
        return True

    async def settle_button(self, query: CallbackQuery) -> None:
        """Answer the press, as Telegram requires of every one; its buttons go in `follow_press`."""
        try:
            await self._call("answerCallbackQuery", {"callback_query_id": query.id})
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
            await self._call("editMessageReplyMarkup", {"chat_id": message.chat_id,
                                                        "message_id": message.message_id})
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
        kept = self._questions.get(str(message.chat_id))
        shown = kept[1] if kept is not None and kept[0] == message.message_id else None
        if shown is None:
            shown = message.text_html  # drawn before a restart, or by a send not kept
        text = f"{shown}\n\n{ANSWERED.format(esc(labels[0]))}\n\n{question.text}"
        return replace(question, text=text, edit=True)
