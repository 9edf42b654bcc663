"""Foundation acceptance: a real Redis, a local feed server, the poller, a worker and a signed webhook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from rq import Queue, SimpleWorker

from monitor import keys
from monitor.config import Channel, Feed, WatchedPlace
from monitor.feedserver import FeedServer
from monitor.poller import state
from monitor.poller.poll import Poller
from tests.helpers import WebhookReceiver, rss

SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy0xMjM0NTY="


def _drain(rt) -> None:
    queues = [Queue(keys.QUEUE_ALERTS, connection=rt.r), Queue(keys.QUEUE_ITEMS, connection=rt.r)]
    while any(q.count for q in queues):
        SimpleWorker(queues, connection=rt.r).work(burst=True, logging_level="WARNING")


def _poll(rt) -> int:
    async def go() -> int:
        async with Poller(rt.r, rt.config.poller) as poller:
            return await poller.poll_all()
    return asyncio.run(go())


def _date(hours_ago: float) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago))


def test_capture_reaches_signed_webhook_once_and_anticipation_never(make_runtime):
    receiver = WebhookReceiver(SECRET)
    try:
        with FeedServer() as feeds:
            url = feeds.set("/feed.xml", rss([{
                "title": "Rebels poised to enter Saraqib", "link": "https://news.example/a1", "date": _date(5),
                "description": "Opposition fighters are poised to enter the town of Saraqib, commanders said."}]))
            rt = make_runtime(feeds=[Feed(url, "Example")], watch=[WatchedPlace(name="Saraqib", country="SY")],
                              channels=[Channel("hook", "webhook", {"url": receiver.url, "secret": SECRET})])
            state.sync_config(rt.r, rt.config.feeds)

            assert _poll(rt) == 1
            _drain(rt)
            assert receiver.received == [], "an anticipated entry must not alert"

            feeds.set("/feed.xml", rss([
                {"title": "Syrian army recaptures Saraqib from rebels", "link": "https://news.example/a2", "date": _date(1),
                 "description": "The Syrian army recaptured the town of Saraqib from rebel fighters on Monday."},
                {"title": "Rebels poised to enter Saraqib", "link": "https://news.example/a1", "date": _date(5),
                 "description": "Opposition fighters are poised to enter the town of Saraqib, commanders said."}]))
            _poll(rt)
            _drain(rt)
            assert len(receiver.received) == 1
            delivery = receiver.received[0]
            assert delivery["valid"], "the Standard Webhooks signature must verify"
            alert = delivery["body"]["data"]
            assert alert["place"]["name"] == "Saraqib" and alert["place"]["country"] == "SY"
            assert alert["status"] == "captured" and alert["to"]["id"] == "sy-government"
            assert alert["evidence"][0]["link"] == "https://news.example/a2"

            _poll(rt)  # the same feed again: nothing new, no second alert
            _drain(rt)
            assert len(receiver.received) == 1
    finally:
        receiver.close()


def test_one_job_per_batch_not_per_item(make_runtime):
    with FeedServer() as feeds:
        items = [{"title": f"Story {i}", "link": f"https://news.example/s{i}", "date": _date(i), "description": "Nothing."}
                 for i in range(25)]
        url = feeds.set("/feed.xml", rss(items))
        rt = make_runtime(feeds=[Feed(url)])
        state.sync_config(rt.r, rt.config.feeds)
        _poll(rt)
        queue = Queue(keys.QUEUE_ITEMS, connection=rt.r)
        assert queue.count == 1
        assert len(queue.jobs[0].args[0]) == 25
        assert queue.jobs[0].retries_left == 3  # enqueued with rq.Retry


def test_unreachable_feed_is_an_error_and_others_still_poll(make_runtime):
    with FeedServer() as feeds:
        good = feeds.set("/ok.xml", rss([{"title": "A", "link": "https://n.example/1", "date": _date(1)}]))
        rt = make_runtime(feeds=[Feed("http://127.0.0.1:9/never.xml"), Feed(good)])
        state.sync_config(rt.r, rt.config.feeds)
        _poll(rt)
        status = state.all_feeds(rt.r)
        assert status["http://127.0.0.1:9/never.xml"]["errors"] == 1
        assert "connection refused by 127.0.0.1:9" in status["http://127.0.0.1:9/never.xml"]["last_error"]
        assert status[good]["errors"] == 0 and status[good]["items_total"] == 1
