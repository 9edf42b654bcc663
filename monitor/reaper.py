"""Prompt recovery of jobs whose worker died (SIGKILL, OOM, power loss) or lost its Redis mid-step.

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
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from monitor import keys, logs

log = logs.get("placewatch.reaper")
HEARTBEAT_TTL_S = 3
BEAT_EVERY_S = 1.0
REAP_EVERY_S = 2.0


def alive_key(worker_name: str) -> str:
    return keys.k("alive", worker_name)


def _rescue_dequeued(r: redis.Redis, queue: Queue, grace_s: float) -> int:
    """A worker that dies between taking a job off the queue and registering it as started leaves the job in RQ's
    intermediate list, where RQ notices it only after a minute and then counts it as a failure. Put it back."""
    rescued = 0
    for raw in r.lrange(queue.intermediate_queue_key, 0, -1):
        job_id = raw.decode()
        try:
            job = Job.fetch(job_id, connection=r)
        except NoSuchJobError:
            continue
        if job.get_status() != JobStatus.QUEUED or job_id in queue.started_job_registry:
            continue
        if not _second_sighting(r, job_id, grace_s):
            continue
        pipe = r.pipeline()
        pipe.lrem(queue.intermediate_queue_key, 0, job_id)
        pipe.lpush(queue.key, job_id)
        pipe.delete(keys.k("stranded", job_id))
        pipe.execute()
        rescued += 1
        log.warning("stranded_job_requeued", job=job_id, queue=queue.name)
    return rescued


def _second_sighting(r: redis.Redis, job_id: str, grace_s: float) -> bool:
    """True when this job was already seen stranded at least grace_s ago (and nobody else is rescuing it)."""
    first = keys.k("stranded", job_id)
    if r.set(first, time.time(), nx=True, ex=600):
        return False  # first sighting: a live worker may be registering it right now
    if time.time() - float(r.get(first) or 0) < grace_s:
        return False
    return bool(r.set(keys.k("reaping", job_id), "1", nx=True, ex=30))


def _rescue_orphans(r: redis.Redis, queue: Queue, grace_s: float) -> int:
    """A worker listening on several queues takes a job with BLPOP; killed before it registers the job as started,
    it leaves a job that is 'queued' but in no list at all. Find such jobs and put them back."""
    listed = {j.decode() for j in r.lrange(queue.key, 0, -1)}
    listed |= {j.decode() for j in r.lrange(queue.intermediate_queue_key, 0, -1)}
    started = {e.decode().split(":")[0] for e in r.zrange(queue.started_job_registry.key, 0, -1)}
    rescued = 0
    for key in r.scan_iter(match="rq:job:*", count=1000):
        job_id = key.decode().rsplit(":", 1)[-1]
        if job_id in listed or job_id in started:
            continue
        status, origin = r.hmget(key, "status", "origin")
        if status != b"queued" or (origin or b"").decode() != queue.name:
            continue
        if _second_sighting(r, job_id, grace_s):
            r.lpush(queue.key, job_id)
            r.delete(keys.k("stranded", job_id))
            rescued += 1
            log.warning("orphaned_job_requeued", job=job_id, queue=queue.name)
    return rescued


def _promote_overdue(r: redis.Redis, queue: Queue, late_s: float = 5.0) -> int:
    """Retries wait in RQ's scheduled registry for the scheduler, which lives in one worker; if that worker was
    killed, its lock keeps others out for a minute or more. Move jobs overdue by late_s seconds back themselves."""
    registry = ScheduledJobRegistry(queue=queue)
    promoted = 0
    for raw in r.zrangebyscore(registry.key, 0, time.time() - late_s):
        job_id = raw.decode()
        if not r.set(keys.k("reaping", job_id), "1", nx=True, ex=10):
            continue
        try:
            job = Job.fetch(job_id, connection=r)
        except NoSuchJobError:
            r.zrem(registry.key, raw)
            continue
        if r.zrem(registry.key, raw):  # whoever removes it from the registry enqueues it: never twice
            queue.enqueue_job(job, at_front=True)
            promoted += 1
            log.warning("overdue_retry_promoted", job=job_id, queue=queue.name)
    return promoted


def reap(r: redis.Redis, queue_names: list[str], grace_s: float = 2.0) -> int:
    """Requeue started jobs whose worker is no longer alive; returns how many were requeued."""
    requeued = 0
    for name in queue_names:
        queue = Queue(name, connection=r)
        requeued += _rescue_dequeued(r, queue, grace_s) + _rescue_orphans(r, queue, grace_s) + _promote_overdue(r, queue)
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
