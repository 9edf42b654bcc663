"""The polling loop: due feeds -> fetch -> parse -> dedupe -> one RQ job per batch of new items."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import time
from collections import defaultdict
from urllib.parse import urlsplit

import redis
from rq import Queue, Retry

from monitor import keys, logs, stats
from monitor.config import PollerSettings
from monitor.poller import fetcher, parser, state

log = logs.get("placewatch.poller")
SEEN = keys.k("seen")
BATCH_JOB = "workers.jobs.process_batch"
LEASE_SECONDS = 60
# Delete a lease only if this poller still holds it.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def enqueue_batch(r: redis.Redis, items: list[dict]) -> str:
    """One job for the whole batch: retried with backoff, its result not kept."""
    job = Queue(keys.QUEUE_ITEMS, connection=r).enqueue(
        BATCH_JOB, items, retry=Retry(max=3, interval=[2, 10, 60]), result_ttl=0, failure_ttl=7 * 86400,
        job_timeout=600, description=f"batch of {len(items)} items")
    return job.id


def seen_key(item: dict) -> str:
    """One seen-set member per item: its canonical link when it has one (that catches a story carried by two feeds,
    or re-published under a new GUID), else its id. One member, not two, halves the seen-set's memory."""
    return item.get("link_key") or item["id"]


def new_items(r: redis.Redis, items: list[dict]) -> list[dict]:
    """The items not seen before; duplicates within the batch dropped too."""
    if not items:
        return []
    scores = r.zmscore(SEEN, [seen_key(item) for item in items])
    out, batch_seen = [], set()
    for item, score in zip(items, scores, strict=True):
        key = seen_key(item)
        if score is not None or key in batch_seen:
            continue
        batch_seen.add(key)
        out.append(item)
    return out


def mark_seen(r: redis.Redis, items: list[dict], now: float | None = None) -> None:
    now = now or time.time()
    if items:
        r.zadd(SEEN, {seen_key(item): now for item in items}, nx=True)


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
        stats.count(r, "items_polled", len(fresh), now)
    return len(fresh)


_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}


