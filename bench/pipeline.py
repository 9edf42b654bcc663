"""End-to-end pipeline benchmark: embedded Redis, `placewatch poll`, two `placewatch worker` processes and a webhook
receiver on 127.0.0.1, over local feeds.

Phase 1 (throughput): 40 feeds x 500 items appear at once; prints sustained items/s from the first item the poller
sees to the last one processed, Redis commands per item, worker CPU per item and peak RSS per process.
Phase 2 (latency): items published at a steady offered load (default 200/s, 1 in 10 a change of hands on a watched
place); prints alert latency p50/p95/p99 from the moment the poller first sees an item to the moment the webhook
receives its alert.
Phase 3 (naive): the same items as one RQ job per item on RQ's forking worker, for the ratio.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import redis  # noqa: E402
from rq import Queue  # noqa: E402

from monitor import keys, logs  # noqa: E402
from monitor.feedserver import FeedServer  # noqa: E402
from monitor.redisconn import EmbeddedServer  # noqa: E402
from tests.helpers import WebhookReceiver  # noqa: E402

TOWNS = [("Kidal", "ML"), ("Gao", "ML"), ("Menaka", "ML"), ("Tessalit", "ML"), ("Saraqib", "SY"), ("Manbij", "SY"),
         ("Lashio", "MM"), ("Laukkai", "MM"), ("Goma", "CD"), ("Sake", "CD"), ("Marib", "YE"), ("Sirte", "LY")]
SIDES = {"ML": ("Malian troops", "JNIM fighters"), "SY": ("Syrian troops", "Rebel fighters"),
         "MM": ("Myanmar army troops", "MNDAA fighters"), "CD": ("FARDC troops", "M23 rebels"),
         "YE": ("Yemeni army troops", "Houthi fighters"), "LY": ("GNA forces", "LNA forces")}
FILLER = ["The central bank kept interest rates on hold.", "A new stadium opened in the capital.",
          "Officials announced new rules for exams.", "The harvest is expected to be larger than last year.",
          "Scientists captured images of a distant galaxy.", "The minister left for talks abroad on Monday."]
SECRET = "bench-secret"


def rss(items: list[dict]) -> str:
    body = "".join(f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i['link']}</guid>"
                   f"<pubDate>{i['date']}</pubDate><description>{i['text']}</description></item>" for i in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><link>http://b/</link>{body}</channel></rss>'


class Story:
    """Generates items; every tenth is a change of hands, alternating sides so each is a new change."""

    def __init__(self) -> None:
        self.n = 0
        self.holder: dict[str, int] = {}

    def next(self) -> dict:
        self.n += 1
        now = format_datetime(datetime.now(UTC))
        if self.n % 10 == 0:
            town, cc = TOWNS[(self.n // 10) % len(TOWNS)]
            side = self.holder.get(town, 1) ^ 1
            self.holder[town] = side
            actor = SIDES[cc][side]
            return {"title": f"{actor} capture {town}", "text": f"{actor} captured {town} today, residents said.",
                    "link": f"https://bench.example/{self.n}", "date": now}
        return {"title": FILLER[self.n % 6], "text": FILLER[(self.n + 1) % 6], "link": f"https://bench.example/{self.n}",
                "date": now}


def config_file(work: Path, urls: list[str], hook: str) -> Path:
    lines = ["[poller]", "allow_private = true", "min_interval = 1", "max_interval = 2", "concurrency = 64",
             "per_host = 64", "", "[[channels]]", 'name = "hook"', 'type = "webhook"', f'url = "{hook}"',
             f'secret = "{SECRET}"', ""]
    lines += [line for url in urls for line in ("[[feeds]]", f'url = "{url}"', "")]
    lines += [line for town, cc in TOWNS for line in ("[[watch]]", f'name = "{town}"', f'country = "{cc}"', "")]
    path = work / "placewatch.toml"
    path.write_text("\n".join(lines))
    return path


def commands(r: redis.Redis) -> int:
    return sum(v["calls"] for k, v in r.info("commandstats").items())


class Procs:
    def __init__(self, env: dict, poll: bool = True, workers: int = 2, naive: bool = False) -> None:
        self.log = open(env["PLACEWATCH_DATA_DIR"] + "/procs.log", "ab")
        if naive:
            cmd = [sys.executable, "-m", "rq.cli", "worker", "--url", env["PLACEWATCH_REDIS_URL"], "--worker-class",
                   "rq.worker.Worker", "items", "--quiet"]
            self.workers = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log) for _ in range(workers)]
        else:
            self.workers = [subprocess.Popen([sys.executable, "-m", "monitor.cli", "worker"], cwd=ROOT, env=env,
                                             stdout=self.log, stderr=self.log) for _ in range(workers)]
        self.poller = subprocess.Popen([sys.executable, "-m", "monitor.cli", "poll"], cwd=ROOT, env=env,
                                       stdout=self.log, stderr=self.log) if poll else None
        self.peak: dict[str, float] = {}
        self.stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.stop.wait(0.2):
            for name, proc in self.named():
                try:
                    rss = sum(p.memory_info().rss for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)])
                    self.peak[name] = max(self.peak.get(name, 0), rss / 1e6)
                except psutil.Error:
                    pass

    def named(self) -> list:
        out = [(f"worker{i}", w) for i, w in enumerate(self.workers)]
        return out + ([("poller", self.poller)] if self.poller else [])

    def cpu(self, which: str = "worker") -> float:
        total = 0.0
        for name, proc in self.named():
            if name.startswith(which):
                try:
                    t = psutil.Process(proc.pid).cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
                except psutil.Error:
                    pass
        return total

    def close(self) -> None:
        self.stop.set()
        for _, proc in self.named():
            proc.terminate()
        for _, proc in self.named():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()


def wait_processed(r: redis.Redis, total: int, timeout: float) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if int(r.hget(keys.k("stats"), "items_processed") or 0) >= total:
            return time.time()
        time.sleep(0.02)
    raise SystemExit(f"only {r.hget(keys.k('stats'), 'items_processed')} of {total} items processed in {timeout} s")


def throughput(base_env: dict, feeds: int, per_feed: int, naive_items: int) -> dict:
    out = {}
    for design in ("placewatch", "naive"):
        work = Path(tempfile.mkdtemp(prefix=f"pw-bench-{design}-"))
        server = EmbeddedServer(work)
        url = server.start()
        r = redis.Redis.from_url(url)
        receiver = WebhookReceiver(SECRET)
        story = Story()
        with FeedServer() as site:
            env = {**base_env, "PLACEWATCH_REDIS_URL": url, "PLACEWATCH_DATA_DIR": str(work)}
            if design == "placewatch":
                urls = [site.set(f"/f{f}.xml", rss([story.next() for _ in range(per_feed)])) for f in range(feeds)]
                env["PLACEWATCH_CONFIG"] = str(config_file(work, urls, receiver.url))
                total = feeds * per_feed
                cmd0 = commands(r)
                procs = Procs(env)
                done = wait_processed(r, total, 600)
                first_seen = r.zrange("pw:seen", 0, 0, withscores=True)[0][1]
                elapsed = done - first_seen
            else:
                env["PLACEWATCH_CONFIG"] = str(config_file(work, [], receiver.url))
                total = naive_items
                queue = Queue(keys.QUEUE_ITEMS, connection=r)
                now = datetime.now(UTC).isoformat()
                for n in range(total):
                    item = story.next()
                    one = {"id": f"n{n}", "title": item["title"], "html": item["text"], "link": item["link"],
                           "published": now, "source": "bench.example"}
                    queue.enqueue("workers.naive.process_one", one, result_ttl=0)
                cmd0 = commands(r)
                started = time.time()
                procs = Procs(env, poll=False, naive=True)
                done = wait_processed(r, total, 900)
                elapsed = done - started
            cmds = commands(r) - cmd0
            cpu = procs.cpu("worker")
            procs.close()
        out[design] = {"items": total, "seconds": elapsed, "items_per_s": total / elapsed, "redis_cmds_per_item": cmds / total,
                       "worker_cpu_ms_per_item": cpu * 1000 / total, "peak_rss_mb": {k: round(v) for k, v in procs.peak.items()},
                       "alerts": len(receiver.received)}
        receiver.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def latency(base_env: dict, rate: float, seconds: float, feeds: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="pw-bench-latency-"))
    server = EmbeddedServer(work)
    url = server.start()
    receiver = WebhookReceiver(SECRET)
    story = Story()
    with FeedServer() as site:
        windows: list[list[dict]] = [[] for _ in range(feeds)]
        urls = [site.set(f"/f{f}.xml", rss([])) for f in range(feeds)]
        env = {**base_env, "PLACEWATCH_REDIS_URL": url, "PLACEWATCH_DATA_DIR": str(work),
               "PLACEWATCH_CONFIG": str(config_file(work, urls, receiver.url))}
        procs = Procs(env)
        time.sleep(3)  # let the processes load the gazetteer
        started, published = time.time(), 0
        rng = random.Random(3)
        while time.time() - started < seconds:
            due = int((time.time() - started) * rate) - published
            for _ in range(max(0, due)):
                f = rng.randrange(feeds)
                windows[f] = (windows[f] + [story.next()])[-200:]
                published += 1
            for f in range(feeds):
                site.set(f"/f{f}.xml", rss(windows[f]))
            time.sleep(0.05)
        time.sleep(5)  # the last alerts
        procs.close()
    lat = sorted(d["at"] - d["body"]["data"]["seen_at"] for d in receiver.received
                 if d["body"]["data"].get("seen_at") and d["body"]["data"]["kind"] == "new")
    receiver.close()
    server.stop()
    shutil.rmtree(work, ignore_errors=True)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    return {"offered_items_per_s": rate, "items": published, "alerts": len(lat), "p50": q[49], "p95": q[94], "p99": q[98]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=40)
    ap.add_argument("--per-feed", type=int, default=500)
    ap.add_argument("--naive-items", type=int, default=400)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    logs.setup(level="warning")
    base_env = {**os.environ, "PLACEWATCH_LOG_LEVEL": "warning", "PLACEWATCH_LOG_FORMAT": "json"}
    tp = throughput(base_env, args.feeds, args.per_feed, args.naive_items)
    ours, naive = tp["placewatch"], tp["naive"]
    ratio = ours["items_per_s"] / naive["items_per_s"]
    for name, r in tp.items():
        print(f"{name:>10}: {r['items']} items in {r['seconds']:.1f} s = {r['items_per_s']:,.0f} items/s; "
              f"{r['redis_cmds_per_item']:.1f} Redis commands/item; worker CPU {r['worker_cpu_ms_per_item']:.2f} ms/item; "
              f"peak RSS MB {r['peak_rss_mb']}; {r['alerts']} alerts")
    print(f"ratio placewatch / naive: {ratio:.0f}x")
    lat = latency(base_env, args.rate, args.seconds, 20)
    print(f"latency at {lat['offered_items_per_s']:.0f} items/s offered ({lat['items']} items, {lat['alerts']} alerts): "
          f"p50 {lat['p50']:.3f} s, p95 {lat['p95']:.3f} s, p99 {lat['p99']:.3f} s (poller sees item -> webhook receives alert)")
    print(json.dumps({"items_per_s": round(ours["items_per_s"]), "naive_items_per_s": round(naive["items_per_s"], 1),
                      "ratio": round(ratio, 1), "latency_p50_s": round(lat["p50"], 3), "latency_p99_s": round(lat["p99"], 3),
                      "redis_cmds_per_item": round(ours["redis_cmds_per_item"], 2)}))


if __name__ == "__main__":
    main()
