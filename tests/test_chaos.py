"""The CI form of the chaos test: real processes, SIGKILLed workers, a SIGKILLed Redis, a restarted poller."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_chaos_short_loses_nothing_and_keeps_the_ledger():
    result = subprocess.run([sys.executable, "bench/chaos.py", "--short"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["worker_kills"] >= 10 and counts["redis_kills"] == 1
    assert counts["lost"] == 0
    assert counts["alerts_delivered"] == counts["alerts_expected"] > 20
    assert counts["ledgers_identical"] is True
    # No alert revision reaches the receiving application twice: a worker SIGKILLed between the receiver's answer
    # and the delivery mark makes the retry POST again, but with the same webhook-id, which Standard Webhooks
    # receivers dedupe on (our receiver does). Such a redelivery shows in about 1 run in 7; more would be a bug.
    assert counts["duplicates"] == 0
    assert counts["redeliveries"] <= 1
