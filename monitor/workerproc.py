"""A worker process: an RQ SimpleWorker over the alerts and items queues, extraction kept warm between jobs."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from monitor import keys, logs, redisconn
from monitor.reaper import Heartbeat
from monitor.runtime import Runtime

log = logs.get("placewatch.worker")


def run_worker(rt: Runtime, burst: bool = False) -> int:
    # Deliveries first: an alert waiting behind a long batch is the latency users feel.
    queues = [Queue(keys.QUEUE_ALERTS, connection=rt.r), Queue(keys.QUEUE_ITEMS, connection=rt.r)]
    _ = rt.extractor  # load the gazetteer and grammar before the first job, not during it
    _ = rt.watchlist
    worker = SimpleWorker(queues, connection=rt.r, maintenance_interval=30)
    heartbeat = Heartbeat(redisconn.connect(rt.redis_url), worker.name, [q.name for q in queues])
    heartbeat.start()
    log.info("worker_started", queues=[q.name for q in queues], burst=burst, name=worker.name)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
    finally:
        heartbeat.close()
    return 0
