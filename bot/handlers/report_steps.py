"""The questions of /report: how each step asks, and how it takes an answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.content import Campaign, Safe, localities
from bot.handlers.answers import Length, parse_coordinates, parse_date, parse_phone, single_line
from bot.handlers.context import Context
from bot.handlers.report_buttons import (
    DropVoice,
    EditField,
    Move,
    PickCampaign,
    PickCommune,
    PickContent,
    PickDate,
    PickKind,
    PickMovement,
    ReportMove,
    Row,
    ShowName,
    VoiceOnly,
    moved,
    nav_row,
)
from bot.handlers.resident import resident_of, serves, skipped
from bot.messages import Choice, Reply, esc
from bot.voice import duration

__all__ = [
    "MAX_PHOTOS",
    "ORDER",
    "STEPS",
    "EditField",
    "Move",
    "PickCampaign",
    "PickMovement",
    "ReportMove",
    "ShowName",
    "Step",
    "applies",
    "description_bounds",
    "filed_under",
    "moved",
    "nav_row",
    "voice_length",
]

MAX_PHOTOS = 5
REVIEWER_FLOWS = frozenset({"correct"})  # dialogs where a reviewer answers the report's questions
TITLE = Length(5, 120)
DESCRIPTION = Length(40, 3000)
# With a voice note telling the story, one short written line is enough.
VOICE_LINE = Length(5, 3000)
NAME = Length(2, 120)
ROLE = Length(2, 200)
Answer = Callable[[Context], Awaitable[list[Reply] | None]]


def _ask(ctx: Context, text: str, rows: tuple[Row, ...] = (), **extra: Any) -> Reply:
    """A step's question: numbered "step n of N" (not while editing one field from the summary),
    with Back and Cancel. At a step whose answer is free text, typing never picks Back or
    Cancel; where there are no buttons the question says how to go back or cancel instead."""
    step, editing = ctx.state.step, bool(ctx.state.data.get("editing"))
    back = step != "kind" or editing
    free = step in FREE_TEXT
    counted = [s for s in NUMBERED if not skipped(ctx.state.data, s)]
    if step in counted and not editing:
        text = ctx.t("report.step_counter", n=counted.index(step) + 1, total=len(counted)) + text
    if free and not ctx.incoming.traits.buttons:
        hint = ("typed_nav_correcting" if ctx.state.flow == "correct" else "typed_nav_editing"
                if editing else "typed_nav" if back else "typed_nav_cancel")
        text += ctx.t(f"report.{hint}")
    return Reply(text, choices=(*rows, nav_row(ctx, back=back, typed=not free)), **extra)


def _again(ctx: Context, key: str, **values: object) -> list[Reply]:
    """A short note on what was wrong, then the same question."""
    return [Reply(ctx.t(key, **values)), STEPS[ctx.state.step].ask(ctx)]


def _typed(ctx: Context, key: str, bounds: Length, one_line: bool) -> list[Reply] | None:
    """Store a typed text answer within bounds, or say what is wrong with it."""
    if ctx.text is None:
        return _again(ctx, "report.need_text")
    text = single_line(ctx.text) if one_line else ctx.text.strip()
    problem = bounds.problem(text)
    if problem:
        which, limit = problem
        bound = {"min": limit} if which == "too_short" else {"max": limit}
        return _again(ctx, f"report.{which}", length=len(text), **bound)
    ctx.state.data[key] = text
    return None


# --- campaign, kind, content, movement ----------------------------------------------------


def filed_under(ctx: Context) -> Campaign:
    """The campaign the report is filed under: the one recorded, or the first open today."""
    chosen = ctx.campaigns.get(str(ctx.state.data.get("campaign", "")))
    return chosen or ctx.campaigns.filing(ctx.today.date())[0]


def ask_campaign(ctx: Context) -> Reply:
    """Which of the campaigns open today, in plain words (asked only when several are open)."""
    lang = ctx.person.language
    open_now = ctx.campaigns.filing(ctx.today.date())
    lines = "\n".join(ctx.t("campaign_words.ask_campaign_line", short=c.short(lang),
                            name=c.text("name", lang)) for c in open_now)
    rows = tuple((Choice(c.short(lang), PickCampaign(c.key)),) for c in open_now)
    text = ctx.t("campaign_words.ask_campaign", count=len(open_now), lines=Safe(lines))
    return Reply(text, choices=(*rows, nav_row(ctx, back=False)))


def answer_campaign(ctx: Context) -> bool:
    """Take a campaign that is open today; False when the answer is not one."""
    choice = ctx.choice
    open_now = {c.key for c in ctx.campaigns.filing(ctx.today.date())}
    if not isinstance(choice, PickCampaign) or choice.key not in open_now:
        return False
    ctx.state.data["campaign"] = choice.key
    return True


def ask_kind(ctx: Context) -> Reply:
    """Which kind of story."""
    lang = ctx.person.language
    kinds = filed_under(ctx).kinds
    rows = tuple((Choice(k.label(lang), PickKind(k.value)),) for k in kinds)
    examples = [ctx.t("kind_example.line", kind=k.label(lang),
                      example=ctx.t(f"kind_example.{k.value}"))
                for k in kinds if ctx.texts.has(f"kind_example.{k.value}")]
    text: str = ctx.t("report.ask_kind")
    if examples:
        text += "\n\n" + "\n".join(examples)
    return _ask(ctx, text, rows)


async def answer_kind(ctx: Context) -> list[Reply] | None:
    """Take a kind."""
    choice = ctx.choice
    if not isinstance(choice, PickKind) or filed_under(ctx).kind(choice.value) is None:
        return _again(ctx, "dialog.use_choices")
    ctx.state.data["kind"] = choice.value
    return None


def _unsure_offered(ctx: Context) -> bool:
    """"Not sure, the reviewer chooses" is the reporter's answer, never a reviewer's."""
    return ctx.state.flow not in REVIEWER_FLOWS


def ask_content(ctx: Context) -> Reply:
    """Which of the five contents: listed in full with short buttons, or as full options; or
    (to a reporter) "not sure", left to the reviewer."""
    lang = ctx.person.language
    contents = filed_under(ctx).contents
    unsure: tuple[Row, ...] = ((Choice(ctx.t("report.content_unsure"), PickContent(None)),),)
    if not _unsure_offered(ctx):
        unsure = ()
    if not ctx.incoming.traits.buttons:
        rows = tuple((Choice(c.label(lang), PickContent(c.key)),) for c in contents)
        return _ask(ctx, ctx.t("report.ask_content"), rows + unsure)
    listing = "\n".join(f"{c.number}. {esc(c.label(lang))}" for c in contents)
    rows = tuple(
        (Choice(f"{c.number}. {c.short(lang)}", PickContent(c.key)),) for c in contents
    )
    return _ask(ctx, f"{ctx.t('report.ask_content')}\n\n{listing}", rows + unsure)


async def answer_content(ctx: Context) -> list[Reply] | None:
    """Take a content, or none (the reviewer chooses it); a new content forgets the movement."""
    choice = ctx.choice
    if isinstance(choice, PickContent) and choice.key is None and _unsure_offered(ctx):
        ctx.state.data.update(content=None, movement=None)
        return None
    content = filed_under(ctx).content(choice.key) if isinstance(choice, PickContent) else None
    if content is None:
        return _again(ctx, "dialog.use_choices")
    if ctx.state.data.get("content") != content.key:
        ctx.state.data.pop("movement", None)
    ctx.state.data["content"] = content.key
    return None


def ask_movement(ctx: Context) -> Reply:
    """Which national movement, if any."""
    lang = ctx.person.language
    content = filed_under(ctx).content(ctx.state.data.get("content"))
    movements = content.movements if content else []
    rows = tuple((Choice(m.label(lang), PickMovement(m.key)),) for m in movements)
    rows += ((Choice(ctx.t("report.no_movement"), PickMovement(None)),),)
    return _ask(ctx, ctx.t("report.ask_movement"), rows)


async def answer_movement(ctx: Context) -> list[Reply] | None:
    """Take a movement, or none."""
    choice = ctx.choice
    content = filed_under(ctx).content(ctx.state.data.get("content"))
    if not isinstance(choice, PickMovement):
        return _again(ctx, "dialog.use_choices")
    if choice.key is None:
        ctx.state.data["movement"] = None
        return None
    movement = content.movement(choice.key) if content else None
    if movement is None:
        return _again(ctx, "dialog.use_choices")
    ctx.state.data["movement"] = movement.key
    return None


# --- commune ------------------------------------------------------------------------------


def ask_commune(ctx: Context) -> Reply:
    """Type part of the commune's name."""
    return _ask(ctx, ctx.t("report.ask_commune"))


