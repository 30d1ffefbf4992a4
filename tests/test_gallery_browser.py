"""The gallery in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven
by selenium, on a phone-sized window, with JavaScript turned off as on a cheap or careful phone.
A journalist searches "cau khi" without accents, opens the story, sees its photo; screenshots of
the list and the story page are taken; axe-core checks both pages.

Skipped, saying why, when Chromium or its driver is not installed (`.ci/run` installs them).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.storage import Storage
from tests.gallery_site import CAU_KHI, gallery_settings, populate, web_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Chromium and chromedriver are not installed"
           " (apt-get install chromium chromium-driver; .ci/run does it)",
)
# A page with the faults the gallery must not have, to show that axe-core does find them.
BAD_PAGE = ('<!doctype html><html lang="vi"><head><title>x</title></head><body><main><h1>x</h1>'
            '<p style="color:#aaaaaa;background-color:#ffffff">nhạt quá</p>'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
# WCAG 2 A and AA rules and axe's best practices.
AXE_OPTIONS = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice']}}"


def _chromium(profile: Path, javascript: bool) -> Any:
    """Headless Chromium with a fresh profile and no network of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and DRIVER is not None
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=412,915", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A phone-sized browser with JavaScript off, as the journalist's."""
    driver = _chromium(tmp_path / "profile", javascript=False)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def checker(tmp_path: Path) -> Iterator[Any]:
    """A browser with JavaScript on, for axe-core (the pages themselves carry no script)."""
    driver = _chromium(tmp_path / "checker", javascript=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def address(storage: Storage, settings: Settings) -> AsyncIterator[str]:
    """The gallery served on a real port of this machine."""
    await populate(storage)
    server = TestServer(web_app(storage, gallery_settings(settings)), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _loaded_width(driver: Any, element: Any) -> int:
    """The decoded width of an image as the browser holds it (0: it did not load)."""
    return int(element.get_property("naturalWidth") or 0)


def _axe(driver: Any, url: str) -> list[dict[str, Any]]:
    """axe-core's violations on a page (its script injected by WebDriver)."""
    from axe_selenium_python import Axe

    driver.get(url)
    axe = Axe(driver)
    axe.inject()
    found: list[dict[str, Any]] = axe.run(options=AXE_OPTIONS)["violations"]
    return found


def _journey(driver: Any, address: str, shots: Path) -> dict[str, Any]:
    """What a journalist does and sees, step by step (runs in a worker thread)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    seen: dict[str, Any] = {}
    driver.get(f"{address}/")
    seen["list_h1"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["list_titles"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".card h3")]
    seen["thumbs"] = [_loaded_width(driver, e)
                      for e in driver.find_elements(By.CSS_SELECTOR, ".card img")]
    driver.save_screenshot(str(shots / "list.png"))

    box = driver.find_element(By.ID, "q")
    box.send_keys("cau khi")
    box.send_keys(Keys.ENTER)
    seen["search_count"] = driver.find_element(By.CSS_SELECTOR, "h2.count").text
    seen["search_titles"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".card h3")]

    driver.find_element(By.LINK_TEXT, CAU_KHI).click()
    seen["story_h1"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["story_title"] = driver.title
    seen["photos"] = [(_loaded_width(driver, e), e.get_attribute("alt"))
                      for e in driver.find_elements(By.CSS_SELECTOR, "figure img")]
    seen["story_url"] = driver.current_url
    driver.save_screenshot(str(shots / "story.png"))
    return seen


async def test_a_journalist_finds_and_reads_a_story_in_a_real_browser_with_javascript_off(
    browser: Any, checker: Any, address: str, tmp_path: Path,
) -> None:
    seen = await asyncio.to_thread(_journey, browser, address, tmp_path)
    seen["list_axe"] = await asyncio.to_thread(_axe, checker, f"{address}/")
    bad = await asyncio.to_thread(_axe, checker, "data:text/html;charset=utf-8," + quote(BAD_PAGE))
    assert {"image-alt", "color-contrast"} <= {v["id"] for v in bad}, "axe-core checks nothing"
    seen["story_axe"] = await asyncio.to_thread(_axe, checker, seen["story_url"])

    assert seen["list_h1"] == ("Gương người tốt, việc tốt trong phong trào thi đua yêu nước"
                               " tỉnh An Giang")
    assert seen["list_titles"] == [CAU_KHI, "Mô hình tổ tự quản đường làng"]
    assert seen["thumbs"] == [240, 240], "a thumbnail did not load"
    assert seen["search_count"] == "1 câu chuyện chứa “cau khi”"
    assert seen["search_titles"] == [CAU_KHI]
    assert seen["story_h1"] == CAU_KHI
    assert seen["story_title"] == f"{CAU_KHI} — Gương Sáng An Giang"
    assert seen["photos"] == [(800, f"{CAU_KHI} — ảnh 1"), (800, f"{CAU_KHI} — ảnh 2")]
    for page in ("list_axe", "story_axe"):
        problems = [(v["id"], [n["target"] for n in v["nodes"]]) for v in seen[page]]
        assert problems == [], f"axe-core on the {page.split('_')[0]} page: {problems}"
    for shot in ("list.png", "story.png"):
        data = (tmp_path / shot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
