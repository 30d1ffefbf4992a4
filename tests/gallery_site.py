"""A gallery with stories in it: published ones with photos, and ones the public must never see
(helpers for the gallery's tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from aiohttp import web

from bot.config import Settings
from bot.content import Campaigns, load_library
from bot.gallery import Gallery
from bot.storage import Storage
from bot.webhooks import build_web_app
from tests.archive_data import a_story, phone_photo, publish, reporter, worker_for

GALLERY = "https://guongsang.example.vn"
LONG_XUYEN, PHU_QUOC = 30307, 31078
PHONE = "0912345678"
PIN = ("10.37591", "105.41853")
REPORTER = "Trần Thị Bình"
CAU_KHI = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"


@cache
def photo(seed: int) -> bytes:
    """A phone photo (upright), made once per test run."""
    return phone_photo(800, 600, seed, orientation=1)


@dataclass
class Stories:
    """The ids of the stories a populated gallery holds."""

    cau_khi: int  # published, the reporter's name allowed, two photos, Long Xuyên, 09/2025
    hidden_name: int  # published, the reporter's name withheld, one photo, Phú Quốc, 08/2025
    pending: int  # waiting for review, with a photo
    rejected: int  # rejected


async def populate(storage: Storage) -> Stories:
    """File the stories, archive their photos, publish two."""
    person = await reporter(storage, REPORTER)
    stories = Stories(
        await storage.stories.file(a_story(
            "g1", ["g-1", "g-2"], reporter_id=person, title=CAU_KHI, show_name=True,
            description="Ông An tự bỏ tiền sửa cây cầu khỉ bắc qua kênh Xáng.\n"
                        "Hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày.")),
        await storage.stories.file(a_story(
            "g2", ["g-3"], reporter_id=person, title="Mô hình tổ tự quản đường làng",
            kind="model_practice", content="key_movements", commune_code=PHU_QUOC,
            event_date=datetime(2025, 8, 15).date(),
            description="Tổ tự quản giữ đường làng sạch đẹp, trồng hoa hai bên đường.")),
        await storage.stories.file(a_story("g3", ["g-4"], reporter_id=person,
                                           title="Chuyện chưa được duyệt")),
        await storage.stories.file(a_story("g4", reporter_id=person,
                                           title="Chuyện bị từ chối")),
    )
    await archive(storage, {f"g-{n}": photo(n) for n in range(1, 5)})
    await publish(storage, stories.hidden_name, "2025-09-04T03:00:00+00:00")
    await publish(storage, stories.cau_khi, "2025-09-05T03:00:00+00:00")
    await storage.db.write("UPDATE stories SET status = 'rejected' WHERE id = ?",
                           (stories.rejected,))
    return stories


async def archive(storage: Storage, files: dict[str, bytes]) -> None:
    """Run the archive worker until nothing is due."""
    worker = worker_for(storage, files, batch=8)
    while await worker.run_once(datetime.now(UTC) + timedelta(minutes=1)):
        pass


def gallery_settings(settings: Settings, url: str = GALLERY) -> Settings:
    """The test settings with the gallery's public address."""
    return settings.model_copy(update={"gallery_url": url})


def web_app(storage: Storage, settings: Settings,
            campaigns: Campaigns | None = None) -> web.Application:
    """The bot's web app with the gallery installed, as run_bot builds it (with the shipped
    campaign files unless `campaigns` is given)."""

    async def health() -> dict[str, object]:
        return {"storage": "ok", "channels": {}}

    registry = campaigns or load_library(None).campaigns
    return build_web_app(health, gallery=Gallery(storage, settings, registry).install)
