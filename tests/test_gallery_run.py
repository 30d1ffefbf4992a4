"""`python -m bot run` with GALLERY_URL set: the web server starts for the gallery, the archive
worker downloads a Zalo story's photo from its address in the background, and the published
story's page shows it; SIGTERM stops everything cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.storage import open_storage
from tests.archive_data import a_story, publish, reporter
from tests.fake_zalo import TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo
from tests.gallery_site import CAU_KHI, photo
from tests.ports import unused_port

PROJECT = Path(__file__).resolve().parent.parent




async def _until(check: object, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the running bot never got there")


async def test_run_serves_the_gallery_and_archives_a_zalo_photo_from_its_address(
    db_path: Path,
) -> None:
    images = web.Application()
    served: list[str] = []

    async def picture(request: web.Request) -> web.Response:
        served.append(request.path)
        return web.Response(body=photo(1), content_type="image/jpeg")

    images.router.add_get("/zalo-cdn/{name}", picture)
    async with TestServer(images, host="127.0.0.1") as cdn, FakeZalo() as zalo:
        storage = await open_storage(db_path)
        person = await reporter(storage)
        story_id = await storage.stories.file(a_story(
            "z1", [str(cdn.make_url("/zalo-cdn/a.jpg"))], reporter_id=person, channel="zalo",
            title=CAU_KHI))
        await publish(storage, story_id)
        await storage.close()

        port = unused_port()
        names = {name.upper() for name in Settings.model_fields}
        environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
        environ.update(DATABASE_PATH=str(db_path), ZALO_BOT_TOKEN=ZALO_TOKEN,
                       ZALO_API_URL=zalo.api_url, TELEGRAM_BOT_TOKEN="", HTTP_PORT=str(port),
                       GALLERY_URL="https://guongsang.example.vn", PYTHONIOENCODING="utf-8")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=PROJECT, env=environ,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        page = f"http://127.0.0.1:{port}/cau-chuyen/{story_id}"
        try:
            async with aiohttp.ClientSession() as http:

                async def photo_shown() -> bool:
                    try:
                        async with http.get(page) as response:
                            return response.status == 200 and "/anh/1/web.jpg" in \
                                await response.text()
                    except aiohttp.ClientError:
                        return False

                await _until(photo_shown)
                async with http.get(f"{page}/anh/1/web.jpg") as response:
                    assert response.status == 200 and response.content_type == "image/jpeg"
                    assert (await response.read())[:2] == b"\xff\xd8"
        finally:
            bot.send_signal(signal.SIGTERM)
            _, errors = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, errors.decode()
        assert served == ["/zalo-cdn/a.jpg"]
