"""`placewatch status`: queues, feeds, failed jobs, dead-lettered items and delivery failures, without secrets."""

from __future__ import annotations

import json
import time

from rq import Queue
from rq.registry import FailedJobRegistry

from monitor import keys, redisconn
from monitor.poller import state
from monitor.runtime import Runtime


def collect(rt: Runtime) -> dict:
    r = rt.r
    queues = {}
    for name in (keys.QUEUE_ITEMS, keys.QUEUE_ALERTS):
        q = Queue(name, connection=r)
        queues[name] = {"queued": q.count, "failed": FailedJobRegistry(queue=q).count}
    feeds = state.all_feeds(r)
    failing = {u: {"errors": f.get("errors"), "last_error": f.get("last_error")} for u, f in feeds.items() if f.get("errors")}
    dead = [json.loads(x) for x in r.lrange(keys.k("dead"), 0, 19)]
    failures = [json.loads(x) for x in r.zrevrange(keys.k("delivery", "failures"), 0, 19)]
    stats = {k.decode(): float(v) for k, v in r.hgetall(keys.k("stats")).items()}
    return {
        "redis": redisconn.redact(rt.redis_url), "time": time.time(), "queues": queues,
        "feeds": {"total": len(feeds), "failing": failing},
        "dead_items": {"count": r.llen(keys.k("dead")), "latest": [{"item": d["item"], "error": d["error"]} for d in dead]},
        "delivery_failures": failures, "stats": stats,
        "watched": [w.label for w in rt.watchlist.all()], "channels": {n: c.type for n, c in rt.channels.items()},
    }


def render(info: dict) -> str:
    lines = [f"redis: {info['redis']}"]
    for name, q in info["queues"].items():
        lines.append(f"queue {name}: {q['queued']} queued, {q['failed']} failed jobs")
    lines.append(f"feeds: {info['feeds']['total']} ({len(info['feeds']['failing'])} failing)")
    for url, f in info["feeds"]["failing"].items():
        lines.append(f"  {url}: {f['errors']} consecutive errors; last: {f['last_error']}")
    lines.append(f"dead-lettered items: {info['dead_items']['count']}")
    for d in info["dead_items"]["latest"]:
        lines.append(f"  {d['item'].get('id')} {d['item'].get('link') or ''}: {d['error']}")
    lines.append(f"delivery failures (latest {len(info['delivery_failures'])}):")
    for f in info["delivery_failures"]:
        lines.append(f"  alert {f['alert']} r{f['revision']} -> {f['channel']}: {f['error']}")
    lines.append(f"watched places: {', '.join(info['watched']) or 'none'}")
    lines.append(f"channels: {', '.join(f'{n} ({t})' for n, t in info['channels'].items())}")
    s = info["stats"]
    lines.append(f"items polled {int(s.get('items_polled', 0))}, processed {int(s.get('items_processed', 0))}, "
                 f"alerts raised {int(s.get('alerts_raised', 0))}, sent {int(s.get('alerts_sent', 0))}, "
                 f"failed {int(s.get('alerts_failed', 0))}, feed errors {int(s.get('feed_errors', 0))}")
    return "\n".join(lines) + "\n"
