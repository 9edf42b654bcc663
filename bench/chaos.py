"""Chaos test: the real pipeline (valkey-server with append-only fsync, `placewatch poll`, two `placewatch worker`
processes, a signed-webhook receiver) over a local feed set, once clean and once under faults, then compared.

Faults: SIGKILL a worker at random (>= 10 times, restarted each time), SIGKILL Redis once (then restart it),
restart the poller once. Afterwards: the ledgers must be identical, every expected alert revision must reach the
webhook exactly once (counted by alert id and revision), and no item may be lost.

The receiver behaves as Standard Webhooks asks: it acts once per webhook-id. "duplicates" counts alert revisions
it would act on twice (a revision sent under two ids). "redeliveries" counts raw repeats of one webhook-id: a
worker SIGKILLed after the receiver answered but before the delivery was marked sends it again on retry. No sender
can close that gap (the POST and the mark cannot be one atomic step), so it is counted, not hidden.

  python bench/chaos.py            # long form: 5,000 items, >= 50 control changes on watched places
  python bench/chaos.py --short    # the CI form (tests/test_chaos.py runs it)
  python bench/chaos.py --soak     # 1,000,000 items straight into the queue; prints Redis memory per item

The last line is one JSON object with the counts.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rq import Queue  # noqa: E402
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry  # noqa: E402

from monitor import keys, logs  # noqa: E402
from monitor.feedserver import FeedServer  # noqa: E402
from monitor.ledger import Ledger, derive_state  # noqa: E402
from monitor.poller.ids import item_id, link_key  # noqa: E402
from monitor.poller.poll import SEEN  # noqa: E402
from monitor.redisconn import embedded_binary  # noqa: E402
from tests.helpers import WebhookReceiver  # noqa: E402

SECRET = "chaos-secret"
# Real towns (GeoNames) for the control changes; names and countries are facts, the stories are generated.
TOWNS = [("Saraqib", "SY"), ("Maarrat al-Numan", "SY"), ("Kafr Nabl", "SY"), ("Khan Shaykhun", "SY"), ("Jisr al-Shughur", "SY"),
         ("Al Qaryatayn", "SY"), ("Al Mayadin", "SY"), ("Manbij", "SY"), ("Tabqa", "SY"), ("Kobani", "SY"),
         ("Kidal", "ML"), ("Tessalit", "ML"), ("Aguelhok", "ML"), ("Menaka", "ML"), ("Gao", "ML"), ("Timbuktu", "ML"),
         ("Ansongo", "ML"), ("Bourem", "ML"), ("Lashio", "MM"), ("Laukkai", "MM"), ("Hsenwi", "MM"), ("Kutkai", "MM"),
         ("Bakhmut", "UA"), ("Avdiivka", "UA"), ("Kupiansk", "UA"), ("Lyman", "UA"), ("Izium", "UA"), ("Balakliia", "UA"),
         ("Vuhledar", "UA"), ("Marinka", "UA"), ("Pokrovsk", "UA"), ("Toretsk", "UA"), ("Kurakhove", "UA"),
         ("Baidoa", "SO"), ("Beledweyne", "SO"), ("Jowhar", "SO"), ("Kismayo", "SO"), ("Bardera", "SO"), ("Dhusamareb", "SO"),
         ("Goma", "CD"), ("Bukavu", "CD"), ("Rutshuru", "CD"), ("Kiwanja", "CD"), ("Sake", "CD"), ("Masisi", "CD"),
         ("Marib", "YE"), ("Hodeidah", "YE"), ("Taiz", "YE"), ("Sirte", "LY"), ("Derna", "LY"), ("Ajdabiya", "LY"),
         ("Mosul", "IQ"), ("Ramadi", "IQ"), ("Fallujah", "IQ"), ("Tikrit", "IQ"), ("Kunduz", "AF"), ("Ghazni", "AF"),
         ("El Fasher", "SD"), ("Nyala", "SD"), ("Wad Madani", "SD")]
ACTORS = {"SY": "Rebel fighters", "ML": "Malian troops", "MM": "MNDAA fighters", "UA": "Russian forces",
          "SO": "Al Shabaab fighters", "CD": "M23 rebels", "YE": "Houthi fighters", "LY": "LNA forces", "IQ": "Iraqi forces",
          "AF": "Taliban fighters", "SD": "RSF fighters"}
FILLER = ["Parliament debated the budget for the coming year.", "The central bank kept interest rates unchanged.",
          "A new bridge opened to traffic after three years of works.", "The national team won its qualifying match.",
          "Farmers expect a good harvest after the rains.", "The ministry announced new rules for school exams."]


def build_items(total: int, changes: int, seed: int = 7) -> tuple[list[list[dict]], list[tuple[str, str]]]:
    """Items per feed (a list per feed, in publication order) and the watched towns."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    towns = TOWNS[:changes] if changes <= len(TOWNS) else TOWNS
    feeds = 10 if total >= 2000 else 4
    per_feed: list[list[dict]] = [[] for _ in range(feeds)]
    stories = []
    for i in range(total):
        stories.append({"title": f"{rng.choice(FILLER)[:40]} ({i})", "description": rng.choice(FILLER)})
    for k, (town, cc) in enumerate(towns):
        slot = (k * max(1, total // max(1, len(towns)))) % total
        stories[slot] = {"title": f"{ACTORS[cc]} capture {town}",
                         "description": f"{ACTORS[cc]} captured the town of {town} on Monday, a monitoring group said."}
    for i, story in enumerate(stories):
        story["link"] = f"https://outlet{i % feeds}.example/story/{i}"
        story["date"] = format_datetime(now - timedelta(hours=2, seconds=i))
        per_feed[i % feeds].append(story)
    # Every third change is reported by a second outlet too: those alerts must also be confirmed, once.
    for k, (town, cc) in enumerate(towns):
        if k % 3 == 0:
            per_feed[(k + 1) % feeds].append({"title": f"{town} falls to {ACTORS[cc]}",
                                              "description": f"{town} fell to {ACTORS[cc]} on Monday, residents said.",
                                              "link": f"https://second{k}.example/{town}", "date": format_datetime(now)})
    return per_feed, towns


def rss(items: list[dict]) -> str:
    body = "".join(f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i['link']}</guid>"
                   f"<pubDate>{i['date']}</pubDate><description>{i['description']}</description></item>" for i in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Chaos</title><link>http://c/</link>{body}</channel></rss>'


class Redis:
    """valkey-server as its own process, so it can be SIGKILLed and restarted on the same data directory."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.sock = data / "valkey.sock"
        self.url = f"unix://{self.sock}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen([embedded_binary(), "--port", "0", "--unixsocket", str(self.sock), "--dir", str(self.data),
                                      "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                                      "--logfile", str(self.data / "valkey.log")], stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except (redis.RedisError, OSError):
                time.sleep(0.02)
        raise RuntimeError("valkey-server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


class Cluster:
    """The placewatch processes of one run, restarted whenever they die."""

    def __init__(self, work: Path, redis_url: str, config: Path) -> None:
        self.env = {**os.environ, "PLACEWATCH_REDIS_URL": redis_url, "PLACEWATCH_CONFIG": str(config),
                    "PLACEWATCH_LOG_LEVEL": os.environ.get("CHAOS_LOG_LEVEL", "error"), "PLACEWATCH_DATA_DIR": str(work)}
        self.log = open(work / "processes.log", "ab")
        self.poller = self._spawn("poll")
        self.workers = [self._spawn("worker"), self._spawn("worker")]

    def _spawn(self, command: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "monitor.cli", command], cwd=ROOT, env=self.env,
                                stdout=self.log, stderr=self.log)

    def supervise(self) -> None:
        if self.poller.poll() is not None:
            self.poller = self._spawn("poll")
        self.workers = [w if w.poll() is None else self._spawn("worker") for w in self.workers]

    def kill_worker(self, rng: random.Random) -> None:
        victim = rng.randrange(len(self.workers))
        self.workers[victim].send_signal(signal.SIGKILL)
        self.workers[victim].wait()
        self.workers[victim] = self._spawn("worker")

    def restart_poller(self) -> None:
        self.poller.terminate()
        self.poller.wait(timeout=20)
        self.poller = self._spawn("poll")

    def stop(self) -> None:
        for proc in [self.poller, *self.workers]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [self.poller, *self.workers]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()


def settled(r: redis.Redis, expected_seen: set[str]) -> bool:
    try:
        seen = {m.decode() for m in r.zrange(SEEN, 0, -1)}
        if not expected_seen <= seen:
            return False
        for name in (keys.QUEUE_ITEMS, keys.QUEUE_ALERTS):
            q = Queue(name, connection=r)
            if q.count or StartedJobRegistry(queue=q).count or ScheduledJobRegistry(queue=q).count:
                return False
        for key in r.scan_iter(match="rq:job:*", count=1000):
            if r.hget(key, "status") in (b"queued", b"started", b"scheduled"):
                return False  # a job taken off its queue by a worker that died: not done until it is put back
        return True
    except (redis.RedisError, OSError):
        return False


def snapshot(r: redis.Redis) -> dict:
    ledger = Ledger(r)
    out = {}
    for pk in sorted(ledger.places(100_000)):
        timeline = ledger.timeline(pk)
        state = derive_state(timeline, ledger.changes(pk))
        out[pk] = {"events": sorted((e["uid"], e["status"], (e.get("to") or {}).get("id")) for e in timeline),
                   "holder": (state["holder"] or {}).get("id"), "state": state["state"]}
    return out


def run(per_feed: list[list[dict]], towns: list, faults: bool, rng: random.Random, waves: int, timeout: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="pw-chaos-"))
    server = Redis(work)
    server.start()
    receiver = WebhookReceiver(SECRET)
    counts = {"worker_kills": 0, "redis_kills": 0, "poller_restarts": 0}
    with FeedServer() as feeds:
        urls = [feeds.set(f"/feed{f}.xml", rss([])) for f in range(len(per_feed))]
        config = work / "placewatch.toml"
        lines = ["[poller]", "allow_private = true", "min_interval = 2", "max_interval = 4", "timeout = 10", "",
                 "[[channels]]", 'name = "hook"', 'type = "webhook"', f'url = "{receiver.url}"', f'secret = "{SECRET}"', ""]
        for url in urls:
            lines += ["[[feeds]]", f'url = "{url}"', ""]
        for town, cc in towns:
            lines += ["[[watch]]", f'name = "{town}"', f'country = "{cc}"', ""]
        config.write_text("\n".join(lines))
        cluster = Cluster(work, server.url, config)
        expected_seen = {link_key(i["link"]) or item_id(None, i["link"], i["title"], None) for items in per_feed for i in items}
        started = time.time()
        wave_every = 1.0
        next_fault = time.time() + rng.uniform(0.3, 0.8)
        redis_killed = poller_restarted = False
        try:
            wave = 0
            while time.time() - started < timeout:
                if wave < waves and time.time() - started >= wave * wave_every:
                    wave += 1
                    for f, items in enumerate(per_feed):
                        feeds.set(f"/feed{f}.xml", rss(items[: len(items) * wave // waves]))
                faulting = faults and time.time() - started < waves * wave_every + 1.0
                if faulting and time.time() >= next_fault:
                    if not redis_killed and wave >= waves // 3 and not os.environ.get("CHAOS_NO_REDIS_KILL"):
                        server.kill()
                        counts["redis_kills"] += 1
                        time.sleep(1.0)
                        server.start()
                        redis_killed = True
                    elif not poller_restarted and wave >= waves // 2:
                        cluster.restart_poller()
                        counts["poller_restarts"] += 1
                        poller_restarted = True
                    else:
                        cluster.kill_worker(rng)
                        counts["worker_kills"] += 1
                    next_fault = time.time() + rng.uniform(0.3, 0.9)
                if faults and not faulting and counts["worker_kills"] < 10:
                    cluster.kill_worker(rng)  # keep the promise of >= 10 kills even on a fast machine
                    counts["worker_kills"] += 1
                    time.sleep(0.5)
                cluster.supervise()
                r = redis.Redis.from_url(server.url)
                if wave >= waves and settled(r, expected_seen) and time.time() - started > waves * wave_every + 3:
                    time.sleep(2.0)  # let the last deliveries land
                    if settled(r, expected_seen):
                        break
                time.sleep(0.1)
            r = redis.Redis.from_url(server.url)
            seen = {m.decode() for m in r.zrange(SEEN, 0, -1)}
            failed = sum(FailedJobRegistry(queue=Queue(n, connection=r)).count for n in (keys.QUEUE_ITEMS, keys.QUEUE_ALERTS))
            result = {
                "items": len(expected_seen), "lost": len(expected_seen - seen) + r.llen(keys.k("dead")), "failed_jobs": failed,
                "ledger": snapshot(r), "elapsed": time.time() - started,
                # A Standard Webhooks receiver acts once per webhook-id; a repeat of the same id is a redelivery.
                "deliveries": collections.Counter((d["body"]["data"]["id"], d["body"]["data"]["revision"])
                                                  for d in _first_per_webhook_id(receiver.received)),
                "redeliveries": len(receiver.received) - len(_first_per_webhook_id(receiver.received)),
                "bad_signatures": sum(not d["valid"] for d in receiver.received), **counts,
            }
        finally:
            cluster.stop()
            server.stop()
            receiver.close()
            if os.environ.get("CHAOS_KEEP"):
                print(f"kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    return result


def soak(total: int) -> None:
    """Push `total` items through ingest() and two workers; print Redis memory per item."""
    from monitor.poller.poll import ingest

    work = Path(tempfile.mkdtemp(prefix="pw-soak-"))
    server = Redis(work)
    server.start()
    r = redis.Redis.from_url(server.url)
    config = work / "placewatch.toml"
    config.write_text('[[watch]]\nname = "Kidal"\ncountry = "ML"\n[[channels]]\nname = "f"\ntype = "file"\n'
                      f'path = "{work / "alerts.jsonl"}"\n')
    cluster = Cluster(work, server.url, config)
    cluster.poller.terminate()
    base = r.info("memory")["used_memory"]
    started = time.time()
    try:
        batch = 500
        now = datetime.now(UTC).isoformat()
        for start in range(0, total, batch):
            items = [{"id": f"s{n}", "link_key": f"l{n:09d}", "link": f"https://soak.example/{n}", "title": FILLER[n % 6],
                      "html": FILLER[(n + 1) % 6], "published": now, "source": "soak.example"}
                     for n in range(start, min(total, start + batch))]
            ingest(r, items, "poll")
            while Queue(keys.QUEUE_ITEMS, connection=r).count > 200:
                time.sleep(0.05)
            if start % 100_000 == 0:
                print(f"{start:,} items in, {r.info('memory')['used_memory'] / 1e6:.0f} MB", flush=True)
        items_queue = Queue(keys.QUEUE_ITEMS, connection=r)
        while items_queue.count or StartedJobRegistry(queue=items_queue).count:
            time.sleep(0.5)
        used = r.info("memory")["used_memory"] - base
        print(f"soak: {total:,} items in {time.time() - started:.0f} s; Redis grew by {used / 1e6:.1f} MB, "
              f"{used / total:.0f} bytes per item (the seen-set entry; expires after seen_ttl_days)")
        print(json.dumps({"items": total, "redis_bytes_per_item": round(used / total), "redis_total_mb": round(used / 1e6, 1)}))
    finally:
        cluster.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _first_per_webhook_id(received: list[dict]) -> list[dict]:
    firsts: dict[str, dict] = {}
    for delivery in received:
        webhook_id = next(v for k, v in delivery["headers"].items() if k.lower() == "webhook-id")
        firsts.setdefault(webhook_id, delivery)
    return list(firsts.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="the CI form: fewer items, same faults")
    ap.add_argument("--soak", action="store_true", help="1,000,000 items; prints Redis memory per item")
    ap.add_argument("--items", type=int)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    logs.setup(level="error")
    if args.soak:
        soak(args.items or 1_000_000)
        return
    total, changes, waves, timeout = (1200, 24, 10, 150) if args.short else (5000, 60, 20, 400)
    per_feed, towns = build_items(args.items or total, changes)
    clean = run(per_feed, towns, False, random.Random(args.seed), waves, timeout)
    chaos = run(per_feed, towns, True, random.Random(args.seed), waves, timeout)
    expected = set(clean["deliveries"])
    delivered = chaos["deliveries"]
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    missing = expected - set(delivered)
    unexpected = set(delivered) - expected
    same_ledger = clean["ledger"] == chaos["ledger"]
    print(f"clean run: {clean['items']} items, {len(expected)} alert revisions delivered, "
          f"{len(clean['ledger'])} places in the ledger, {clean['elapsed']:.0f} s")
    print(f"chaos run: {chaos['worker_kills']} worker SIGKILLs, {chaos['redis_kills']} Redis SIGKILL, "
          f"{chaos['poller_restarts']} poller restart, {chaos['elapsed']:.0f} s")
    print(f"items {chaos['items']}, lost {chaos['lost']}, failed jobs {chaos['failed_jobs']}")
    print(f"alerts expected {len(expected)}, delivered {len(set(delivered) & expected)}, duplicates {duplicates}, "
          f"missing {len(missing)}, unexpected {len(unexpected)}, bad signatures {chaos['bad_signatures']}")
    print(f"redeliveries (the same webhook-id POSTed again after a worker died mid-send; receivers dedupe on it): "
          f"{chaos['redeliveries']}")
    print(f"ledgers identical: {same_ledger}")
    if missing:
        print(f"missing alert revisions: {sorted(missing)[:10]}")
    if duplicates:
        print(f"duplicated alert revisions: {sorted(k for k, n in delivered.items() if n > 1)[:10]}")
    if not same_ledger:
        diff = [k for k in set(clean["ledger"]) | set(chaos["ledger"]) if clean["ledger"].get(k) != chaos["ledger"].get(k)]
        print(f"ledger differences at: {diff[:10]}")
    print(json.dumps({"items": chaos["items"], "alerts_expected": len(expected),
                      "alerts_delivered": len(set(delivered) & expected), "duplicates": duplicates,
                      "redeliveries": chaos["redeliveries"],
                      "lost": chaos["lost"] + len(missing), "worker_kills": chaos["worker_kills"],
                      "redis_kills": chaos["redis_kills"], "ledgers_identical": same_ledger}))


if __name__ == "__main__":
    main()
