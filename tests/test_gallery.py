"""The public gallery over HTTP: published stories only, never a phone or a map pin, the
reporter's name only when allowed, 404 for anything else; filters, the search box, a page per
story with Open Graph tags, the Atom feed, and a list page light enough for a cheap phone."""

from __future__ import annotations

import itertools
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import ConfigError, Settings, load_settings
from bot.content import load_library
from bot.storage import Storage
from tests.archive_data import a_story, publish, reporter
from tests.gallery_site import (
    CAU_KHI,
    GALLERY,
    PHONE,
    PIN,
    REPORTER,
    Stories,
    archive,
    gallery_settings,
    photo,
    populate,
    web_app,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Site:
    http: TestClient  # type: ignore[type-arg]
    storage: Storage
    ids: Stories

    async def get(self, path: str, status: int = 200) -> str:
        response = await self.http.get(path)
        body = await response.text()
        assert response.status == status, (path, response.status, body[:300])
        return body


@pytest.fixture
async def site(storage: Storage, settings: Settings) -> AsyncIterator[Site]:
    ids = await populate(storage)
    async with TestClient(TestServer(web_app(storage, gallery_settings(settings)))) as http:
        yield Site(http, storage, ids)


class Page(HTMLParser):
    """What a reader, a crawler or a screen reader finds in a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.meta: dict[str, str] = {}
        self.labels: set[str] = set()
        self.fields: list[str] = []
        self.tags: set[str] = set()
        self.lang = ""
        self._heading: int | None = None
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag == "html":
            self.lang = found.get("lang", "")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = int(tag[1])
            self.headings.append((self._heading, ""))
        if tag == "img":
            self.images.append(found)
        if tag == "a":
            self.links.append(found.get("href", ""))
        if tag == "meta":
            key = found.get("property") or found.get("name")
            if key:
                self.meta[key] = found.get("content", "")
        if tag == "label":
            self.labels.add(found.get("for", ""))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.fields.append(found.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._heading is not None:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


def assert_accessible(page: Page) -> None:
    """Language set, headings in order from one h1, alt on every image, a label for every field,
    and no script: the page works with JavaScript off."""
    assert page.lang == "vi"
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1, page.headings
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"a heading skips a level: {page.headings}"
    for image in page.images:
        assert image.get("alt"), f"an image without alt text: {image}"
    assert set(page.fields) <= page.labels, (page.fields, page.labels)
    assert "script" not in page.tags


def assert_private(body: str) -> None:
    """Nothing that identifies or locates the reporter."""
    assert PHONE not in body and "912345678" not in body
    for part in (*PIN, "10.3759", "105.4185", "10,3759"):
        assert part not in body
    assert "geo:" not in body and "maps." not in body


async def test_the_list_shows_the_published_stories_newest_first_with_their_thumbnails(
    site: Site,
) -> None:
    page = Page(await site.get("/"))
    titles = [text for level, text in page.headings if level == 3]
    assert titles == [CAU_KHI, "Mô hình tổ tự quản đường làng"]
    assert "Chuyện chưa được duyệt" not in page.text and "bị từ chối" not in page.text
    assert [i["src"] for i in page.images] == [
        f"/cau-chuyen/{site.ids.cau_khi}/anh/1/thumb.webp",
        f"/cau-chuyen/{site.ids.hidden_name}/anh/1/thumb.webp"]
    assert [i["alt"] for i in page.images] == [CAU_KHI, "Mô hình tổ tự quản đường làng"]
    assert "2 câu chuyện" in page.text and "Phường Long Xuyên · 02/09/2025" in page.text
    assert_accessible(page)
    assert (await site.http.get("/healthz")).status == 200, "the gallery shadows /healthz"
    thumb = await site.http.get(page.images[0]["src"])
    assert thumb.status == 200 and thumb.content_type == "image/webp"
    assert len(await thumb.read()) > 500


async def test_a_story_has_its_page_with_photos_and_open_graph_tags_for_a_shared_link(
    site: Site,
) -> None:
    page = Page(await site.get(f"/cau-chuyen/{site.ids.cau_khi}"))
    assert page.headings[0] == (1, CAU_KHI)
    assert "Hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày." in page.text
    assert "Nguyễn Văn An — nông dân ấp Mỹ Thạnh" in page.text
    assert f"Người gửi: {REPORTER}" in page.text, "the reporter allowed their name"
    assert [i["alt"] for i in page.images] == [f"{CAU_KHI} — ảnh 1", f"{CAU_KHI} — ảnh 2"]
    link = f"{GALLERY}/cau-chuyen/{site.ids.cau_khi}"
    assert page.meta["og:title"] == CAU_KHI
    assert page.meta["og:url"] == link
    assert page.meta["og:type"] == "article"
    assert page.meta["og:image"] == f"{link}/anh/1/web.jpg"
    assert page.meta["og:description"].startswith("Ông An tự bỏ tiền sửa cây cầu khỉ")
    assert_accessible(page)
    for image in page.images:
        got = await site.http.get(image["src"])
        assert got.status == 200 and got.content_type == "image/jpeg"
        assert (await got.read())[:2] == b"\xff\xd8"

    other = Page(await site.get(f"/cau-chuyen/{site.ids.hidden_name}"))
    assert REPORTER not in other.text and "Người gửi" not in other.text


async def test_a_story_not_published_answers_404_and_leaks_nothing(site: Site) -> None:
    for story_id in (site.ids.pending, site.ids.rejected, 999):
        body = await site.get(f"/cau-chuyen/{story_id}", status=404)
        assert "Không tìm thấy trang" in body
        assert "chưa được duyệt" not in body and "bị từ chối" not in body
        await site.get(f"/cau-chuyen/{story_id}/anh/1/web.jpg", status=404)
        await site.get(f"/cau-chuyen/{story_id}/anh/1/thumb.webp", status=404)
    for path in ("/cau-chuyen/abc", "/cau-chuyen/1/anh/1/full.jpg", "/../bot/config.py",
                 "/cau-chuyen/1/anh/9/web.jpg", "/admin"):
        await site.get(path, status=404)


async def test_unpublishing_or_erasing_a_story_takes_its_page_down_at_once(site: Site) -> None:
    story = f"/cau-chuyen/{site.ids.cau_khi}"
    await site.get(story)
    await site.storage.db.write("UPDATE stories SET status = 'approved' WHERE id = ?",
                                (site.ids.cau_khi,))
    await site.get(story, status=404)
    await site.get(f"{story}/anh/1/web.jpg", status=404)
    assert CAU_KHI not in await site.get("/")
    assert CAU_KHI not in await site.get("/?q=cau+khi")
    assert CAU_KHI not in await site.get("/feed.atom")

    await site.storage.db.write("DELETE FROM stories WHERE id = ?", (site.ids.hidden_name,))
    await site.get(f"/cau-chuyen/{site.ids.hidden_name}", status=404)
    assert "0 câu chuyện" in await site.get("/")


async def test_erasing_the_reporter_keeps_the_published_story_but_not_their_name(
    site: Site,
) -> None:
    person = await site.storage.people.find("telegram", "4242")
    assert person is not None
    await site.storage.erase_person(person.id)
    page = Page(await site.get(f"/cau-chuyen/{site.ids.cau_khi}"))
    assert REPORTER not in page.text and "Người gửi" not in page.text
    assert len(page.images) == 2, "a published story keeps its photos"
    await site.get(f"/cau-chuyen/{site.ids.pending}", status=404)


async def test_no_page_or_feed_ever_shows_a_phone_number_or_a_map_pin(site: Site) -> None:
    paths = ["/", "/?q=cau+khi", "/?q=ong+an", "/?xa=30307", "/feed.atom",
             f"/cau-chuyen/{site.ids.cau_khi}", f"/cau-chuyen/{site.ids.hidden_name}",
             f"/cau-chuyen/{site.ids.pending}", "/nothing-here"]
    for path in paths:
        response = await site.http.get(path)
        body = await response.text()
        assert_private(body)
    found = Page(await site.get("/?q=0912345678"))  # the phone is never indexed either
    assert "0 câu chuyện chứa “0912345678”" in found.text and found.images == []


async def test_the_search_box_finds_cau_khi_typed_without_accents(site: Site) -> None:
    page = Page(await site.get("/?q=cau+khi"))
    assert [text for level, text in page.headings if level == 3] == [CAU_KHI]
    assert "1 câu chuyện chứa “cau khi”" in page.text
    assert 'value="cau khi"' in await site.get("/?q=cau+khi")
    for typed in ('"', "NEAR", "cầu OR khỉ", "*", "-", ":", "%22cau"):
        await site.get(f"/?q={typed}")


async def test_filters_narrow_the_list_and_unknown_values_are_ignored(site: Site) -> None:
    def titles(html: str) -> list[str]:
        return [text for level, text in Page(html).headings if level == 3]

    both = [CAU_KHI, "Mô hình tổ tự quản đường làng"]
    assert titles(await site.get("/?xa=31078")) == ["Mô hình tổ tự quản đường làng"]
    assert titles(await site.get("/?loai=good_deed")) == [CAU_KHI]
    assert titles(await site.get("/?noi_dung=key_movements")) == ["Mô hình tổ tự quản đường làng"]
    assert titles(await site.get("/?thang=2025-09")) == [CAU_KHI]
    assert titles(await site.get("/?phong_trao=an-giang-2025")) == both
    assert titles(await site.get("/?phong_trao=thuong-xuyen")) == []  # a campaign, no story
    assert titles(await site.get("/?phong_trao=other")) == both  # no campaign has that key
    assert titles(await site.get("/?xa=30307&loai=model_practice")) == []
    for junk in ("xa=abc", "xa=99999999", "loai=%3Cscript%3E", "thang=2025-13", "trang=-1",
                 "trang=99999999999", "noi_dung=%27", "noi_dung=2", "q=" + "a" * 5000):
        assert titles(await site.get(f"/?{junk}")) in (both, []), junk
    page = await site.get("/?xa=30307")
    assert '<option value="30307" selected>Phường Long Xuyên</option>' in page
    assert '<option value="2025-09">Tháng 09/2025</option>' in page


async def test_the_atom_feed_lists_published_stories_for_the_press(site: Site) -> None:
    response = await site.http.get("/feed.atom")
    assert response.status == 200 and response.content_type == "application/atom+xml"
    feed = ET.fromstring(await response.text())
    assert feed.findtext(f"{ATOM}title") == "Gương Sáng An Giang"
    assert feed.findtext(f"{ATOM}updated") == "2025-09-05T03:00:00+00:00"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        CAU_KHI, "Mô hình tổ tự quản đường làng"]
    first = entries[0]
    link = f"{GALLERY}/cau-chuyen/{site.ids.cau_khi}"
    assert first.findtext(f"{ATOM}id") == link
    assert [(e.get("rel"), e.get("href")) for e in first.findall(f"{ATOM}link")] == [
        ("alternate", link), ("enclosure", f"{link}/anh/1/web.jpg"),
        ("enclosure", f"{link}/anh/2/web.jpg")]
    assert first.findtext(f"{ATOM}published") == "2025-09-05T03:00:00+00:00"
    content = first.findtext(f"{ATOM}content") or ""
    assert f"Người gửi: {REPORTER}" in content
    assert REPORTER not in (entries[1].findtext(f"{ATOM}content") or "")
    page = Page(await site.get("/"))
    assert "/feed.atom" in page.links


async def test_a_page_of_twenty_stories_with_thumbnails_weighs_under_300_kb(
    storage: Storage, settings: Settings,
) -> None:
    person = await reporter(storage)
    files = {f"w-{n}": photo(10 + n % 6) for n in range(25)}
    for n in range(25):
        story_id = await storage.stories.file(a_story(
            f"w{n}", [f"w-{n}"], reporter_id=person,
            title=f"Gương sáng số {n + 1}: sửa cầu, làm đường, giúp người nghèo ở ấp",
            description="Ông An tự bỏ tiền sửa cây cầu khỉ bắc qua kênh Xáng, giúp hơn 50 hộ"
                        " dân và học sinh đi lại an toàn mỗi ngày. " * 3))
        await publish(storage, story_id, f"2025-09-{n + 1:02d}T03:00:00+00:00")
    await archive(storage, files)
    async with TestClient(TestServer(web_app(storage, gallery_settings(settings)))) as http:
        response = await http.get("/")
        html = await response.read()
        page = Page(html.decode())
        assert len(page.images) == 20
        stylesheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
        weight = len(html)
        for src in [i["src"] for i in page.images] + [s.decode() for s in stylesheets]:
            got = await http.get(src)
            assert got.status == 200
            weight += len(await got.read())
    assert weight < 300_000, f"the first page weighs {weight} bytes"


async def test_a_gallery_under_a_path_links_within_that_path(
    storage: Storage, settings: Settings,
) -> None:
    ids = await populate(storage)
    app = web_app(storage, gallery_settings(settings, "https://angiang.gov.vn/guong-sang/"))
    async with TestClient(TestServer(app)) as http:
        response = await http.get("/guong-sang/")
        page = Page(await response.text())
        assert response.status == 200
        assert f"/guong-sang/cau-chuyen/{ids.cau_khi}" in page.links
        story = await http.get(f"/guong-sang/cau-chuyen/{ids.cau_khi}")
        meta = Page(await story.text()).meta
        assert meta["og:url"] == f"https://angiang.gov.vn/guong-sang/cau-chuyen/{ids.cau_khi}"
        assert (await http.get("/healthz")).status == 200
        assert (await http.get(f"/cau-chuyen/{ids.cau_khi}")).status == 404


@pytest.mark.parametrize("value", ["guongsang.example.vn", "ftp://example.vn", "https://",
                                   "https://example.vn/?a=1"])
def test_a_bad_gallery_address_stops_the_start_with_one_line(value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None, gallery_url=value)
    assert str(error.value).startswith("Invalid setting GALLERY_URL:")
    assert "\n" not in str(error.value)


def test_an_empty_gallery_address_means_no_gallery() -> None:
    assert load_settings(_env_file=None, gallery_url=" ").gallery_url is None
    assert load_settings(_env_file=None,
                         gallery_url="https://x.vn/").gallery_url == "https://x.vn"


async def test_markup_typed_by_a_reporter_is_shown_as_text_in_pages_and_the_feed(
    storage: Storage, settings: Settings,
) -> None:
    person = await reporter(storage)
    title = '<script>alert("x")</script> & <b>Cầu</b> "khỉ"'
    story_id = await storage.stories.file(a_story(
        "x1", reporter_id=person, title=title, honoree_name='<img src=x onerror="y">'))
    await publish(storage, story_id)
    async with TestClient(TestServer(web_app(storage, gallery_settings(settings)))) as http:
        for path in ("/", f"/cau-chuyen/{story_id}", "/?q=cau+khi"):
            body = await (await http.get(path)).text()
            page = Page(body)
            assert "script" not in page.tags and "b" not in page.tags, path
            assert page.images == [], path
            assert title in page.text, path
            assert "&lt;script&gt;" in body
        feed = ET.fromstring(await (await http.get("/feed.atom")).text())
        assert feed.findtext(f"{ATOM}entry/{ATOM}title") == title


async def test_a_story_of_an_operators_campaign_reads_in_that_campaigns_words(
    storage: Storage, settings: Settings, tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    (content / "campaigns").mkdir(parents=True)
    example = Path(__file__).resolve().parent.parent / "deploy" / "content-example"
    shutil.copy(example / "campaigns" / "an-giang-2026.toml", content / "campaigns")
    campaigns = load_library(content).campaigns
    person = await reporter(storage)
    digital = await storage.stories.file(a_story(
        "d1", reporter_id=person, title="Tổ công nghệ số ấp Mỹ Thạnh", campaign="an-giang-2026",
        content="digital_services", movement="community_tech_teams"))
    unchosen = await storage.stories.file(a_story(
        "d2", reporter_id=person, title="Dạy bơi miễn phí", campaign="thuong-xuyen",
        content=None))
    older = await storage.stories.file(a_story("d3", reporter_id=person, title=CAU_KHI))
    for story_id in (older, unchosen, digital):
        await publish(storage, story_id)
    app = web_app(storage, gallery_settings(settings), campaigns)
    async with TestClient(TestServer(app)) as http:
        async def titles(query: str) -> list[str]:
            html = await (await http.get(f"/{query}")).text()
            return [text for level, text in Page(html).headings if level == 3]

        page = Page(await (await http.get(f"/cau-chuyen/{digital}")).text())
        assert "Đưa dịch vụ công trực tuyến đến với người dân" in page.text
        assert "Gương người tốt, việc tốt" in page.text
        page = Page(await (await http.get(f"/cau-chuyen/{unchosen}")).text())
        assert "Chưa chọn (cán bộ thẩm định sẽ chọn)" in page.text
        assert await titles("?phong_trao=an-giang-2026") == ["Tổ công nghệ số ấp Mỹ Thạnh"]
        assert await titles("?noi_dung=digital_services") == ["Tổ công nghệ số ấp Mỹ Thạnh"]
        assert await titles("?noi_dung=policy_law") == [CAU_KHI]
        listed = await (await http.get("/")).text()
        assert ('<option value="digital_services">Đưa dịch vụ công trực tuyến đến với người dân'
                '</option>') in listed
        assert ('<option value="an-giang-2026">Phong trào thi đua &#34;Chuyển đổi số vì Nhân'
                ' dân&#34; năm 2026</option>') in listed
