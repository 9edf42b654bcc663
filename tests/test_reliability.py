"""Reliability: a SIGKILLed worker's job is requeued within seconds (not failed), poison items are dead-lettered
without blocking their batch, state stays bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from rq import Queue, Retry
from rq.registry import FailedJobRegistry

from monitor import keys
from monitor.status import collect
from workers.jobs import MAX_ITEM_ATTEMPTS, process_batch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _worker(redis_url: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "PLACEWATCH_REDIS_URL": redis_url, "PLACEWATCH_DATA_DIR": str(tmp_path),
           "PLACEWATCH_LOG_LEVEL": "warning"}
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sigkilled_workers_job_is_requeued_promptly_and_not_failed(r, redis_url, tmp_path):
    queue = Queue(keys.QUEUE_ITEMS, connection=r)
    job = queue.enqueue("tests.jobs_for_tests.slow", "k1", 3.0, retry=Retry(max=3), job_timeout=600)
    first = _worker(redis_url, tmp_path)
    try:
        assert _wait(lambda: r.get(keys.k("test", "runs", "k1")) == b"1", 30), "the first worker never started the job"
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.time()
        second = _worker(redis_url, tmp_path)
        try:
            assert _wait(lambda: r.exists(keys.k("test", "done", "k1")), 40)
            recovered_in = time.time() - killed_at
        finally:
            second.terminate()
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
    assert recovered_in < 30, f"took {recovered_in:.0f} s (RQ alone would wait ~11 minutes)"
    assert FailedJobRegistry(queue=queue).count == 0
    job.refresh()
    assert job.get_status() == "finished" and job.retries_left == 3  # requeued, no retry spent


class Poison:
    """Wraps the real extractor; one item always crashes it (a fake for a bug we cannot predict)."""

    def __init__(self, real, bad_id: str) -> None:
        self.real, self.bad_id = real, bad_id

    def extract(self, doc: dict, explain: bool = False) -> dict:
        if doc["id"] == self.bad_id:
            raise ValueError("extraction bug triggered by this item")
        return self.real.extract(doc, explain)


def test_poison_item_is_dead_lettered_and_does_not_block_its_batch(make_runtime):
    rt = make_runtime()
    rt.__dict__["extractor"] = Poison(rt.extractor, "bad")
    items = [{"id": "good1", "title": "Rebels seized Kidal", "text": "", "published": "2024-05-02", "link": "https://a/1"},
             {"id": "bad", "title": "x", "text": "", "published": "2024-05-02", "link": "https://a/2"},
             {"id": "good2", "title": "Calm day", "text": "", "published": "2024-05-02", "link": "https://a/3"}]
    for _attempt in range(MAX_ITEM_ATTEMPTS - 1):
        with pytest.raises(RuntimeError, match="1 item"):
            process_batch(items)  # RQ retries the batch; the good items are already applied and skip
    result = process_batch(items)
    assert result["dead"] == 1 and result["failed"] == 0
    info = collect(rt)
    assert info["dead_items"]["count"] == 1
    assert info["dead_items"]["latest"][0]["item"]["id"] == "bad"
    assert "extraction bug" in info["dead_items"]["latest"][0]["error"]
    assert rt.ledger.find("Kidal")  # the good item went through on the first try


def test_results_not_kept_and_seen_trimmed(r, make_runtime):
    from monitor.poller.poll import SEEN, ingest
    rt = make_runtime()
    ingest(r, [{"id": "x1", "link_key": "l1", "title": "t"}], "poll")
    job = Queue(keys.QUEUE_ITEMS, connection=r).jobs[0]
    assert job.result_ttl == 0
    r.zadd(SEEN, {"old": time.time() - 40 * 86400})
    r.zremrangebyscore(SEEN, "-inf", time.time() - rt.config.poller.seen_ttl_days * 86400)
    assert r.zscore(SEEN, "old") is None and r.zscore(SEEN, "l1") is not None
