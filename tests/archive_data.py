"""Photos as phones make them, stories to hold them, and a worker to archive them (helpers)."""

from __future__ import annotations

import io
import random
from datetime import date

from PIL import Image, ImageDraw

from bot.archive import ArchiveWorker
from bot.storage import NewStory, Storage

GPS = {1: "N", 2: (10.0, 22.0, 33.0), 3: "E", 4: (105.0, 25.0, 10.0)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"'
       b' exif:GPSLatitude="10,22.55N" exif:GPSLongitude="105,25.17E"/></rdf:RDF></x:xmpmeta>')


def _texture(width: int, height: int, rng: random.Random) -> Image.Image:
    """Detail at every scale, as a real scene has (leaves, water, faces): noise layers from
    coarse to fine, so a thumbnail weighs what a real photo's does."""
    texture: Image.Image | None = None
    for side, weight in ((24, 1.0), (80, 0.5), (240, 0.45), (600, 0.3)):
        rows = max(1, side * height // width)
        layer = Image.merge("RGB", [Image.effect_noise((side, rows), 50 + rng.random() * 40)
                                    for _ in range(3)])
        layer = layer.resize((width, height), Image.Resampling.BICUBIC)
        texture = layer if texture is None else Image.blend(texture, layer, weight)
    assert texture is not None
    return texture


def phone_photo(width: int = 1600, height: int = 1200, seed: int = 1, *,
                orientation: int = 6) -> bytes:
    """A JPEG like a phone's: sky, fields and a house over detailed texture, EXIF with the GPS
    position and the orientation, and XMP carrying the position again."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.35, 0.55))
    for y in range(height):
        if y < horizon:
            shade = (90 + y * 100 // horizon, 150 + y * 60 // horizon, 230)
        else:
            shade = (40 + rng.randint(0, 30), 110 + (y - horizon) * 80 // height, 40)
        draw.line([(0, y), (width, y)], fill=shade)
    left = rng.randint(width // 6, width // 2)
    draw.rectangle([left, horizon - height // 6, left + width // 4, horizon + height // 10],
                   fill=(190, 170, 140))
    draw.polygon([(left - 20, horizon - height // 6), (left + width // 8, horizon - height // 3),
                  (left + width // 4 + 20, horizon - height // 6)], fill=(150, 40, 30))
    image = Image.blend(image, _texture(width, height, rng), 0.8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif.tobytes(), xmp=XMP)
    return out.getvalue()


def a_story(key: str, photos: list[str] | None = None, **fields: object) -> NewStory:
    """A report as the dialog would file it, with its reporter's phone and map pin."""
    values: dict[str, object] = {
        "submission_key": key, "reporter_id": 1, "channel": "telegram",
        "campaign": "an-giang-2025", "kind": "good_deed", "content": "policy_law", "movement": None,
        "commune_code": 30307, "honoree_name": "Nguyễn Văn An",
        "honoree_role": "nông dân ấp Mỹ Thạnh", "title": "Sửa cầu khỉ cho bà con",
        "description": "Ông An tự bỏ tiền sửa cây cầu khỉ bắc qua kênh Xáng cho bà con.",
        "event_date": date(2025, 9, 2), "latitude": 10.37591, "longitude": 105.41853,
        "reporter_phone": "0912345678", "show_name": False, "photos": photos or [],
    }
    values.update(fields)
    return NewStory(**values)  # type: ignore[arg-type]


async def reporter(storage: Storage, name: str = "Trần Thị Bình", external: str = "4242") -> int:
    """A consenting person on Telegram; their id."""
    person = await storage.people.get_or_create("telegram", external, "vi")
    await storage.people.set_consent(person, True, name, None)
    return person.id


async def publish(storage: Storage, story_id: int, when: str = "2025-09-05T03:00:00+00:00") -> None:
    """Mark a story published, as the outbox does after the channel post."""
    await storage.db.write(
        "UPDATE stories SET status = 'published', published_at = ?, version = version + 1"
        " WHERE id = ?", (when, story_id))


def worker_for(storage: Storage, files: dict[str, bytes], **options: object) -> ArchiveWorker:
    """An archive worker whose Telegram downloads come from `files` (a missing id fails)."""

    async def download(ref: str, limit: int) -> bytes:
        if ref not in files:
            raise ConnectionError("unreachable")
        return files[ref]

    return ArchiveWorker(storage.photos, {"telegram": download}, download,
                         **options)  # type: ignore[arg-type]