def publisher_interval(info: dict) -> float | None:
    """Seconds between updates as the feed itself declares them (RSS <ttl> minutes, or sy:updatePeriod/Frequency)."""
    ttl = str(info.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60.0
    period = _PERIODS.get(str(info.get("update_period") or "").strip().lower())
    if period:
        freq = str(info.get("update_frequency") or "1").strip()
        return period / max(1, int(freq) if freq.isdigit() else 1)
    return None


class Poller:
    """Polls every due feed, bounded globally and per host, and never lets one feed's trouble stop the rest.

    Redis work is batched: leases and feed states for a whole round in one round trip each, and new items from
    many feeds buffered into one RQ job (flushed every FLUSH_ITEMS items or FLUSH_S seconds)."""

    FLUSH_ITEMS = 500
    FLUSH_S = 0.25

    def __init__(self, r: redis.Redis, settings: PollerSettings, websub: object | None = None) -> None:
        self.r = r
        self.settings = settings
        self.websub = websub  # monitor.poller.websub.WebSub when the API has a public URL
        self.poller_id = f"{socket.gethostname()}:{os.getpid()}:{random.randrange(1 << 30)}"
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host))
        self._clients: fetcher.ClientPool | None = None
        self._buffer: list[dict] = []
        self._flusher: asyncio.Task | None = None

    async def __aenter__(self) -> Poller:
        self._clients = fetcher.ClientPool(self.settings.user_agent, self.settings.timeout, self.settings.concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.flush()
        if self._clients:
            await self._clients.aclose()

    # --- leases: several pollers can share one Redis without polling a feed twice ---
    def _lease_all(self, urls: list[str]) -> list[str]:
        pipe = self.r.pipeline(transaction=False)
        for url in urls:
            pipe.set(keys.k("lease", url), self.poller_id, nx=True, ex=LEASE_SECONDS)
        return [url for url, ok in zip(urls, pipe.execute(), strict=True) if ok]

    def _release_all(self, urls: list[str]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for url in urls:
            pipe.eval(_RELEASE, 1, keys.k("lease", url), self.poller_id)
        pipe.execute()

    async def poll_due(self, now: float | None = None, limit: int = 20000) -> int:
        """Poll the feeds due now; returns how many were polled."""
        now = now or time.time()
        due = [u.decode() for u in self.r.zrangebyscore(state.DUE, "-inf", now, start=0, num=limit)]
        return await self._poll_round(due)

    async def poll_all(self) -> int:
        """Poll every feed once, due or not (for `placewatch poll --once` and the demo)."""
        return await self._poll_round(list(state.all_feeds(self.r)))

    async def _poll_round(self, urls: list[str]) -> int:
        leased = self._lease_all(urls)
        if not leased:
            return 0
        states = dict(zip(leased, self.r.hmget(state.FEEDS, leased), strict=True))
        try:
            await asyncio.gather(*(self._poll_guarded(u, states[u]) for u in leased))
        finally:
            self.flush()
            self._release_all(leased)
        return len(leased)

    async def _poll_guarded(self, url: str, raw: bytes | None) -> None:
        try:
            await self.poll_feed(url, json.loads(raw) if raw else None)
        except Exception as error:  # noqa: BLE001 - a bug in one feed's handling must not stop the loop
            log.exception("feed_poll_crashed", feed=url, error=str(error))

    def _queue(self, items: list[dict]) -> None:
        self._buffer.extend(items)
        if len(self._buffer) >= self.FLUSH_ITEMS:
            self.flush()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.FLUSH_S)
        self.flush()

    def flush(self) -> int:
        """Enqueue the buffered items as one batch (deduped again: two feeds may carry the same story)."""
        items, self._buffer = self._buffer, []
        return ingest(self.r, items, via="poll") if items else 0

    async def poll_feed(self, url: str, feed: dict | None = None) -> int:
        feed = feed if feed is not None else state.get(self.r, url)
        if feed is None:
            self.r.zrem(state.DUE, url)
            return 0
        host = urlsplit(url).hostname or ""
        async with self._global, self._hosts[host]:
            result = await fetcher.fetch(self._clients.for_url(url), url, feed.get("etag"), feed.get("last_modified"),
                                         self.settings.max_bytes, self.settings.timeout, self.settings.allow_private)
        new = 0
        error = result.error
        info: dict = {}
        if not error and not result.not_modified:
            try:
                info, items = parser.parse(result.body, url, feed.get("name", ""))
                if feed.get("fetch_full"):
                    for item in items:
                        item["fetch_full"] = True
                fresh = new_items(self.r, items)
                new = len(fresh)
                if fresh:
                    self._queue(fresh)
                if info.get("hubs") and self.websub is not None:
                    await self.websub.ensure(url, info)
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
            if s.alert_after_errors and feed["errors"] == s.alert_after_errors:
                self._feed_down(feed, error, now)
        else:
            feed["errors"] = 0
            feed["last_ok"] = now
            feed["last_warning"] = info.get("warning")
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
            hinted = publisher_interval(info)
            if hinted:  # the feed's own <ttl> / sy:updatePeriod: no point asking more often
                wait = max(wait, min(s.max_interval, hinted))
            if result.permanent_redirect:
                self._move(feed, result.permanent_redirect)
            log.debug("feed_polled", feed=feed["url"], status=result.status, new_items=new,
                      elapsed_ms=round(result.elapsed * 1000))
        wait *= random.uniform(0.9, 1.1)  # jitter: feeds added together drift apart
        feed["next_poll"] = now + wait
        pipe = self.r.pipeline(transaction=False)
        state.put(self.r, feed, pipe)
        pipe.zadd(state.DUE, {feed["url"]: feed["next_poll"]})
        if error:
            stats.count(pipe, "feed_errors", 1, now)
        pipe.execute()

    def _feed_down(self, feed: dict, error: str, now: float) -> None:
        """N errors in a row: record a notice and have the workers send it to every channel, like an alert."""
        from monitor.rules import feed_down_notice

        notice = feed_down_notice(feed["url"], feed.get("name") or feed.get("title") or "", feed["errors"], error, now)
        self.r.xadd(keys.k("notices"), {"notice": json.dumps(notice)}, maxlen=1000, approximate=True)
        Queue(keys.QUEUE_ALERTS, connection=self.r).enqueue("workers.jobs.send_notice", notice, result_ttl=0,
                                                            retry=Retry(max=3, interval=[5, 30, 120]))
        log.error("feed_down", feed=feed["url"], consecutive=feed["errors"], error=error)

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
            if self.websub is not None:
                await self.websub.renew_due()
            if time.time() - last_trim > 300:
                self.r.zremrangebyscore(SEEN, "-inf", time.time() - self.settings.seen_ttl_days * 86400)
                last_trim = time.time()
            nxt = self.r.zrange(state.DUE, 0, 0, withscores=True)
            delay = 1.0 if not nxt else max(0.05, min(1.0, nxt[0][1] - time.time()))
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
