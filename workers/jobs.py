"""RQ job entry points: process a batch of feed items, and deliver one alert revision to one channel."""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Callable

import redis
from rq import Queue, Retry

from monitor import keys, logs, runtime, stats
from monitor.notify import SENDERS, DeliveryError
from monitor.rules import REVISION, alert_id, build_alert, rule_accepts
from workers.textclean import clean

log = logs.get("placewatch.worker")
MAX_ITEM_ATTEMPTS = 3
DEAD = keys.k("dead")
FAILURES = keys.k("delivery", "failures")


def process_batch(items: list[dict]) -> dict:
    """Clean, extract, apply to the ledger and raise alerts for each item. Items that crash are retried with the
    batch (everything already applied is skipped on the retry) and dead-lettered after MAX_ITEM_ATTEMPTS."""
    rt = runtime.get()
    started = time.perf_counter()
    counts = {"items": len(items), "events": 0, "alerts": 0, "failed": 0, "dead": 0}
    failed = []
    latencies = []
    for item in items:
        try:
            item_started = time.perf_counter()
            events, alerts = process_item(rt, item)
            latencies.append(time.perf_counter() - item_started)
            counts["events"] += events
            counts["alerts"] += alerts
        except Exception as error:  # noqa: BLE001 - one poison item must not block its batch
            attempts_key = keys.k("attempts", item["id"])
            attempts = rt.r.incr(attempts_key)
            rt.r.expire(attempts_key, 7 * 86400)
            if attempts >= MAX_ITEM_ATTEMPTS:
                rt.r.lpush(DEAD, json.dumps({"item": {k: item.get(k) for k in ("id", "link", "title", "feed")},
                                             "error": f"{type(error).__name__}: {error}",
                                             "trace": traceback.format_exc()[-2000:], "at": time.time()}))
                rt.r.delete(attempts_key)
                counts["dead"] += 1
                log.error("item_dead_lettered", item=item["id"], error=str(error), attempts=attempts)
            else:
                failed.append(item["id"])
                log.warning("item_failed", item=item["id"], error=str(error), attempts=attempts)
    elapsed = time.perf_counter() - started
    pipe = rt.r.pipeline()
    stats.count(pipe, "items_processed", len(items) - len(failed))
    stats.observe(pipe, "extract_seconds", latencies)
    pipe.execute()
    log.info("batch_processed", items=len(items), first=items[0]["id"] if items else None, events=counts["events"],
             alerts=counts["alerts"], failed=len(failed), seconds=round(elapsed, 3))
    if failed:
        counts["failed"] = len(failed)
        raise RuntimeError(f"{len(failed)} item(s) failed and will be retried: {', '.join(failed[:5])}")
    return counts


def process_item(rt: runtime.Runtime, item: dict, sink: Callable[[dict], None] | None = None) -> tuple[int, int]:
    text = clean(item.get("html") or item.get("text") or "")
    if item.get("fetch_full") and item.get("link"):
        from workers.article import article_text

        full = article_text(rt.r, item["link"], rt.config.poller)
        if full:
            text = full
    title = clean(item.get("title") or "")
    result = rt.extractor.extract({"id": item["id"], "published": item.get("published"), "title": title, "text": text})
    raised = 0
    for index, event in enumerate(result["events"]):
        raised += evaluate(rt, rt.ledger.apply(item, index, event), sink)
    return len(result["events"]), raised


def _event_change_key(outcome: dict) -> str:
    rec = outcome["record"]
    to = (rec.get("to") or {}).get("id") or (rec.get("to") or {}).get("name")
    day = time.strftime("%Y-%m-%d", time.gmtime(rec["t"]))
    return hashlib.sha1(f"{outcome['place_key']}|{rec['status']}|{to}|{day}".encode()).hexdigest()[:16]


def evaluate(rt: runtime.Runtime, outcome: dict, sink: Callable[[dict], None] | None = None) -> int:
    """Raise, confirm or retract alerts for one ledger outcome; returns how many alert revisions were stored.
    With a sink (replay), alerts go to it instead of the delivery queue."""
    record, change, kind = outcome["record"], outcome.get("change"), outcome["kind"]
    if change is not None:
        if kind == "event" or not change.get("recent", True):
            return 0  # history, or a report adding nothing new: fills the ledger, never alerts
        key, certainty = change["id"], change["certainty"]
    else:
        if not record.get("recent", True) or record["certainty"] == "denied":
            return 0
        key, certainty, kind = _event_change_key(outcome), "claimed", "new"
    watches = rt.watchlist.matching(record["place"])
    stored = 0
    for watch in watches:
        for rule in rt.rules.all():
            if not rule_accepts(rule, record["status"] if change is None else change["status"],
                                certainty if kind != "retracted" else "confirmed", change or record):
                continue
            aid = alert_id(f"{key}|{watch.id}", rule.name)
            existing = rt.alerts.get(aid)
            this_kind = kind
            if existing is None:
                if kind == "retracted":
                    continue
                this_kind = "new"
                if not outcome.get("repeat") and rt.alerts.quiet(watch, rule):
                    continue
            elif outcome.get("repeat") and existing["revision"] > REVISION.get(kind, 1):
                this_kind = existing["kind"]  # replaying an older outcome: re-queue the newest revision only
            alert = build_alert(aid, this_kind, outcome, watch, rule, rt.ledger)
            if existing is None and kind == "confirmed":
                alert["certainty"] = "confirmed"
            if rt.alerts.save(alert):
                stored += 1
                log.info("alert_raised", alert=aid, kind=this_kind, place=alert["place"]["name"], status=alert["status"])
            elif sink is not None or not outcome.get("repeat"):
                continue
            if sink is not None:
                sink(alert)
            else:  # also on a repeat: a crash may have come between saving the alert and queueing its delivery
                enqueue_deliveries(rt, alert, rule.channels or list(rt.channels))
    return stored


