"""The polling loop: due feeds -> fetch -> parse -> dedupe -> one RQ job per batch of new items."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections import defaultdict
from urllib.parse import urlsplit

import redis
from rq import Queue, Retry

from monitor import keys, logs
from monitor.config import PollerSettings
from monitor.poller import fetcher, parser, state

log = logs.get("placewatch.poller")
SEEN = keys.k("seen")
STATS = keys.k("stats")
BATCH_JOB = "workers.jobs.process_batch"
LEASE_SECONDS = 60


def enqueue_batch(r: redis.Redis, items: list[dict]) -> str:
    """One job for the whole batch: retried with backoff, its result not kept."""
    job = Queue(keys.QUEUE_ITEMS, connection=r).enqueue(
        BATCH_JOB, items, retry=Retry(max=3, interval=[2, 10, 60]), result_ttl=0, failure_ttl=7 * 86400,
        job_timeout=600, description=f"batch of {len(items)} items")
    return job.id


def new_items(r: redis.Redis, items: list[dict]) -> list[dict]:
    """The items not seen before, by id or (across feeds) by canonical link; duplicates within the batch dropped."""
    if not items:
        return []
    probe = []
    for item in items:
        probe.append(item["id"])
        probe.append(item.get("link_key") or item["id"])
    scores = r.zmscore(SEEN, probe)
    out, batch_seen = [], set()
    for i, item in enumerate(items):
        id_seen, link_seen = scores[2 * i] is not None, scores[2 * i + 1] is not None
        marks = {item["id"], item.get("link_key")}
        if id_seen or link_seen or marks & batch_seen:
            continue
        batch_seen |= {m for m in marks if m}
        out.append(item)
    return out


def mark_seen(r: redis.Redis, items: list[dict], now: float | None = None) -> None:
    now = now or time.time()
    members = {}
    for item in items:
        members[item["id"]] = now
        if item.get("link_key"):
            members[item["link_key"]] = now
    if members:
        r.zadd(SEEN, members, nx=True)


def ingest(r: redis.Redis, items: list[dict], via: str) -> int:
    """Dedupe items and enqueue the new ones as one batch; shared by polling and WebSub pushes."""
    fresh = new_items(r, items)
    if fresh:
        now = time.time()
        for item in fresh:
            item["seen_at"] = now
            item["via"] = via
        enqueue_batch(r, fresh)  # enqueue before marking seen: a crash in between repeats, never loses
        mark_seen(r, fresh, now)
        r.hincrby(STATS, "items_polled", len(fresh))
    return len(fresh)


class Poller:
    """Polls every due feed, bounded globally and per host, and never lets one feed's trouble stop the rest."""

    def __init__(self, r: redis.Redis, settings: PollerSettings) -> None:
        self.r = r
        self.settings = settings
        self.poller_id = f"{socket.gethostname()}:{os.getpid()}:{random.randrange(1 << 30)}"
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host))
        self._client: fetcher.httpx.AsyncClient | None = None

    async def __aenter__(self) -> Poller:
        self._client = fetcher.make_client(self.settings.user_agent, self.settings.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client:
            await self._client.aclose()

    # --- leases: several pollers can share one Redis without polling a feed twice ---
    def _lease(self, url: str) -> bool:
        return bool(self.r.set(keys.k("lease", url), self.poller_id, nx=True, ex=LEASE_SECONDS))

    def _release(self, url: str) -> None:
        lease = keys.k("lease", url)
        if self.r.get(lease) == self.poller_id.encode():
            self.r.delete(lease)

    async def poll_due(self, now: float | None = None, limit: int = 5000) -> int:
        """Poll the feeds due now; returns how many were polled."""
        now = now or time.time()
        due = [u.decode() for u in self.r.zrangebyscore(state.DUE, "-inf", now, start=0, num=limit)]
        urls = [u for u in due if self._lease(u)]
        await asyncio.gather(*(self._poll_leased(u) for u in urls))
        return len(urls)

    async def poll_all(self) -> int:
        """Poll every feed once, due or not (for `placewatch poll --once` and the demo)."""
        urls = [u for u in state.all_feeds(self.r) if self._lease(u)]
        await asyncio.gather(*(self._poll_leased(u) for u in urls))
        return len(urls)

    async def _poll_leased(self, url: str) -> None:
        try:
            await self.poll_feed(url)
        except Exception as error:  # noqa: BLE001 - a bug in one feed's handling must not stop the loop
            log.exception("feed_poll_crashed", feed=url, error=str(error))
        finally:
            self._release(url)

    async def poll_feed(self, url: str) -> int:
        feed = state.get(self.r, url)
        if feed is None:
            self.r.zrem(state.DUE, url)
            return 0
        host = urlsplit(url).hostname or ""
        async with self._global, self._hosts[host]:
            result = await fetcher.fetch(self._client, url, feed.get("etag"), feed.get("last_modified"),
                                         self.settings.max_bytes, self.settings.timeout)
        new = 0
        error = result.error
        info: dict = {}
        if not error and not result.not_modified:
            try:
                info, items = parser.parse(result.body, url, feed.get("name", ""))
                new = ingest(self.r, items, via="poll")
            except parser.FeedParseError as parse_error:
                error = str(parse_error)
        self._record(feed, result, error, new, info)
        return new

    def _record(self, feed: dict, result: fetcher.FetchResult, error: str | None, new: int, info: dict) -> None:
        now = time.time()
        s = self.settings
        interval = float(feed.get("interval") or feed.get("adaptive_interval") or s.min_interval)
        feed["last_poll"] = now
        feed["last_status"] = result.status
        if error:
            feed["errors"] = int(feed.get("errors") or 0) + 1
            feed["last_error"] = error
            feed["last_error_at"] = now
            wait = min(86400.0, interval * (2 ** min(feed["errors"], 10)))
            if result.retry_after:
                wait = max(wait, min(86400.0, result.retry_after))
            log.warning("feed_error", feed=feed["url"], error=error, consecutive=feed["errors"], retry_in_s=round(wait))
        else:
            feed["errors"] = 0
            feed["last_ok"] = now
            if result.etag or result.last_modified:
                feed["etag"], feed["last_modified"] = result.etag, result.last_modified
            if not feed.get("interval"):  # adaptive: busy feeds sooner, quiet feeds later
                interval = interval / 2 if new else interval * 1.5
                interval = max(s.min_interval, min(s.max_interval, interval))
                feed["adaptive_interval"] = interval
            feed["items_total"] = int(feed.get("items_total") or 0) + new
            feed["last_new"] = new
            if info.get("title") and not feed.get("name"):
                feed["title"] = info["title"]
            wait = interval
            if result.max_age:
                wait = max(wait, min(s.max_interval, result.max_age))
            if result.permanent_redirect:
                self._move(feed, result.permanent_redirect)
            log.info("feed_polled", feed=feed["url"], status=result.status, new_items=new,
                     elapsed_ms=round(result.elapsed * 1000))
        wait *= random.uniform(0.9, 1.1)  # jitter: feeds added together drift apart
        feed["next_poll"] = now + wait
        pipe = self.r.pipeline()
        state.put(self.r, feed, pipe)
        if self.r.hexists(state.FEEDS, feed["url"]):
            pipe.zadd(state.DUE, {feed["url"]: feed["next_poll"]})
        if error:
            pipe.hincrby(STATS, "feed_errors", 1)
        pipe.execute()

    def _move(self, feed: dict, new_url: str) -> None:
        """A permanent redirect: the feed lives at its new address from now on."""
        old = feed["url"]
        log.info("feed_moved", old=old, new=new_url)
        state.remove(self.r, old)
        feed["url"] = new_url
        feed["moved_from"] = old

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until stop is set; trims the seen-set as it goes."""
        last_trim = 0.0
        while not stop.is_set():
            await self.poll_due()
            if time.time() - last_trim > 300:
                self.r.zremrangebyscore(SEEN, "-inf", time.time() - self.settings.seen_ttl_days * 86400)
                last_trim = time.time()
            nxt = self.r.zrange(state.DUE, 0, 0, withscores=True)
            delay = 1.0 if not nxt else max(0.05, min(1.0, nxt[0][1] - time.time()))
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
