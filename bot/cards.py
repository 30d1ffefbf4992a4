"""A story drawn for reading: the reviewer's card, the public card, the channel post."""

from __future__ import annotations

from datetime import date

from bot.content import Campaigns, Catalogue, Safe, fold, localities
from bot.storage import Story

__all__ = [
    "commune_name",
    "post_card",
    "public_card",
    "review_card",
    "story_date",
    "story_page",
    "tags",
]


def commune_name(story: Story, province: int) -> str:
    """The commune's full name."""
    unit = localities(province).get(story.commune_code)
    return unit.name if unit else str(story.commune_code)


def story_date(story: Story) -> str:
    """The event date as dd/mm/yyyy."""
    return date.fromisoformat(story.event_date).strftime("%d/%m/%Y")


def _core(story: Story, texts: Catalogue, province: int, campaigns: Campaigns, *,
          pin: bool) -> Safe:
    """The story's fields; the map pin only with `pin` (often the reporter's own home)."""
    lang = texts.language
    kind = campaigns.kind(story.campaign, story.kind)
    content = campaigns.content(story.campaign, story.content)
    picked = content.movement(story.movement) if content else None
    movement: str = ""
    if picked is not None:
        movement = texts.t("report.summary_movement", movement=picked.label(lang))
    topic: str = content.label(lang) if content else story.content or ""
    if story.content is None:
        topic = texts.t("campaign_words.content_unknown")
    location = Safe("")
    if pin:
        where: str = texts.t("review.none")
        if story.latitude is not None and story.longitude is not None:
            where = f"{story.latitude:.5f}, {story.longitude:.5f}"
        location = texts.t("review.card_location", location=where)
    return texts.t(
        "review.card",
        id=story.id,
        title=story.title,
        status=texts.t(f"status.{story.status}"),
        kind=kind.label(lang) if kind else story.kind,
        content=topic,
        movement=Safe(movement),
        commune=commune_name(story, province),
        honoree=story.honoree_name,
        honoree_role=story.honoree_role,
        date=story_date(story),
        location=location,
        description=story.description,
    )


def review_card(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    """Every field, the reporter, the original text and the review note: for reviewers."""
    none = texts.t("review.none")
    text: str = _core(story, texts, province, campaigns, pin=True)
    filed = campaigns.get(story.campaign)
    text += texts.t("campaign_words.card_campaign",
                    name=filed.short(texts.language) if filed else story.campaign)
    text += texts.t(
        "review.card_reporter",
        name=story.reporter_name or none,
        channel=story.channel,
        phone=story.reporter_phone or none,
        show=texts.t("report.summary_yes" if story.show_name else "report.summary_no"),
    )
    if story.resident_name is not None:
        text += _resident(story, texts)
    if story.original:
        text += _originals(story, texts, province, campaigns)
    if story.review_note:
        text += texts.t("review.card_note", note=story.review_note)
    return Safe(text)


def _resident(story: Story, texts: Catalogue) -> Safe:
    """The resident a story was filed for: name, how to reach them, their consent (reviewers)."""
    agreed = story.resident_consent_at or ""
    when = agreed[:10] and date.fromisoformat(agreed[:10]).strftime("%d/%m/%Y")
    return texts.t(
        "officer.card_resident", name=story.resident_name, contact=story.resident_contact or "",
        consent=when, role=texts.t(f"officer.is_{story.resident_is or 'teller'}"),
        show=texts.t("report.summary_yes" if story.resident_shown else "report.summary_no"),
    )


# Each corrected column, by the report's word for it, in the card's order.
_ORIGINAL_LABELS = (("kind", "kind"), ("content", "content"), ("movement", "content"),
                    ("commune_code", "commune"), ("honoree_name", "honoree"),
                    ("honoree_role", "honoree_role"), ("title", "title"),
                    ("description", "description"), ("event_date", "date"),
                    ("latitude", "location"), ("photos", "photos"))


def _original_value(story: Story, column: str, value: object, province: int,
                    campaigns: Campaigns, texts: Catalogue) -> str:
    """A reporter's first value of a corrected field, as a person reads it."""
    lang = texts.language
    if value is None and column == "content":  # the reporter left it to the reviewer
        return texts.t("campaign_words.content_unknown")
    if value is None and column != "latitude":
        return texts.t("review.none")
    if column == "kind":
        kind = campaigns.kind(story.campaign, str(value))
        return kind.label(lang) if kind else str(value)
    if column == "content":
        content = campaigns.content(story.campaign, str(value))
        return content.label(lang) if content else str(value)
    if column == "movement":
        content = campaigns.content(story.campaign, str(story.original.get("content",
                                                                            story.content)))
        movement = content.movement(str(value)) if content else None
        return movement.label(lang) if movement else str(value)
    if column == "commune_code" and isinstance(value, int):
        unit = localities(province).get(value)
        return unit.name if unit else str(value)
    if column == "event_date":
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if column == "latitude":
        longitude = story.original.get("longitude", story.longitude)
        return texts.t("review.none") if value is None else f"{value}, {longitude}"
    if column == "photos" and isinstance(value, list):
        return texts.t("report.summary_photos", count=len(value))
    return str(value)


def _originals(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    """What the reporter first wrote, for each field a reviewer corrected."""
    lines = [texts.t("review.original_line", field=texts.t(f"report.field_{word}"),
                     value=_original_value(story, column, story.original.get(column), province,
                                           campaigns, texts))
             for column, word in _ORIGINAL_LABELS
             if column in story.original
             or (column == "latitude" and "longitude" in story.original)]
    return texts.t("review.card_originals", lines=Safe("\n".join(lines)))


def public_card(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    """What anyone may read: the commune but no pin, no phone, no resident's contact; the
    teller's name only if they allowed it."""
    text: str = _core(story, texts, province, campaigns, pin=False)
    if story.public_name:
        key = "stories.by" if story.resident_name is None else "officer.told_by_card"
        text += texts.t(key, name=story.public_name)
    return Safe(text)


def tags(story: Story, province: int, campaigns: Campaigns) -> str:
    """Hashtags for the commune and the kind: #PhuongLongXuyen #GuongNguoiTotViecTot."""
    kind = campaigns.kind(story.campaign, story.kind)
    parts = [commune_name(story, province), kind.vi if kind else story.kind]
    return " ".join("#" + "".join(w.capitalize() for w in fold(p).split()) for p in parts)


def story_page(gallery_url: str, story_id: int) -> str:
    """The address of a story's page in the public gallery (GALLERY_URL)."""
    return f"{gallery_url.rstrip('/')}/cau-chuyen/{story_id}"


def post_card(story: Story, texts: Catalogue, province: int, campaigns: Campaigns,
              gallery_url: str | None = None) -> Safe:
    """The post in the publishing channel, linking to the story's gallery page if there is one."""
    by: str = ""
    if story.public_name:
        key = "publish.by" if story.resident_name is None else "officer.told_by_post"
        by = texts.t(key, name=story.public_name)
    link = texts.t("gallery.post_link", url=story_page(gallery_url, story.id)) if gallery_url \
        else Safe("")
    return Safe(texts.t(
        "publish.card",
        title=story.title,
        description=story.description,
        honoree=story.honoree_name,
        honoree_role=story.honoree_role,
        commune=commune_name(story, province),
        date=story_date(story),
        by=Safe(by),
        tags=tags(story, province, campaigns),
    ) + link)
