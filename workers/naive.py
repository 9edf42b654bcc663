"""The naive design, kept only as the baseline that bench/pipeline.py measures against: one RQ job per item,
run by RQ's default forking worker (a fresh process per job, so nothing stays warm)."""

from __future__ import annotations

from monitor import runtime
from workers.jobs import process_item


def process_one(item: dict) -> int:
    rt = runtime.get()
    events, _ = process_item(rt, item)
    rt.r.hincrby("pw:stats", "items_processed", 1)
    return events
