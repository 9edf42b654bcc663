"""Prometheus text exposition of placewatch's counters, rates, queue depths, feed health and latency."""

from __future__ import annotations

from monitor import stats
from monitor.poller import state as feed_state
from monitor.runtime import Runtime

COUNTERS = {
    "items_polled": "New feed items found by the poller.",
    "items_processed": "Feed items run through extraction and the ledger.",
    "alerts_raised": "Alert revisions raised (new, confirmed, retracted).",
    "alerts_sent": "Alert revisions delivered to a channel.",
    "alerts_failed": "Delivery attempts that failed (each is retried).",
    "feed_errors": "Feed fetches that failed.",
}
RATES = ("items_polled", "items_processed", "alerts_sent")


def render(rt: Runtime) -> str:
    from monitor.commands import queue_depths

    r = rt.r
    totals = stats.totals(r)
    out: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        out.append(f"# HELP placewatch_{name} {help_text}")
        out.append(f"# TYPE placewatch_{name} {kind}")
        out.extend(f"placewatch_{name}{labels} {value:g}" for labels, value in samples)

    for name, help_text in COUNTERS.items():
        metric(f"{name}_total", "counter", help_text, [("", totals.get(name, 0.0))])
    for name in RATES:
        metric(f"{name}_per_second", "gauge", f"{name.replace('_', ' ')} per second over the last minute.",
               [("", round(stats.rate(r, name), 3))])
    metric("queue_depth", "gauge", "Jobs waiting in each RQ queue.",
           [(f'{{queue="{q}"}}', float(depth)) for q, depth in queue_depths(r).items()])
    feeds = feed_state.all_feeds(r).values()
    metric("feeds", "gauge", "Feeds configured.", [("", float(len(feeds)))])
    metric("feeds_failing", "gauge", "Feeds whose last fetch failed.",
           [("", float(sum(1 for f in feeds if f.get("errors"))))])
    hist = stats.histogram(r, "extract_seconds")
    metric("extraction_seconds", "histogram", "Time to extract and apply one feed item.",
           [(f'_bucket{{le="{label}"}}', float(n)) for label, n in hist["buckets"]])
    out.append(f"placewatch_extraction_seconds_sum {hist['sum']:g}")
    out.append(f"placewatch_extraction_seconds_count {hist['count']}")
    return "\n".join(out) + "\n"
