"""WebSub subscriber: subscribe to the hubs feeds advertise, answer the hub's intent check, accept signed pushes,
and renew leases before they lapse. Pushed content goes through the same dedupe and queue as polled content.

State per topic lives in the hash {prefix}websub: {id, topic, feed, hub, secret, state, lease_until}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import httpx
import redis

from monitor import keys, logs
from monitor.netguard import BlockedAddress, check_url

log = logs.get("placewatch.websub")
SUBS = keys.k("websub")
LEASE_SECONDS = 7 * 86400
RENEW_BEFORE = 3600


def sub_id(topic: str) -> str:
    return hashlib.sha1(topic.encode()).hexdigest()[:16]


def get(r: redis.Redis, ident: str) -> dict | None:
    raw = r.hget(SUBS, ident)
    return json.loads(raw) if raw else None


def put(r: redis.Redis, sub: dict) -> None:
    r.hset(SUBS, sub["id"], json.dumps(sub))


def verify_intent(r: redis.Redis, ident: str, params: dict[str, str]) -> str | None:
    """The hub's GET: echo hub.challenge only for a subscription we asked for, on the same topic."""
    sub = get(r, ident)
    mode, topic = params.get("hub.mode"), params.get("hub.topic")
    if sub is None or topic != sub["topic"] or mode not in ("subscribe", "unsubscribe"):
        return None
    if mode == "subscribe":
        lease = params.get("hub.lease_seconds", "")
        sub["state"] = "active"
        sub["lease_until"] = time.time() + (int(lease) if lease.isdigit() else LEASE_SECONDS)
    else:
        sub["state"] = "unsubscribed"
    put(r, sub)
    return params.get("hub.challenge")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature: method=hexdigest (sha1, sha256, sha384 or sha512), compared in constant time."""
    if not header or "=" not in header:
        return False
    method, _, digest = header.partition("=")
    if method not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    expected = hmac.new(secret.encode(), body, method).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


class WebSub:
    """Subscriber side used by the poller; the API serves the callback endpoints."""

    def __init__(self, r: redis.Redis, public_url: str, allow_private: bool = False) -> None:
        self.r, self.public_url, self.allow_private = r, public_url.rstrip("/"), allow_private

    async def ensure(self, feed_url: str, info: dict) -> None:
        topic = info.get("self") or feed_url
        sub = get(self.r, sub_id(topic))
        if sub and sub["state"] in ("active", "pending") and sub.get("lease_until", 0) > time.time() + RENEW_BEFORE:
            return
        if sub and sub["state"] == "pending" and time.time() - sub.get("asked_at", 0) < 600:
            return
        await self.subscribe(feed_url, topic, info["hubs"][0])

    async def subscribe(self, feed_url: str, topic: str, hub: str) -> None:
        ident = sub_id(topic)
        old = get(self.r, ident) or {}
        sub = {"id": ident, "topic": topic, "feed": feed_url, "hub": hub, "secret": old.get("secret") or secrets.token_hex(24),
               "state": "pending", "asked_at": time.time(), "lease_until": old.get("lease_until", 0)}
        put(self.r, sub)
        form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": f"{self.public_url}/websub/{ident}",
                "hub.secret": sub["secret"], "hub.lease_seconds": str(LEASE_SECONDS)}
        try:
            await check_url(hub, self.allow_private)
            async with httpx.AsyncClient(timeout=15) as client:
                response = await client.post(hub, data=form)
            if response.status_code not in (202, 204):
                raise httpx.HTTPError(f"hub answered HTTP {response.status_code}")
            log.info("websub_subscribe_requested", topic=topic, hub=hub)
        except (httpx.HTTPError, BlockedAddress) as error:
            sub["state"] = "failed"
            sub["error"] = str(error)
            put(self.r, sub)
            log.warning("websub_subscribe_failed", topic=topic, hub=hub, error=str(error))

    async def renew_due(self) -> None:
        for raw in self.r.hvals(SUBS):
            sub = json.loads(raw)
            if sub["state"] == "active" and sub.get("lease_until", 0) < time.time() + RENEW_BEFORE:
                await self.subscribe(sub["feed"], sub["topic"], sub["hub"])
