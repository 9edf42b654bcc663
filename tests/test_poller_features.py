"""Poller features against real local servers: formats, dedupe, leases, publisher intervals, OPML, WebSub and
full-article fetching."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import urllib.parse

import httpx
import pytest
import uvicorn
from rq import Queue

from monitor import keys, runtime
from monitor.api import create_app
from monitor.config import Config, PollerSettings
from monitor.feedserver import FeedServer
from monitor.opml import OPMLError, parse, render
from monitor.poller import parser, state
from monitor.poller.poll import LEASE_SECONDS, Poller, ingest, publisher_interval
from monitor.poller.websub import WebSub
from tests.helpers import PostRecorder, rss

SETTINGS = PollerSettings(allow_private=True, timeout=3)

RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title><link>http://o/</link>
<item><title>Army retakes Kidal</title><link>http://o/1</link><description>Text</description></item></channel></rss>"""
RSS10 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel rdf:about="http://r/"><title>RDF</title>
 <sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel>
 <item rdf:about="http://r/1"><title>One</title><link>http://r/1</link></item></rdf:RDF>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2024-01-01T00:00:00Z</updated>
<link rel="hub" href="http://hub.example/"/><link rel="self" href="http://a.example/feed"/>
<entry><title>Atom one</title><id>urn:a:1</id><link href="http://a/1"/><updated>2024-01-01T00:00:00Z</updated>
<content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"""
JSONFEED = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
    {"id": "j1", "url": "https://j.example/1", "title": "Json one", "content_text": "Body",
     "date_published": "2024-01-01T00:00:00Z"}]}).encode()


@pytest.mark.parametrize("body,title", [(RSS091, "Army retakes Kidal"), (RSS10, "One"), (ATOM, "Atom one"),
                                        (JSONFEED, "Json one")])
def test_formats(body, title):
    info, items = parser.parse(body, "http://x/feed")
    assert [i["title"] for i in items] == [title]
    assert items[0]["id"] and items[0]["source"]


def test_publisher_intervals_are_read():
    info, _ = parser.parse(RSS10, "http://x/")
    assert publisher_interval(info) == 43200
    info, _ = parser.parse(rss([]).replace("<channel>", "<channel><ttl>90</ttl>").encode(), "http://x/")
    assert publisher_interval(info) == 5400
    info, _ = parser.parse(ATOM, "http://x/")
    assert info["hubs"] == ["http://hub.example/"] and info["self"] == "http://a.example/feed"


def _items(*specs: tuple) -> list[dict]:
    return [parser._item(guid, link, title, "", "2024-01-01", "http://f/", "F") for guid, link, title in specs]


def test_dedupe_guid_change_guid_reuse_and_cross_feed(r):
    assert ingest(r, _items(("g1", "https://n.example/a", "A")), "poll") == 1
    assert ingest(r, _items(("g1-changed", "https://n.example/a", "A")), "poll") == 0  # new GUID, same story
    assert ingest(r, _items(("g1", "https://n.example/b", "B")), "poll") == 1  # GUID reused for another story
    assert ingest(r, _items((None, "https://www.n.example/a/?utm_source=x", "A again")), "poll") == 0  # other feed
    assert ingest(r, _items((None, None, "No link"), (None, None, "No link")), "poll") == 1  # title+date, in-batch


def test_two_pollers_share_feeds_through_leases(r):
    with FeedServer() as feeds:
        date = "Mon, 04 Mar 2024 10:00:00 GMT"
        urls = [feeds.set(f"/f{i}.xml", rss([{"title": f"T{i}", "link": f"https://n.example/{i}", "date": date}]))
                for i in range(20)]
        for url in urls:
            state.add(r, url)

        async def both() -> None:
            async with Poller(r, SETTINGS) as a, Poller(r, SETTINGS) as b:
                await asyncio.gather(a.poll_due(), b.poll_due())

        asyncio.run(both())
        assert sum(feeds.hits.values()) == 20  # every feed polled exactly once
        assert len([i for j in Queue(keys.QUEUE_ITEMS, connection=r).jobs for i in j.args[0]]) == 20


def test_a_dead_pollers_lease_expires_within_a_minute(r):
    r.set(keys.k("lease", "http://x/feed"), "dead-poller", ex=LEASE_SECONDS)
    assert LEASE_SECONDS <= 60 and 0 < r.ttl(keys.k("lease", "http://x/feed")) <= 60


def test_opml_round_trip_and_hostile_opml():
    feeds = [{"url": "https://a.example/rss", "name": "A & B"}, {"url": "https://b.example/atom", "name": ""}]
    assert parse(render(feeds).encode()) == [{"url": "https://a.example/rss", "name": "A & B"},
                                             {"url": "https://b.example/atom", "name": "https://b.example/atom"}]
    with pytest.raises(OPMLError, match="entities"):
        parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><opml><body/></opml>')
    with pytest.raises(OPMLError, match="not valid OPML"):
        parse(b"<opml><body>")


class Hub(PostRecorder):
    """A small WebSub hub on 127.0.0.1 (a stand-in for a public hub, which cannot be reached from here): it records
    subscription requests; the test then plays the hub's intent check and signed pushes against our callback."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        super().__init__(status=202)

    def record(self, headers: dict, body: bytes) -> None:
        self.requests.append(dict(urllib.parse.parse_qsl(body.decode())))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def test_websub_subscribe_verify_push_and_renew(r, redis_url):
    hub = Hub()
    port_holder = {}
    rt = runtime.Runtime(Config(poller=SETTINGS), redis_url)
    server = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port_holder["port"] = server.servers[0].sockets[0].getsockname()[1]
    api = f"http://127.0.0.1:{port_holder['port']}"
    try:
        ws = WebSub(r, api, allow_private=True)
        info = {"hubs": [hub.url], "self": "http://a.example/feed"}
        asyncio.run(ws.ensure("http://a.example/feed", info))
        form = hub.requests[-1]
        assert form["hub.mode"] == "subscribe" and form["hub.topic"] == "http://a.example/feed"
        callback, secret = form["hub.callback"], form["hub.secret"]

        bad = httpx.get(callback, params={"hub.mode": "subscribe", "hub.topic": "http://evil/", "hub.challenge": "x"})
        assert bad.status_code == 404  # intent for a topic we never asked for is refused
        ok = httpx.get(callback, params={"hub.mode": "subscribe", "hub.topic": "http://a.example/feed",
                                         "hub.challenge": "c123", "hub.lease_seconds": "120"})
        assert ok.status_code == 200 and ok.text == "c123"

        body = ATOM
        forged = httpx.post(callback, content=body, headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 202 and "ignored" in forged.text
        assert Queue(keys.QUEUE_ITEMS, connection=r).count == 0
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        pushed = httpx.post(callback, content=body, headers={"X-Hub-Signature": signature})
        assert pushed.status_code == 202 and "accepted 1" in pushed.text
        again = httpx.post(callback, content=body, headers={"X-Hub-Signature": signature})
        assert "accepted 0" in again.text  # a replayed push is deduped like polled content
        assert Queue(keys.QUEUE_ITEMS, connection=r).jobs[0].args[0][0]["via"] == "websub"

        asyncio.run(ws.renew_due())  # the 120 s lease is inside the renewal window
        assert len(hub.requests) == 2 and hub.requests[-1]["hub.mode"] == "subscribe"
    finally:
        server.should_exit = True
        hub.httpd.shutdown()


def test_full_article_fetch_extracts_caches_and_guards(r, tmp_path):
    from workers.article import article_text

    page = ("<html><head><title>Story</title></head><body><nav>Menu Home Sport</nav><article><h1>Army retakes Kidal</h1>"
            + "<p>The Malian army retook the northern town of Kidal on Tuesday after a week of fighting with rebels, "
              "officials said. Residents described heavy gunfire in the town centre overnight.</p>" * 3
            + "</article><footer>Copyright</footer></body></html>")
    with FeedServer() as site:
        url = site.set("/story", page, "text/html")
        text = article_text(r, url, SETTINGS)
        assert "Malian army retook the northern town of Kidal" in text and "Copyright" not in text
        assert article_text(r, url, SETTINGS) == text and site.hits["/story"] == 1  # cached by URL
        blocked = article_text(r, url + "?again", PollerSettings(timeout=2))  # default: no private addresses
        assert blocked is None and site.hits["/story"] == 1