async def answer_commune(ctx: Context) -> list[Reply] | None:
    """Pick from the matches of what was typed; a sure single match is taken at once."""
    units = localities(ctx.settings.province_code)
    if isinstance(ctx.choice, PickCommune):
        if units.get(ctx.choice.code):
            return await _take_commune(ctx, ctx.choice.code)
        return _again(ctx, "dialog.use_choices")
    if ctx.text is None:
        return _again(ctx, "report.need_text")
    query = single_line(ctx.text)[:60]
    if len(query) < 2:
        return _again(ctx, "report.commune_short")
    found, sure = units.search(query)
    if sure:
        return await _take_commune(ctx, found[0].code)
    key = "report.commune_many"
    if not found:
        found, key = units.suggest(query), "report.commune_none"
    if not found:
        return [_ask(ctx, ctx.t("report.commune_none_at_all", query=query))]
    rows = tuple((Choice(u.name, PickCommune(u.code)),) for u in found)
    return [_ask(ctx, ctx.t(key, query=query), rows)]


async def _take_commune(ctx: Context, code: int) -> list[Reply] | None:
    """Keep the commune; a story told for a resident only in a commune the filer serves."""
    if ctx.state.flow == "report" and resident_of(ctx.state.data) and not await serves(ctx, code):
        unit = localities(ctx.settings.province_code).get(code)
        return _again(ctx, "officer.not_your_commune", name=unit.name if unit else code)
    ctx.state.data["commune"] = code
    return None


