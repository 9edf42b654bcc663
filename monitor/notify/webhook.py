"""Webhook channel, signed per Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from monitor.notify.errors import DeliveryError

TOLERANCE_S = 300
_CLIENT: httpx.Client | None = None


def _client() -> httpx.Client:
    """One keep-alive client per worker process: a warm connection makes the send (and so the window in which a
    crash would make a retry send it again) several times shorter."""
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = httpx.Client(follow_redirects=False)
    return _CLIENT


def secret_bytes(secret: str) -> bytes:
    """A 'whsec_' secret is base64 after the prefix; any other string is used as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None,
           tolerance: int = TOLERANCE_S) -> bool:
    """Receiver side: constant-time check of any v1 signature, within the replay window."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature", "")
    if not msg_id or not ts or not ts.isdigit():
        return False
    if abs((now or time.time()) - int(ts)) > tolerance:
        return False
    expected = sign(secret, msg_id, int(ts), body)
    return any(hmac.compare_digest(expected, candidate) for candidate in sigs.split())


def send(options: dict, alert: dict) -> None:
    body = json.dumps({"type": f"alert.{alert['kind']}", "timestamp": alert["raised_at"], "data": alert},
                      ensure_ascii=False).encode()
    msg_id = f"{alert['id']}-{alert['revision']}"  # the same delivery retried keeps its id: receivers can dedupe
    ts = int(time.time())
    headers = {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
               "user-agent": "placewatch/0.1"}
    if options.get("secret"):
        headers["webhook-signature"] = sign(options["secret"], msg_id, ts, body)
    try:
        response = _client().post(options["url"], content=body, headers=headers, timeout=float(options.get("timeout", 10)))
    except httpx.HTTPError as error:
        raise DeliveryError(f"webhook POST failed: {type(error).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}")
