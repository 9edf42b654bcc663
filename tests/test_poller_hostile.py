"""Issue acceptance: every kind of hostile or broken server leaves the poller running and the other feeds polled."""

from __future__ import annotations

import asyncio
import time

import pytest
from rq import Queue

from monitor import keys
from monitor.config import PollerSettings
from monitor.poller import state
from monitor.poller.poll import Poller
from tests.hostile import HostileServer

SETTINGS = PollerSettings(allow_private=True, timeout=2.0, max_bytes=1_000_000, min_interval=60, max_interval=3600)


@pytest.fixture(scope="module")
def server():
    s = HostileServer()
    yield s
    s.close()


def poll(r, urls: list[str]) -> dict[str, dict]:
    for url in urls:
        state.add(r, url)

    async def go() -> None:
        async with Poller(r, SETTINGS) as poller:
            await poller.poll_all()

    started = time.monotonic()
    asyncio.run(go())
    assert time.monotonic() - started < 10, "one bad feed must not stall the cycle"
    return state.all_feeds(r)


def items_enqueued(r) -> list[dict]:
    return [item for job in Queue(keys.QUEUE_ITEMS, connection=r).jobs for item in job.args[0]]


CASES = [
    ("/429", "HTTP 429"),
    ("/500", "HTTP 500"),
    ("/timeout", "timed out after 2 s"),
    ("/drip", "timed out after 2 s"),
    ("/big", "over the 1000000-byte limit"),
    ("/bomb", "over the 1000000-byte limit (after decompression)"),
    ("/html", "not a readable feed"),
    ("/loop-a", "redirect loop"),
]


@pytest.mark.parametrize("path,expected", CASES, ids=[c[0].strip("/") for c in CASES])
def test_bad_feed_is_an_error_and_good_feed_still_polled(r, server, path, expected):
    feeds = poll(r, [server.url(path), server.url("/ok")])
    bad = feeds[server.url(path)]
    assert bad["errors"] == 1 and expected in bad["last_error"], bad["last_error"]
    assert feeds[server.url("/ok")]["errors"] == 0
    assert len(items_enqueued(r)) == 2  # the good feed's items went through
    assert bad["next_poll"] > time.time() + SETTINGS.min_interval  # backed off


def test_429_waits_at_least_retry_after(r, server):
    feeds = poll(r, [server.url("/429")])
    assert feeds[server.url("/429")]["next_poll"] >= time.time() + 3600 * 0.89


def test_backoff_grows_exponentially_and_caps_at_a_day(r, server):
    url = server.url("/500")
    waits = []
    for _ in range(12):
        feeds = poll(r, [url])
        waits.append(feeds[url]["next_poll"] - feeds[url]["last_poll"])
    assert waits[1] > waits[0] * 1.5 and waits[2] > waits[1] * 1.5
    assert max(waits) <= 86400 * 1.1


def test_304_not_modified_uses_etag_and_adds_nothing(r, server):
    url = server.url("/etag")
    poll(r, [url])
    assert len(items_enqueued(r)) == 2
    feeds = poll(r, [url])
    assert feeds[url]["last_status"] == 304 and feeds[url]["errors"] == 0
    assert len(Queue(keys.QUEUE_ITEMS, connection=r).jobs) == 1  # nothing new enqueued


def test_invalid_xml_is_read_leniently_or_recorded(r, server):
    feeds = poll(r, [server.url("/invalid"), server.url("/ok")])
    bad = feeds[server.url("/invalid")]
    assert (bad["errors"] == 1 and "not a readable feed" in bad["last_error"]) or "malformed" in bad["last_warning"]
    assert feeds[server.url("/ok")]["errors"] == 0


def test_billion_laughs_is_refused_quickly(r, server):
    started = time.monotonic()
    feeds = poll(r, [server.url("/laughs"), server.url("/ok")])
    assert time.monotonic() - started < 5
    laughs = feeds[server.url("/laughs")]
    assert laughs["errors"] == 1 and "entity expansion" in laughs["last_error"]
    assert feeds[server.url("/ok")]["errors"] == 0


def test_permanent_redirect_updates_the_stored_url(r, server):
    feeds = poll(r, [server.url("/moved")])
    assert server.url("/moved") not in feeds
    assert feeds[server.url("/ok2")]["moved_from"] == server.url("/moved")


def test_wrong_declared_encoding_still_parses(r, server):
    feeds = poll(r, [server.url("/wrongenc")])
    assert feeds[server.url("/wrongenc")]["errors"] == 0
    titles = [i["title"] for i in items_enqueued(r)]
    assert titles == ["Forces entered Sanaá"]


def test_private_addresses_refused_unless_allowed(r, server):
    for url in [server.url("/ok")]:
        state.add(r, url)

    async def go() -> None:
        async with Poller(r, PollerSettings(timeout=2)) as poller:
            await poller.poll_all()

    asyncio.run(go())
    feed = state.get(r, server.url("/ok"))
    assert "private/loopback" in feed["last_error"]


def test_feed_down_notice_after_n_errors_reaches_the_channels(make_runtime, server, tmp_path):
    from rq import SimpleWorker

    from monitor.config import Channel
    rt = make_runtime(channels=[Channel("log", "file", {"path": str(tmp_path / "n.jsonl")})])
    url = server.url("/500")
    state.add(rt.r, url)
    settings = PollerSettings(allow_private=True, timeout=2, alert_after_errors=2)

    async def go() -> None:
        async with Poller(rt.r, settings) as poller:
            await poller.poll_all()

    for _ in range(3):
        asyncio.run(go())
    queue = Queue(keys.QUEUE_ALERTS, connection=rt.r)
    SimpleWorker([queue], connection=rt.r).work(burst=True, logging_level="WARNING")
    SimpleWorker([queue], connection=rt.r).work(burst=True, logging_level="WARNING")
    lines = (tmp_path / "n.jsonl").read_text().splitlines()
    assert len(lines) == 1  # at the second error, not again at the third
    notice = __import__("json").loads(lines[0])
    assert notice["status"] == "feed_down" and "HTTP 500" in notice["evidence"][0]["text"]