# --- honoree, title, description ----------------------------------------------------------


def ask_honoree(ctx: Context) -> Reply:
    """Who is honoured."""
    return _ask(ctx, ctx.t("report.ask_honoree"))


async def answer_honoree(ctx: Context) -> list[Reply] | None:
    """Take the honoured person's or collective's name."""
    return _typed(ctx, "honoree", NAME, one_line=True)


def ask_honoree_role(ctx: Context) -> Reply:
    """Their role or unit."""
    return _ask(ctx, ctx.t("report.ask_honoree_role"))


async def answer_honoree_role(ctx: Context) -> list[Reply] | None:
    """Take their role or unit."""
    return _typed(ctx, "honoree_role", ROLE, one_line=True)


def ask_title(ctx: Context) -> Reply:
    """A short title."""
    return _ask(ctx, ctx.t("report.ask_title", max=TITLE.high))


async def answer_title(ctx: Context) -> list[Reply] | None:
    """Take the title."""
    return _typed(ctx, "title", TITLE, one_line=True)


def voice_length(ctx: Context, seconds: object) -> Safe:
    """' (0:42)' after a voice note's mention, '' when its length is not known."""
    shown = duration(seconds if isinstance(seconds, int) else None)
    return ctx.t("voice.length", length=shown) if shown else Safe("")


def _reporter_voice(ctx: Context) -> dict[str, Any] | None:
    """The draft's voice note, in the reporter's own report (a reviewer never adds one)."""
    voice = ctx.state.data.get("voice")
    return voice if isinstance(voice, dict) and ctx.state.flow not in REVIEWER_FLOWS else None


def description_bounds(data: dict[str, Any]) -> Length:
    """How long the written description must be: a line when a voice note tells the story."""
    return VOICE_LINE if isinstance(data.get("voice"), dict) else DESCRIPTION


def ask_description(ctx: Context) -> Reply:
    """What they did: typed, or (where the channel carries one) told in a voice note."""
    voice = _reporter_voice(ctx)
    if voice is not None:
        rows = ((Choice(ctx.t("voice.only"), VoiceOnly()),),
                (Choice(ctx.t("voice.drop"), DropVoice()),))
        return _ask(ctx, ctx.t("voice.ask_line", length=voice_length(ctx, voice.get("seconds")),
                               min=VOICE_LINE.low), rows)
    text: str = ctx.t("report.ask_description", min=DESCRIPTION.low, max=DESCRIPTION.high)
    if ctx.incoming.traits.voice and ctx.state.flow not in REVIEWER_FLOWS:
        text += ctx.t("voice.welcome")
    return _ask(ctx, text)


