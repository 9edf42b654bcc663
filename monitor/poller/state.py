"""Feed list and per-feed state in Redis: one JSON document per feed, and a schedule of when each is due."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from monitor import keys

FEEDS = keys.k("feeds")
DUE = keys.k("feeds", "due")


def all_feeds(r: redis.Redis) -> dict[str, dict]:
    return {url.decode(): json.loads(raw) for url, raw in r.hgetall(FEEDS).items()}


def get(r: redis.Redis, url: str) -> dict | None:
    raw = r.hget(FEEDS, url)
    return json.loads(raw) if raw else None


def put(r: redis.Redis, state: dict, pipe: Any = None) -> None:
    target = pipe if pipe is not None else r
    target.hset(FEEDS, state["url"], json.dumps(state))


def add(r: redis.Redis, url: str, name: str = "", interval: int | None = None, origin: str = "cli",
        fetch_full: bool = False) -> dict:
    """Add a feed (or update its settings), due now. Existing polling state is kept."""
    state = get(r, url) or {"url": url, "errors": 0, "last_error": None, "items_total": 0, "etag": None,
                             "last_modified": None, "next_poll": 0}
    state.update({"name": name or state.get("name") or "", "interval": interval, "origin": origin, "fetch_full": fetch_full})
    pipe = r.pipeline()
    put(r, state, pipe)
    pipe.zadd(DUE, {url: state.get("next_poll") or time.time()}, nx=True)
    pipe.execute()
    return state


def remove(r: redis.Redis, url: str) -> bool:
    pipe = r.pipeline()
    pipe.hdel(FEEDS, url)
    pipe.zrem(DUE, url)
    return bool(pipe.execute()[0])


def sync_config(r: redis.Redis, feeds: list) -> None:
    """Make Redis hold every feed of the config (feeds added from the CLI or API stay too)."""
    current = all_feeds(r)
    for feed in feeds:
        known = current.get(feed.url)
        if not known or known.get("name") != feed.name or known.get("interval") != feed.interval:
            add(r, feed.url, feed.name, feed.interval, origin="config", fetch_full=feed.fetch_full)
    config_urls = {f.url for f in feeds}
    for url, state in current.items():
        if state.get("origin") == "config" and url not in config_urls:
            remove(r, url)
