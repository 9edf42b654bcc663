"""Prompt recovery of jobs whose worker died (SIGKILL, OOM, power loss).

RQ only notices an abandoned job when its started-registry entry expires (the job timeout plus a minute), which
for our batch jobs is ten minutes. Each placewatch worker instead keeps a 3-second heartbeat key alive from a
thread; a reaper (in every worker, every 2 s) requeues, at the front and without spending a retry, any started job
whose worker's heartbeat is gone. Work is idempotent, so a job that did half its items and runs again is safe.
"""

from __future__ import annotations

import threading
import time

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from monitor import keys, logs

log = logs.get("placewatch.reaper")
HEARTBEAT_TTL_S = 3
BEAT_EVERY_S = 1.0
REAP_EVERY_S = 2.0


def alive_key(worker_name: str) -> str:
    return keys.k("alive", worker_name)


def reap(r: redis.Redis, queue_names: list[str], grace_s: float = 2.0) -> int:
    """Requeue started jobs whose worker is no longer alive; returns how many were requeued."""
    requeued = 0
    for name in queue_names:
        queue = Queue(name, connection=r)
        registry = StartedJobRegistry(queue=queue)
        for entry in r.zrange(registry.key, 0, -1):
            job_id = entry.decode().split(":")[0]
            try:
                job = Job.fetch(job_id, connection=r)
            except NoSuchJobError:
                r.zrem(registry.key, entry)
                continue
            if job.get_status() != JobStatus.STARTED or not job.worker_name:
                continue
            if r.exists(alive_key(job.worker_name)):
                continue
            started = job.started_at.timestamp() if job.started_at else 0
            if time.time() - started < grace_s:
                continue  # just picked up: its worker may not have beaten yet
            if not r.set(keys.k("reaping", job_id), "1", nx=True, ex=30):
                continue  # another reaper has it
            pipe = r.pipeline()
            pipe.zrem(registry.key, entry)
            pipe.execute()
            job.set_status(JobStatus.QUEUED)
            queue.enqueue_job(job, at_front=True)
            requeued += 1
            log.warning("abandoned_job_requeued", job=job_id, queue=name, dead_worker=job.worker_name)
    return requeued


class Heartbeat:
    """Keeps alive_key(worker_name) fresh from a daemon thread and reaps dead workers' jobs on the side."""

    def __init__(self, url_client: redis.Redis, worker_name: str, queue_names: list[str]) -> None:
        self.r = url_client
        self.worker_name = worker_name
        self.queue_names = queue_names
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="placewatch-heartbeat", daemon=True)

    def start(self) -> None:
        self.r.set(alive_key(self.worker_name), "1", ex=HEARTBEAT_TTL_S)
        self.thread.start()

    def _run(self) -> None:
        last_reap = 0.0
        while not self.stop.wait(BEAT_EVERY_S):
            try:
                self.r.set(alive_key(self.worker_name), "1", ex=HEARTBEAT_TTL_S)
                if time.monotonic() - last_reap > REAP_EVERY_S:
                    reap(self.r, self.queue_names)
                    last_reap = time.monotonic()
            except redis.RedisError as error:  # Redis restarting: keep trying, the worker itself will notice
                log.warning("heartbeat_failed", error=str(error))

    def close(self) -> None:
        self.stop.set()
        try:
            self.r.delete(alive_key(self.worker_name))
        except redis.RedisError:
            pass