def enqueue_deliveries(rt: runtime.Runtime, alert: dict, channels: list[str]) -> None:
    queue = Queue(keys.QUEUE_ALERTS, connection=rt.r)
    for name in channels:
        guard = keys.k("dq", alert["id"], alert["revision"], name)
        if rt.r.exists(guard):
            continue  # already queued by an earlier run of this job
        # Queue first, then mark: a crash in between queues it twice (deliver() sends once), never zero times.
        queue.enqueue("workers.jobs.deliver", alert["id"], alert["revision"], name,
                      retry=Retry(max=5, interval=[2, 10, 60, 300, 1800]), result_ttl=0, failure_ttl=7 * 86400,
                      job_timeout=60, description=f"deliver {alert['id']} r{alert['revision']} to {name}")
        rt.r.set(guard, "1", ex=7 * 86400)


def deliver(aid: str, revision: int, channel_name: str) -> str:
    """Send one alert revision to one channel, at most once (retried by RQ on failure)."""
    rt = runtime.get()
    mark = keys.k("delivered", aid, revision, channel_name)
    if rt.r.exists(mark):
        return "already delivered"
    alert = rt.alerts.get(aid)
    channel = rt.channels.get(channel_name)
    if alert is None or channel is None:
        log.error("delivery_dropped", alert=aid, channel=channel_name, reason="unknown alert or channel")
        return "dropped"
    if alert["revision"] != revision:  # a later revision superseded this one before it went out
        alert = {**alert, "kind": next(k for k, v in REVISION.items() if v == revision), "revision": revision} \
            if revision in REVISION.values() else alert
    # One sender at a time per delivery: a job requeued while its first run is still alive must not send twice.
    sending = keys.k("sending", aid, revision, channel_name)
    deadline = time.time() + 25
    while not rt.r.set(sending, "1", nx=True, ex=20):  # longer than any send (channel timeouts are 10-15 s)
        if rt.r.exists(mark):
            return "already delivered"
        if time.time() > deadline:
            raise DeliveryError("another worker kept this delivery locked; retrying later")
        time.sleep(0.2)  # another run of this job is sending (or died sending): wait for it or for its lock to lapse
    if rt.r.exists(mark):
        rt.r.delete(sending)
        return "already delivered"
    try:
        SENDERS[channel.type](channel.options, alert)
    except DeliveryError as error:
        rt.r.delete(sending)
        rt.r.zadd(FAILURES, {json.dumps({"alert": aid, "revision": revision, "channel": channel_name,
                                         "error": str(error), "at": time.time()}): time.time()})
        rt.r.zremrangebyrank(FAILURES, 0, -1001)
        stats.count(rt.r, "alerts_failed")
        log.warning("delivery_failed", alert=aid, channel=channel_name, error=str(error))
        raise
    _record_delivered(rt, mark, sending)
    stats.count(rt.r, "alerts_sent")
    log.info("alert_delivered", alert=aid, revision=revision, channel=channel_name)
    return "delivered"


def _record_delivered(rt: runtime.Runtime, mark: str, sending: str, patience_s: float = 60.0) -> None:
    """Remember the delivery. If Redis is down right now (restarting), wait for it: giving up here would make the
    retry send the alert a second time."""
    deadline = time.time() + patience_s
    while True:
        try:
            pipe = rt.r.pipeline()
            pipe.set(mark, "1", ex=30 * 86400)  # a key with a TTL, not a set that grows forever
            pipe.delete(sending)
            pipe.execute()
            return
        except (redis.ConnectionError, redis.TimeoutError):
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def send_notice(notice: dict) -> int:
    """Store a feed-health notice and queue it to every channel (once per channel, like an alert revision)."""
    rt = runtime.get()
    rt.alerts.save(notice)
    enqueue_deliveries(rt, notice, list(rt.channels))
    return len(rt.channels)
