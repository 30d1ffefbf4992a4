"""A story drawn for reading: the reviewer's card, the public card, the channel post."""

from __future__ import annotations

from datetime import date

from bot.content import Campaigns, Catalogue, Safe, fold, localities
from bot.storage import Story

__all__ = ["commune_name", "post_card", "public_card", "review_card", "story_date", "tags"]


def commune_name(story: Story, province: int) -> str:
    """The commune's full name."""
    unit = localities(province).get(story.commune_code)
    return unit.name if unit else str(story.commune_code)


def story_date(story: Story) -> str:
    """The event date as dd/mm/yyyy."""
    return date.fromisoformat(story.event_date).strftime("%d/%m/%Y")


def _core(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    lang = texts.language
    kind = campaigns.kind(story.campaign, story.kind)
    content = campaigns.content(story.campaign, story.content)
    picked = content.movement(story.movement) if content else None
    movement: str = ""
    if picked is not None:
        movement = texts.t("report.summary_movement", movement=picked.label(lang))
    none = texts.t("review.none")
    topic: str = content.label(lang) if content else story.content or ""
    if story.content is None:
        topic = texts.t("campaign_words.content_unknown")
    location: str = none
    if story.latitude is not None and story.longitude is not None:
        location = f"{story.latitude:.5f}, {story.longitude:.5f}"
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
    text: str = _core(story, texts, province, campaigns)
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
    if story.original_title or story.original_description:
        text += texts.t(
            "review.card_original",
            title=story.original_title or story.title,
            description=story.original_description or story.description,
        )
    if story.review_note:
        text += texts.t("review.card_note", note=story.review_note)
    return Safe(text)


def public_card(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    """What anyone may read: no phone; the reporter's name only if they allowed it."""
    text: str = _core(story, texts, province, campaigns)
    if story.show_name and story.reporter_name:
        text += texts.t("stories.by", name=story.reporter_name)
    return Safe(text)


def tags(story: Story, province: int, campaigns: Campaigns) -> str:
    """Hashtags for the commune and the kind: #PhuongLongXuyen #GuongNguoiTotViecTot."""
    kind = campaigns.kind(story.campaign, story.kind)
    parts = [commune_name(story, province), kind.vi if kind else story.kind]
    return " ".join("#" + "".join(w.capitalize() for w in fold(p).split()) for p in parts)


def post_card(story: Story, texts: Catalogue, province: int, campaigns: Campaigns) -> Safe:
    """The post in the publishing channel."""
    by: str = ""
    if story.show_name and story.reporter_name:
        by = texts.t("publish.by", name=story.reporter_name)
    return texts.t(
        "publish.card",
        title=story.title,
        description=story.description,
        honoree=story.honoree_name,
        honoree_role=story.honoree_role,
        commune=commune_name(story, province),
        date=story_date(story),
        by=Safe(by),
        tags=tags(story, province, campaigns),
    )
