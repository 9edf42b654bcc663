"""JSON-lines file channel: one alert per line, appended under a lock so several workers can share the file."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

from monitor.notify.errors import DeliveryError


def send(options: dict, alert: dict) -> None:
    path = Path(options["path"]).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(alert, ensure_ascii=False) + "\n")
    except OSError as error:
        raise DeliveryError(f"cannot append to {path}: {error.strerror}") from None