async def answer_description(ctx: Context) -> list[Reply] | None:
    """Take the description, or a voice note telling it (then a short line is enough)."""
    data, sent = ctx.state.data, ctx.incoming.voice
    reporter = ctx.state.flow not in REVIEWER_FLOWS
    if sent is not None and reporter:
        key = "voice.replaced" if _reporter_voice(ctx) else "voice.received"
        data["voice"] = {"ref": sent.ref, "seconds": sent.seconds or None}
        return [Reply(ctx.t(key, length=voice_length(ctx, sent.seconds))), ask_description(ctx)]
    if isinstance(ctx.choice, DropVoice) and _reporter_voice(ctx):
        data.pop("voice", None)
        return [Reply(ctx.t("voice.dropped")), ask_description(ctx)]
    if isinstance(ctx.choice, VoiceOnly) and _reporter_voice(ctx):
        data["description"] = str(data.get("title") or ctx.t("voice.only"))
        return None
    bounds = description_bounds(data) if reporter else DESCRIPTION
    return _typed(ctx, "description", bounds, one_line=False)


# --- date -----------------------------------------------------------------------------------


def ask_date(ctx: Context) -> Reply:
    """When it happened."""
    rows = (
        (
            Choice(ctx.t("report.today"), PickDate(0)),
            Choice(ctx.t("report.yesterday"), PickDate(1)),
        ),
    )
    return _ask(ctx, ctx.t("report.ask_date"), rows)


async def answer_date(ctx: Context) -> list[Reply] | None:
    """Take a date that is not in the future."""
    today = ctx.today.date()
    if isinstance(ctx.choice, PickDate) and ctx.choice.days_ago in (0, 1):
        value = today - timedelta(days=ctx.choice.days_ago)
        ctx.state.data["date"] = value.isoformat()
        return None
    if ctx.text is None:
        return _again(ctx, "report.need_text")
    answer = parse_date(ctx.text, today)
    if answer.problem:
        shown = answer.value.strftime("%d/%m/%Y") if answer.value else ""
        return _again(ctx, f"report.{answer.problem}", date=shown, year=2000)
    assert answer.value is not None
    ctx.state.data["date"] = answer.value.isoformat()
    return None


# --- photos, location, phone, name ----------------------------------------------------------


def ask_photos(ctx: Context) -> Reply:
    """Up to five photos, optional."""
    have = len(ctx.state.data.get("photos", []))
    move_on = (Choice(ctx.t("nav.done"), ReportMove(Move.DONE)) if have
               else Choice(ctx.t("nav.skip"), ReportMove(Move.SKIP)))
    key = "report.ask_photos_path" if ctx.incoming.traits.photo_by_path else "report.ask_photos"
    return _ask(ctx, ctx.t(key, max=MAX_PHOTOS), ((move_on,),))


async def answer_photos(ctx: Context) -> list[Reply] | None:
    """Collect photos until Done, Skip or the fifth."""
    photos: list[str] = ctx.state.data.setdefault("photos", [])
    if moved(ctx, Move.DONE, Move.SKIP):
        return None
    if not ctx.incoming.photos and ctx.text and ctx.incoming.traits.photo_by_path:
        return _again(ctx, "report.photo_path_missing", path=ctx.text[:200])
    if not ctx.incoming.photos:
        return _again(ctx, "dialog.use_choices")
    room = MAX_PHOTOS - len(photos)
    photos.extend(ctx.incoming.photos[:room])
    if len(photos) >= MAX_PHOTOS:
        return None
    done = Choice(ctx.t("nav.done"), ReportMove(Move.DONE))
    text = ctx.t("report.photo_received", count=len(photos), max=MAX_PHOTOS)
    return [Reply(text, choices=((done,), nav_row(ctx)))]


def ask_location(ctx: Context) -> Reply:
    """The place on a map, optional."""
    skip = (Choice(ctx.t("nav.skip"), ReportMove(Move.SKIP)),)
    if ctx.incoming.traits.can_request_location:
        label = ctx.t("report.share_location")
        return _ask(
            ctx, ctx.t("report.ask_location"), (skip,), request="location", request_label=label
        )
    return _ask(ctx, ctx.t("report.ask_location_typed"), (skip,))


