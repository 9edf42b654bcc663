"""Poller benchmark: one full cycle over N local feeds (default 10,000), a mix of 200 and 304 answers.

Prints the cycle time, the poller's CPU seconds and peak RSS, then polls a 500-feed subset the way rss2email does
(sequential feedparser.parse(url) calls) and prints the per-feed speed ratio. The feed site runs in its own
process on 127.0.0.1. All feeds live on that one host, so the per-host limit is raised to the global concurrency
here (a real deployment keeps per_host small). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402

from monitor import logs  # noqa: E402
from monitor.config import PollerSettings  # noqa: E402
from monitor.poller import state  # noqa: E402
from monitor.poller.poll import Poller  # noqa: E402
from monitor.redisconn import EmbeddedServer, connect  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_site(latency_ms: float = 0) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.feedsite:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--no-access-log", "--backlog", "4096"], cwd=ROOT,
                            env={**os.environ, "FEEDSITE_LATENCY_MS": str(latency_ms)})
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/feed/1.xml", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("feed site did not start")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cycle(r, settings: PollerSettings) -> int:
    async with Poller(r, settings) as poller:
        return await poller.poll_all()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=10_000)
    ap.add_argument("--sequential", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--latency-ms", type=float, default=50,
                    help="simulated server response time, the same for both pollers (default 50 ms)")
    args = ap.parse_args()
    logs.setup(level="warning")
    site, base = start_site(args.latency_ms)
    tmp = tempfile.mkdtemp(prefix="pw-bench-")
    server = EmbeddedServer(Path(tmp))
    r = connect(server.start())
    try:
        urls = [f"{base}/feed/{n}.xml" for n in range(args.feeds)]
        pipe = r.pipeline()
        for url in urls:
            pipe.hset(state.FEEDS, url, json.dumps({"url": url, "errors": 0, "etag": None, "last_modified": None}))
        pipe.execute()
        settings = PollerSettings(allow_private=True, concurrency=args.concurrency, per_host=args.concurrency,
                                  timeout=30)
        first_started = time.monotonic()
        asyncio.run(cycle(r, settings))
        first = time.monotonic() - first_started
        time.sleep(5.5)  # odd feeds publish a new story; even feeds stay the same (304)
        cpu0, started = cpu(), time.monotonic()
        asyncio.run(cycle(r, settings))
        cycle_s, cpu_s = time.monotonic() - started, cpu() - cpu0
        statuses = {}
        for feed in state.all_feeds(r).values():
            statuses[feed.get("last_status")] = statuses.get(feed.get("last_status"), 0) + 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"feed site answers after {args.latency_ms:g} ms (simulated network + server time)")
        print(f"first cycle (all 200, cold): {first:.1f} s")
        print(f"steady cycle over {args.feeds} feeds: {cycle_s:.1f} s wall, {cpu_s:.1f} CPU s, statuses {statuses}")
        print(f"peak RSS of the poller process: {peak:.0f} MB (target <= 300)")

        subset = urls[: args.sequential]
        seq_started = time.monotonic()
        for url in subset:
            feedparser.parse(url)
        seq_per_feed = (time.monotonic() - seq_started) / len(subset)
        ours_per_feed = cycle_s / args.feeds
        ratio = seq_per_feed / ours_per_feed
        print(f"sequential feedparser.parse(url), {len(subset)} feeds: {seq_per_feed * 1000:.1f} ms per feed; "
              f"placewatch: {ours_per_feed * 1000:.2f} ms per feed; ratio {ratio:.0f}x")
        print(json.dumps({"feeds": args.feeds, "cycle_s": round(cycle_s, 2), "cpu_s": round(cpu_s, 2),
                          "peak_rss_mb": round(peak), "ratio_vs_sequential": round(ratio, 1)}))
    finally:
        server.stop()
        site.terminate()
        site.wait(timeout=10)
        os.system(f"rm -rf {tmp}")


if __name__ == "__main__":
    main()
