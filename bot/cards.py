"""A story drawn for reading: the reviewer's card, the public card, the channel post."""

from __future__ import annotations

from datetime import date

from bot.content import Catalogue, Safe, campaign, fold, localities
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


def _core(story: Story, texts: Catalogue, province: int) -> Safe:
    lang = texts.language
    kind = campaign().kind(story.kind)
    content = campaign().content(story.content)
    movement: str = ""
    if content and story.movement is not None and story.movement < len(content.movements):
        movement = texts.t("report.summary_movement",
                           movement=content.movements[story.movement].label(lang))
    none = texts.t("review.none")
    location: str = none
    if story.latitude is not None and story.longitude is not None:
        location = f"{story.latitude:.5f}, {story.longitude:.5f}"
    return texts.t(
        "review.card",
        id=story.id,
        title=story.title,
        status=texts.t(f"status.{story.status}"),
        kind=kind.label(lang) if kind else story.kind,
        content=content.label(lang) if content else story.content,
        movement=Safe(movement),
        commune=commune_name(story, province),
        honoree=story.honoree_name,
        honoree_role=story.honoree_role,
        date=story_date(story),
        location=location,
        description=story.description,
    )


def review_card(story: Story, texts: Catalogue, province: int) -> Safe:
    """Every field, the reporter, the original text and the review note: for reviewers."""
    none = texts.t("review.none")
    text: str = _core(story, texts, province)
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


def public_card(story: Story, texts: Catalogue, province: int) -> Safe:
    """What anyone may read: no phone; the reporter's name only if they allowed it."""
    text: str = _core(story, texts, province)
    if story.show_name and story.reporter_name:
        text += texts.t("stories.by", name=story.reporter_name)
    return Safe(text)


def tags(story: Story, province: int) -> str:
    """Hashtags for the commune and the kind: #PhuongLongXuyen #GuongNguoiTotViecTot."""
    kind = campaign().kind(story.kind)
    parts = [commune_name(story, province), kind.vi if kind else story.kind]
    return " ".join("#" + "".join(w.capitalize() for w in fold(p).split()) for p in parts)


def story_page(gallery_url: str, story_id: int) -> str:
    """The address of a story's page in the public gallery (GALLERY_URL)."""
    return f"{gallery_url.rstrip('/')}/cau-chuyen/{story_id}"


def post_card(story: Story, texts: Catalogue, province: int,
              gallery_url: str | None = None) -> Safe:
    """The post in the publishing channel, linking to the story's gallery page if there is one."""
    by: str = ""
    if story.show_name and story.reporter_name:
        by = texts.t("publish.by", name=story.reporter_name)
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
        tags=tags(story, province),
    ) + link)
