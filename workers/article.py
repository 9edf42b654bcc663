"""Full-article fetching for feeds with fetch_full = true: bounded in size and time, cached by URL, polite per host,
and behind the same address guard as every other fetch. The main text is extracted with trafilatura."""

from __future__ import annotations

import asyncio
import hashlib
import time
from urllib.parse import urlsplit

import httpx
import redis

from monitor import keys, logs
from monitor.config import PollerSettings
from monitor.netguard import BlockedAddress
from monitor.poller import fetcher

log = logs.get("placewatch.article")
CACHE_TTL = 7 * 86400
HOST_GAP_S = 1.0


def _cache_key(url: str) -> str:
    return keys.k("article", hashlib.sha1(url.encode()).hexdigest()[:20])


def _wait_turn(r: redis.Redis, host: str, deadline: float) -> None:
    """At most one article request per host per HOST_GAP_S across all workers."""
    while time.time() < deadline:
        if r.set(keys.k("polite", host), "1", nx=True, px=int(HOST_GAP_S * 1000)):
            return
        time.sleep(0.05)


def article_text(r: redis.Redis, url: str, settings: PollerSettings) -> str | None:
    """The article's main text, or None when it cannot be had (the item's own summary is used then)."""
    if not url.startswith(("http://", "https://")):
        return None
    key = _cache_key(url)
    cached = r.get(key)
    if cached is not None:
        return cached.decode() or None
    _wait_turn(r, urlsplit(url).hostname or "", time.time() + settings.article_timeout)
    result = asyncio.run(_fetch(url, settings))
    text = ""
    if result.error:
        log.warning("article_fetch_failed", url=url, error=result.error)
    else:
        import trafilatura

        text = trafilatura.extract(result.body.decode("utf-8", errors="replace"), include_comments=False,
                                   include_tables=False) or ""
    r.set(key, text, ex=CACHE_TTL)  # failures are cached too, so a broken page is not fetched again and again
    return text or None


async def _fetch(url: str, settings: PollerSettings) -> fetcher.FetchResult:
    async with fetcher.make_client(settings.user_agent, settings.article_timeout) as client:
        try:
            return await fetcher.fetch(client, url, max_bytes=settings.article_max_bytes, timeout=settings.article_timeout,
                                       allow_private=settings.allow_private)
        except BlockedAddress as error:  # fetch already reports it; kept for clarity of intent
            return fetcher.FetchResult(url=url, error=str(error))
        except httpx.HTTPError as error:
            return fetcher.FetchResult(url=url, error=str(error))
