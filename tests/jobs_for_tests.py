"""Job functions the reliability tests enqueue (importable by worker subprocesses)."""

import time

from monitor import keys, runtime


def slow(marker: str, seconds: float) -> str:
    rt = runtime.get()
    rt.r.incr(keys.k("test", "runs", marker))
    time.sleep(seconds)
    rt.r.set(keys.k("test", "done", marker), "1")
    return "ok"