async def answer_location(ctx: Context) -> list[Reply] | None:
    """Take a pin or typed coordinates."""
    data = ctx.state.data
    if moved(ctx, Move.SKIP):
        data["lat"] = data["lon"] = None
        return None
    pin = ctx.incoming.location
    coords = (pin.latitude, pin.longitude) if pin else parse_coordinates(ctx.text or "")
    if coords is None:
        return _again(ctx, "report.location_bad")
    units = localities(ctx.settings.province_code)
    if not units.covers(*coords) and not data.get("pin_outside"):
        data["pin_outside"] = True
        return _again(ctx, "report.location_outside", province=units.province_name)
    data.pop("pin_outside", None)
    data["lat"], data["lon"] = coords
    return None


def ask_phone(ctx: Context) -> Reply:
    """The reporter's phone, optional."""
    skip = (Choice(ctx.t("nav.skip"), ReportMove(Move.SKIP)),)
    if ctx.incoming.traits.can_request_contact:
        label = ctx.t("report.share_phone")
        return _ask(ctx, ctx.t("report.ask_phone"), (skip,), request="contact", request_label=label)
    return _ask(ctx, ctx.t("report.ask_phone_typed"), (skip,))


async def answer_phone(ctx: Context) -> list[Reply] | None:
    """Take a shared or typed phone number."""
    if moved(ctx, Move.SKIP):
        ctx.state.data["phone"] = None
        return None
    contact = ctx.incoming.contact
    if contact and not contact.own:
        return _again(ctx, "report.phone_not_own")
    phone = parse_phone(contact.phone if contact else ctx.text or "")
    if phone is None:
        return _again(ctx, "report.phone_bad")
    ctx.state.data["phone"] = phone
    return None


def ask_show_name(ctx: Context) -> Reply:
    """May the reporter's name be shown when published (default no)."""
    rows = (
        (Choice(ctx.t("report.show_name_no"), ShowName(False)),),
        (Choice(ctx.t("report.show_name_yes"), ShowName(True)),),
    )
    name = ctx.person.display_name or ctx.incoming.display_name
    return _ask(ctx, ctx.t("report.ask_show_name", name=name), rows)


async def answer_show_name(ctx: Context) -> list[Reply] | None:
    """Take yes or no."""
    if not isinstance(ctx.choice, ShowName):
        return _again(ctx, "dialog.use_choices")
    ctx.state.data["show_name"] = ctx.choice.show
    return None


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the report: how to ask it and how to take its answer."""

    ask: Callable[[Context], Reply]
    answer: Answer


STEPS: dict[str, Step] = {
    "kind": Step(ask_kind, answer_kind),
    "content": Step(ask_content, answer_content),
    "movement": Step(ask_movement, answer_movement),
    "commune": Step(ask_commune, answer_commune),
    "honoree": Step(ask_honoree, answer_honoree),
    "honoree_role": Step(ask_honoree_role, answer_honoree_role),
    "title": Step(ask_title, answer_title),
    "description": Step(ask_description, answer_description),
    "date": Step(ask_date, answer_date),
    "photos": Step(ask_photos, answer_photos),
    "location": Step(ask_location, answer_location),
    "phone": Step(ask_phone, answer_phone),
    "show_name": Step(ask_show_name, answer_show_name),
}
ORDER = [*STEPS, "summary"]
# Counted as "step n of N": the national movement follows the content, not a step of its own.
NUMBERED = [step for step in STEPS if step != "movement"]
# Steps whose typed answer is free text: typing there never picks a navigation option.
FREE_TEXT = frozenset({"commune", "honoree", "honoree_role", "title", "description", "date"})


def applies(ctx: Context, step: str) -> bool:
    """Whether a step is asked for these answers (movements only under contents that have them)."""
    data = ctx.state.data
    if skipped(data, step):
        return False
    if step == "content":
        return not data.get("preset_content")
    if step != "movement":
        return True
    content = filed_under(ctx).content(data.get("content"))
    return bool(content and content.movements)
