"""/report: the guided report, from the kind of story to `#id` in the review queue."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from bot.content import Safe, localities
from bot.handlers.amend import resubmit
from bot.handlers.context import Context, menu_choices, menu_reply, unsupported_key
from bot.handlers.drafts import draft_of
from bot.handlers.notices import banned_notice
from bot.handlers.report_photos import PHOTO_EDIT, answer_photo_edit, ask_photo_edit
from bot.handlers.report_steps import (
    ORDER,
    STEPS,
    EditField,
    Move,
    ReportMove,
    answer_campaign,
    applies,
    ask_campaign,
    description_bounds,
    filed_under,
    moved,
    voice_length,
)
from bot.handlers.resident import (
    behalf_refusal,
    resident_draft,
    resident_fields,
    resident_of,
    resident_preset,
    resident_values,
    skipped,
    summary_key,
)
from bot.handlers.start import ask_consent_first
from bot.messages import Choice, Reply
from bot.storage import NewStory, Story

__all__ = ["FLOW", "ReportFlow", "begin", "on_report", "open_amendment", "start_report"]

FLOW = "report"
EDITABLE = [s for s in STEPS if s != "movement"]


async def on_report(ctx: Context) -> list[Reply]:
    """Start a report, or offer to continue the one already open."""
    if not ctx.person.consent:
        return await ask_consent_first(ctx, then="report")
    refusal = await _may_not_file(ctx)
    if refusal:
        return [refusal]
    if ctx.state.flow == FLOW:
        step = ctx.t(f"report.step_{ctx.state.step}")
        rows = (
            (Choice(ctx.t("report.resume"), ReportMove(Move.RESUME)),),
            (Choice(ctx.t("report.restart"), ReportMove(Move.RESTART)),),
            (Choice(ctx.t("nav.cancel"), ReportMove(Move.CANCEL)),),
        )
        return [Reply(ctx.t("report.open_exists", step=step), choices=rows)]
    return _begin(ctx)


async def start_report(ctx: Context, campaign: str, content: str) -> list[Reply]:
    """Start a report under one content of an open campaign (from /phongtrao)."""
    ctx.state.reset()
    replies = await on_report(ctx)
    if ctx.state.flow == FLOW:
        ctx.state.data |= {"campaign": campaign, "content": content, "preset_content": True}
        if ctx.state.step == "campaign":  # several open: this one is chosen, ask the kind
            replies = _begin(ctx, keep=True)
    return replies


async def _may_not_file(ctx: Context) -> Reply | None:
    """A banned person, or one over the daily limit, is told so politely (stories for residents
    have their own limit)."""
    if await ctx.storage.roles.is_banned(ctx.person.id):
        return Reply(banned_notice(ctx))
    if resident_of(ctx.state.data) is not None:
        return await behalf_refusal(ctx)
    since = (ctx.now - timedelta(hours=24)).isoformat(timespec="seconds")
    count = await ctx.storage.stories.filed_since(ctx.person.id, since)
    if count >= ctx.settings.reports_per_day:
        return Reply(ctx.t("roles.daily_limit", count=count))
    return None


def _begin(ctx: Context, keep: bool = False,
           preset: dict[str, Any] | None = None) -> list[Reply]:
    """The first question: which campaign when several are open, else the kind of story."""
    ctx.state.flow = FLOW
    if not keep:
        ctx.state.data = {"key": uuid.uuid4().hex, **(preset or {})}
        open_now = ctx.campaigns.filing(ctx.today.date())
        if len(open_now) == 1:
            ctx.state.data["campaign"] = open_now[0].key
    ctx.state.step = "kind" if "campaign" in ctx.state.data else "campaign"
    first = _ask(ctx, ctx.state.step)
    return [Reply(f"{ctx.t('report.intro')}\n\n{first.text}", choices=first.choices)]


def begin(ctx: Context, preset: dict[str, Any]) -> list[Reply]:
    """Start a report with some answers given (a resident's, when filing on their behalf)."""
    return _begin(ctx, preset=preset)


def _ask(ctx: Context, step: str) -> Reply:
    if step == "campaign":
        return ask_campaign(ctx)
    return _summary(ctx) if step == "summary" else STEPS[step].ask(ctx)


def _neighbour(ctx: Context, step: str, direction: int) -> str:
    index = ORDER.index(step) + direction
    while 0 <= index < len(ORDER) and not applies(ctx, ORDER[index]):
        index += direction
    return ORDER[max(0, min(index, len(ORDER) - 1))]


class ReportFlow:
    """The report journey's step machine."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the current question again."""
        if ctx.state.step == "edit_pick":
            return [_edit_pick(ctx)]
        if ctx.state.step == PHOTO_EDIT:
            return [ask_photo_edit(ctx)]
        if ctx.state.step == "campaign":
            return [ask_campaign(ctx)]
        if ctx.state.step == CONFIRM_CANCEL:
            return [_confirm_cancel(ctx)]
        if ctx.state.step not in ORDER:
            ctx.state.step = "kind"
        return [_ask(ctx, ctx.state.step)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the answer to the current step and ask the next question."""
        state = ctx.state
        if state.step == CONFIRM_CANCEL:
            return await self._confirming(ctx)
        if moved(ctx, Move.CANCEL):
            if _worth_keeping(state.data):
                state.data["cancel_from"] = state.step
                state.step = CONFIRM_CANCEL
                return [_confirm_cancel(ctx)]
            return [_cancelled(ctx)]
        if moved(ctx, Move.RESUME):
            return await self.reask(ctx)
        if moved(ctx, Move.RESTART):
            return begin(ctx, resident_preset(state.data))
        if state.step == "campaign":
            if not answer_campaign(ctx):
                return [Reply(ctx.t("dialog.use_choices")), ask_campaign(ctx)]
            state.step = "kind"
            return [_ask(ctx, "kind")]
        if state.step == PHOTO_EDIT and not moved(ctx, Move.BACK):
            following = answer_photo_edit(ctx)
            if isinstance(following, list):
                return following
            state.step = following
            return [_ask(ctx, following)]
        if state.step not in ORDER and state.step not in ("edit_pick", PHOTO_EDIT):
            state.step = "kind"
            return await self.reask(ctx)
        if moved(ctx, Move.BACK):
            return self._back(ctx)
        if state.step == "summary":
            return await self._at_summary(ctx)
        if state.step == "edit_pick":
            return self._pick_field(ctx)
        refusal = self._wrong_kind_of_message(ctx)
        if refusal:
            return [Reply(ctx.t(refusal)), *await self.reask(ctx)]
        answered = state.step
        stay = await STEPS[answered].answer(ctx)
        if stay is not None:
            return stay
        if state.data.get("editing") and not (
            state.step == "content"
            and applies(ctx, "movement")
            and "movement" not in state.data
        ):
            state.step = "summary"
        else:
            state.step = _neighbour(ctx, state.step, +1)
        question = _ask(ctx, state.step)
        ack = _acknowledge(ctx, answered)
        if ack is not None:
            return [ack, question]
        if answered == "commune":
            unit = localities(ctx.settings.province_code).get(int(state.data["commune"]))
            note = ctx.t("report.commune_set", name=unit.name if unit else "")
            question = replace(question, text=f"{note}\n\n{question.text}")
        return [question]

    async def _confirming(self, ctx: Context) -> list[Reply]:
        """Discard the draft, or go back to the question it was at."""
        state = ctx.state
        if moved(ctx, Move.DISCARD, Move.CANCEL):
            return [_cancelled(ctx)]
        if not moved(ctx, Move.RESUME):
            return [Reply(ctx.t("dialog.use_choices")), _confirm_cancel(ctx)]
        state.step = str(state.data.pop("cancel_from", "kind"))
        return await self.reask(ctx)

    def _wrong_kind_of_message(self, ctx: Context) -> str | None:
        incoming, step = ctx.incoming, ctx.state.step
        if incoming.unsupported:
            return unsupported_key(ctx)
        if incoming.photos and step != "photos":
            return "dialog.no_photo_here"
        if incoming.location and step != "location":
            return "dialog.no_location_here"
        if incoming.contact and step != "phone":
            return "dialog.no_contact_here"
        return None

    def _back(self, ctx: Context) -> list[Reply]:
        state = ctx.state
        if state.data.get("editing") or state.step == "edit_pick":
            state.data.pop("editing", None)
            state.step = "summary"
        elif state.step != "kind":
            state.step = _neighbour(ctx, state.step, -1)
        return [_ask(ctx, state.step)]

    async def _at_summary(self, ctx: Context) -> list[Reply]:
        if moved(ctx, Move.SUBMIT):
            return await _submit(ctx)
        if moved(ctx, Move.EDIT):
            ctx.state.step = "edit_pick"
            return [_edit_pick(ctx)]
        return [Reply(ctx.t("dialog.use_choices")), _summary(ctx)]

    def _pick_field(self, ctx: Context) -> list[Reply]:
        field = ctx.choice.field if isinstance(ctx.choice, EditField) else ""
        if field not in EDITABLE:
            return [Reply(ctx.t("dialog.use_choices")), _edit_pick(ctx)]
        ctx.state.data["editing"] = True
        if field == "photos" and ctx.state.data.get("photos"):
            ctx.state.step = PHOTO_EDIT
            return [ask_photo_edit(ctx)]
        if field == "content":
            ctx.state.data.pop("movement", None)
            ctx.state.data.pop("preset_content", None)
        ctx.state.step = field
        return [_ask(ctx, field)]


def _cancelled(ctx: Context) -> Reply:
    """The draft dropped: nothing sent; an amendment leaves the story as it was."""
    amending = ctx.state.data.get("amend")
    ctx.state.reset()
    if amending:
        return menu_reply(ctx, ctx.t("amend.cancelled", id=amending))
    return menu_reply(ctx, ctx.t("report.cancelled"))


CONFIRM_CANCEL = "confirm_cancel"
# Answers that make a draft worth an "are you sure?" before it is thrown away.
_TYPED_ANSWERS = ("commune", "honoree", "honoree_role", "title", "description", "date", "voice")


def _worth_keeping(data: dict[str, object]) -> bool:
    """Whether the draft is past its first steps (anything typed, not only picked)."""
    return any(data.get(key) for key in _TYPED_ANSWERS)


def _confirm_cancel(ctx: Context) -> Reply:
    rows = (
        (Choice(ctx.t("report.discard"), ReportMove(Move.DISCARD)),),
        (Choice(ctx.t("report.keep_going"), ReportMove(Move.RESUME)),),
    )
    return Reply(ctx.t("report.confirm_cancel"), choices=rows)


def _acknowledge(ctx: Context, step: str) -> Reply | None:
    """A line of its own after a location or phone step, so a keyboard that asked for it goes."""
    traits = ctx.incoming.traits
    if step == "location" and traits.can_request_location:
        saved = ctx.state.data.get("lat") is not None
        return Reply(ctx.t("report.location_saved" if saved else "report.skipped"))
    if step == "phone" and traits.can_request_contact:
        saved = ctx.state.data.get("phone") is not None
        return Reply(ctx.t("report.phone_saved" if saved else "report.skipped"))
    return None


def _edit_pick(ctx: Context) -> Reply:
    choices = [Choice(ctx.t(f"report.field_{f}"), EditField(f)) for f in EDITABLE
               if not skipped(ctx.state.data, f)]
    rows = tuple(tuple(choices[i : i + 2]) for i in range(0, len(choices), 2))
    back = (Choice(ctx.t("nav.back"), ReportMove(Move.BACK)),)
    return Reply(ctx.t("report.ask_edit_field"), choices=(*rows, back))


def _summary(ctx: Context) -> Reply:
    data, lang, under = ctx.state.data, ctx.person.language, filed_under(ctx)
    kind = under.kind(str(data.get("kind")))
    content = under.content(data.get("content"))
    picked = content.movement(data.get("movement")) if content else None
    movement = ""
    if picked is not None:
        movement = ctx.t("report.summary_movement", movement=picked.label(lang))
    unit = localities(ctx.settings.province_code).get(int(data.get("commune", 0)))
    none = ctx.t("report.summary_none")
    topic = content.label(lang) if content else none
    if "content" in data and data["content"] is None:
        topic = ctx.t("campaign_words.content_unknown")
    photos = len(data.get("photos", []))
    shown = ctx.t("report.summary_photos", count=photos) if photos else none
    voice = data.get("voice")
    if isinstance(voice, dict):  # the voice note's line (count and length) under the photos
        shown = Safe(shown + ctx.t("voice.summary",
                                  length=voice_length(ctx, voice.get("seconds"))))
    lat, lon = data.get("lat"), data.get("lon")
    when = date.fromisoformat(data["date"]).strftime("%d/%m/%Y") if data.get("date") else none
    text: str = ctx.t(
        summary_key(data),
        kind=kind.label(lang) if kind else none,
        content=topic,
        movement=Safe(movement),
        commune=unit.name if unit else none,
        honoree=data.get("honoree", none),
        honoree_role=data.get("honoree_role", none),
        title=data.get("title", none),
        description=data.get("description", none),
        date=when,
        photos=shown,
        location=f"{lat:.5f}, {lon:.5f}" if lat is not None and lon is not None else none,
        phone=data.get("phone") or none,
        show_name=ctx.t("report.summary_yes" if data.get("show_name") else "report.summary_no"),
        **resident_values(ctx),
    )
    amending = data.get("amend")
    submit = ctx.t("amend.resubmit" if amending else "report.submit")
    rows = (
        (Choice(submit, ReportMove(Move.SUBMIT)),),
        (Choice(ctx.t("report.edit"), ReportMove(Move.EDIT)),
         Choice(ctx.t("report.cancel"), ReportMove(Move.CANCEL))),
    )
    if amending:
        lead = ctx.t("amend.summary_lead", id=amending, note=str(data.get("note") or ""))
        text = f"{lead}\n\n{text}"
    return Reply(f"{text}\n\n{ctx.t('report.summary_ask')}", choices=rows)


def open_amendment(ctx: Context, story: Story) -> list[Reply]:
    """A story whose changes were asked, opened in the report's summary to edit every field."""
    ctx.state.flow, ctx.state.step = FLOW, "summary"
    ctx.state.data = {**draft_of(story), **resident_draft(story), "key": uuid.uuid4().hex,
                      "amend": story.id, "version": story.version,
                      "note": story.review_note or ""}
    return [_summary(ctx)]


REQUIRED = ("kind", "content", "commune", "honoree", "honoree_role", "title", "description", "date")


def _missing(data: dict[str, object]) -> str | None:
    """The first required answer not given (a defence: the steps ask them in order). The
    content may be given as none: the reviewer chooses it."""
    return next((step for step in REQUIRED if data.get(step) in (None, "")
                 and not (step == "content" and step in data)), None)


async def _submit(ctx: Context) -> list[Reply]:
    """File the story as pending review and give the reporter its number."""
    data = ctx.state.data
    if data.get("amend"):
        return await resubmit(ctx)
    refusal = await _may_not_file(ctx)
    if refusal:
        return [refusal]
    gap = _missing(data)
    chosen = data.get("content")
    if gap is None and description_bounds(data).problem(str(data["description"])):
        gap = "description"  # a voice note taken out since: the telling must be written
    if gap is None and chosen is not None and filed_under(ctx).content(chosen) is None:
        data.pop("preset_content", None)  # a content the campaign does not know: asked again
        gap = "content"
    if gap:
        ctx.state.step = gap
        return [_ask(ctx, gap)]
    voice = data.get("voice") or {}
    story_id = await ctx.storage.stories.file(
        NewStory(
            submission_key=str(data["key"]),
            reporter_id=ctx.person.id,
            channel=ctx.incoming.channel,
            campaign=filed_under(ctx).key,
            kind=str(data["kind"]),
            content=None if chosen is None else str(chosen),
            movement=data.get("movement"),
            commune_code=int(data["commune"]),
            honoree_name=str(data["honoree"]),
            honoree_role=str(data["honoree_role"]),
            title=str(data["title"]),
            description=str(data["description"]),
            event_date=date.fromisoformat(str(data["date"])),
            latitude=data.get("lat"),
            longitude=data.get("lon"),
            reporter_phone=data.get("phone"),
            show_name=bool(data.get("show_name")),
            photos=list(data.get("photos", [])),
            voice_ref=str(voice["ref"]) if voice else None,
            voice_seconds=voice.get("seconds") if voice else None,
            **resident_fields(data),
        ),
        notify_reviewers=ctx.settings.notify_reviewers,
    )
    ctx.state.reset()
    return [Reply(ctx.t("report.submitted", id=story_id), choices=menu_choices(ctx))]
