"""Service counters for `placewatch status` and `/metrics`.

Three shapes, all in Redis so every process (poller, workers, API) adds to the same figures:
- totals: one hash of running counters (items polled, alerts sent, ...);
- rates: the same counts in 10-second buckets that expire, so "items per second over the last minute" needs no
  state in the process that reads it;
- histograms: Prometheus-style buckets of a duration (extraction latency).
"""

from __future__ import annotations

import time
from typing import Any

import redis

from monitor import keys

TOTALS = keys.k("stats")
BUCKET_S = 10
RATE_WINDOW_S = 60
LATENCY_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def count(pipe: Any, name: str, n: int = 1, now: float | None = None) -> None:
    """Add n to a running total and to the current rate bucket (queued on a pipeline or run on a client)."""
    if n <= 0:
        return
    bucket = keys.k("rate", name, int((now or time.time()) // BUCKET_S))
    pipe.hincrby(TOTALS, name, n)
    pipe.incrby(bucket, n)
    pipe.expire(bucket, RATE_WINDOW_S + 3 * BUCKET_S)


def rate(r: redis.Redis, name: str, now: float | None = None) -> float:
    """Per-second rate over the last minute of complete buckets."""
    current = int((now or time.time()) // BUCKET_S)
    n = RATE_WINDOW_S // BUCKET_S
    values = r.mget([keys.k("rate", name, current - i) for i in range(1, n + 1)])
    return sum(int(v) for v in values if v) / RATE_WINDOW_S


def observe(pipe: Any, name: str, seconds: list[float]) -> None:
    """Record durations into a histogram: a count per bucket, plus their sum and number."""
    if not seconds:
        return
    key = keys.k("hist", name)
    per_bucket: dict[str, int] = {}
    for s in seconds:
        bound = next((b for b in LATENCY_BOUNDS if s <= b), None)
        label = "+Inf" if bound is None else repr(bound)
        per_bucket[label] = per_bucket.get(label, 0) + 1
    for label, n in per_bucket.items():
        pipe.hincrby(key, label, n)
    pipe.hincrbyfloat(key, "sum", sum(seconds))
    pipe.hincrby(key, "count", len(seconds))


def histogram(r: redis.Redis, name: str) -> dict:
    """{"buckets": [(bound label, cumulative count), ...], "sum": s, "count": n} for the Prometheus text format."""
    raw = {k.decode(): v.decode() for k, v in r.hgetall(keys.k("hist", name)).items()}
    running, buckets = 0, []
    for label in [repr(b) for b in LATENCY_BOUNDS] + ["+Inf"]:
        running += int(raw.get(label, 0))
        buckets.append((label, running))
    return {"buckets": buckets, "sum": float(raw.get("sum", 0)), "count": int(raw.get("count", 0))}


def totals(r: redis.Redis) -> dict[str, float]:
    return {k.decode(): float(v) for k, v in r.hgetall(TOTALS).items()}
