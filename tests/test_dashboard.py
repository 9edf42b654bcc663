"""The dashboard in a real browser: Playwright drives Debian's Chromium (headless) against the app on 127.0.0.1.

Screenshots go to build/screenshots (PLACEWATCH_SCREENSHOTS overrides). Without a Chromium binary the tests skip,
unless PLACEWATCH_REQUIRE_BROWSER=1 (set by `make test`), where a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker

from monitor import keys
from monitor.api import serve_in_thread
from monitor.config import Feed, WatchedPlace
from monitor.feedserver import FeedServer
from monitor.poller import state
from monitor.poller.poll import Poller
from tests.helpers import rss

CHROMIUM = os.environ.get("PLACEWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("PLACEWATCH_SCREENSHOTS", Path(__file__).parent.parent / "build" / "screenshots"))
TOKEN = "dashboard-test-token"
# The flags keep headless Chromium from calling home (this machine's network is closed) and let it run as root.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps"]

if not Path(CHROMIUM).exists():
    if os.environ.get("PLACEWATCH_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's chromium package (make test does)")
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _date(hours_ago: float) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pipeline(rt) -> None:
    """One poll of every due feed, then workers until both queues are empty: the real path an alert takes."""
    async def poll() -> None:
        async with Poller(rt.r, rt.config.poller) as poller:
            await poller.poll_all()
    # Playwright's sync API owns this thread's event loop, so the poller gets a thread of its own.
    poller = threading.Thread(target=asyncio.run, args=(poll(),))
    poller.start()
    poller.join(60)
    queues = [Queue(keys.QUEUE_ITEMS, connection=rt.r), Queue(keys.QUEUE_ALERTS, connection=rt.r)]
    while any(q.count for q in queues):
        SimpleWorker(queues, connection=rt.r).work(burst=True, logging_level="WARNING")


@pytest.fixture()
def dashboard(make_runtime):
    """The API and dashboard on a free port, a feed server with one report, and a browser page watching errors."""
    with FeedServer() as feeds:
        feed_url = feeds.set("/feed.xml", rss([
            {"title": "JNIM fighters seized Kidal from the Malian army", "link": "https://one.example/k1",
             "date": _date(30), "description": "JNIM fighters seized the town of Kidal from the Malian army."}]))
        broken_url = feeds.base + "/missing.xml"
        rt = make_runtime(feeds=[Feed(feed_url, "Sahel wire"), Feed(broken_url, "Broken feed")], api_token=TOKEN,
                          watch=[WatchedPlace(name="Kidal", country="ML"), WatchedPlace(name="Goma", country="CD")])
        state.sync_config(rt.r, rt.config.feeds)
        _pipeline(rt)
        port = _free_port()
        server = serve_in_thread(rt, "127.0.0.1", port)
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda req: problems.append(f"outside request: {req.url}")
                    if not req.url.startswith((f"http://127.0.0.1:{port}/", "data:")) else None)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("body[data-ready=true]")
            yield {"page": page, "rt": rt, "feeds": feeds, "feed_url": feed_url, "problems": problems, "port": port}
            browser.close()
        server.should_exit = True


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_map_page_loads_with_no_console_errors_and_no_outside_requests(dashboard):
    page = dashboard["page"]
    page.wait_for_selector("svg.map .mark")
    marks = page.locator("svg.map .mark")
    assert marks.count() == 2  # Kidal (reported) and Goma (watched, no report yet)
    kidal = page.locator("svg.map .mark", has_text="Kidal")
    assert kidal.locator("circle").get_attribute("fill") != page.locator("svg.map .mark", has_text="Goma").locator(
        "circle").get_attribute("fill"), "a held place and a place with no holder must differ in colour"
    assert page.locator("svg.map .land path").count() > 200  # Natural Earth country shapes
    assert "JNIM" in page.locator(".legend").inner_text()
    assert "JNIM" in page.locator("table.places").inner_text()
    page.wait_for_selector("#live-status.on")
    _shot(page, "map")
    assert dashboard["problems"] == []


def test_alert_pushed_through_the_pipeline_appears_live_without_reload(dashboard):
    page, rt, feeds = dashboard["page"], dashboard["rt"], dashboard["feeds"]
    page.wait_for_selector("#live-status.on")
    page.evaluate("window.__sameDocument = true")
    before = page.locator("#alerts li").count()
    feeds.set("/feed.xml", rss([
        {"title": "Malian army retakes Kidal from JNIM", "link": "https://two.example/k2", "date": _date(0.2),
         "description": "The Malian army retook Kidal from JNIM fighters this morning, officials said."}]))
    _pipeline(rt)
    fresh = page.locator("#alerts li.fresh", has_text="Kidal")
    fresh.first.wait_for(timeout=15_000)
    assert page.locator("#alerts li").count() > before
    assert "Malian army" in fresh.first.inner_text()
    assert page.evaluate("window.__sameDocument") is True, "the alert must arrive without a reload"
    # The map follows: Kidal's dot now carries the new holder.
    sync_api.expect(page.locator("svg.map .mark", has_text="Kidal").locator("title")).to_contain_text("Malian army")
    _shot(page, "live-alert")
    assert dashboard["problems"] == []


def test_adding_a_watched_place_with_autocomplete(dashboard):
    page = dashboard["page"]
    page.click("#token-button")
    page.fill("#token-input", TOKEN)
    page.click("#token-save")
    page.click("a[data-nav=watch]")
    page.fill("#watch-place", "Pokrov")
    option = page.locator("#suggestions li", has_text="Pokrovsk").first
    option.wait_for()
    assert "Ukraine" in option.inner_text()
    option.click()
    assert page.input_value("#watch-place") == "Pokrovsk, UA"
    page.fill("#watch-aliases", "Krasnoarmiisk")
    _shot(page, "watch-form")
    page.click("#watch-form button[type=submit]")
    page.wait_for_selector("#watch-message .ok")
    assert "Watching Pokrovsk, UA" in page.inner_text("#watch-message")
    page.wait_for_selector("#watch-list li:has-text('Pokrovsk, UA')")
    watched = {w.label: w for w in dashboard["rt"].watchlist.all()}
    assert "Pokrovsk, UA" in watched and "krasnoarmiisk" in watched["Pokrovsk, UA"].names
    page.click("a[data-nav=map]")
    page.wait_for_selector("svg.map .mark:has-text('Pokrovsk')")
    _shot(page, "watch-added")
    assert dashboard["problems"] == []


def test_place_timeline_and_feed_health_pages(dashboard):
    page = dashboard["page"]
    page.click("svg.map .mark:has-text('Kidal')")
    page.wait_for_selector(".period")
    text = page.inner_text("main")
    assert "Held by" in text and "JNIM" in text and "seized Kidal from the Malian army" in text
    assert page.locator(".period a[href='https://one.example/k1']").count() == 1
    _shot(page, "place")
    page.click("a[data-nav=feeds]")
    page.wait_for_selector("table.feeds")
    rows = {row.locator("td").nth(1).inner_text().split("\n")[0]: row for row in page.locator("table.feeds tbody tr").all()}
    assert "failing" in rows["Broken feed"].inner_text() and "404" in rows["Broken feed"].inner_text()
    assert "ok" in rows["Sahel wire"].inner_text()
    _shot(page, "feeds")
    assert dashboard["problems"] == []


PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2a5d1f30000000049454e44ae426082")


def test_optional_tile_server_draws_tiles_under_the_shapes(make_runtime):
    """A tile server configured in [api] tile_url (a local one here) is the only other origin the page may use."""
    from tests.helpers import TileServer

    with TileServer(PNG_1PX) as tiles:
        rt = make_runtime(watch=[WatchedPlace(name="Kidal", country="ML")], tile_url=tiles.base + "/{z}/{x}/{y}.png")
        port = _free_port()
        server = serve_in_thread(rt, "127.0.0.1", port)
        while not server.started:
            time.sleep(0.05)
        try:
            with sync_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("svg.map g.tiles image")
                page.wait_for_timeout(500)
                _shot(page, "tiles")
                browser.close()
        finally:
            server.should_exit = True
        assert errors == []
        assert tiles.requested and all(path.endswith(".png") and path.count("/") == 3 for path in tiles.requested)
