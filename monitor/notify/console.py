"""Console channel: the alert's text on standard output (the one place placewatch writes to stdout)."""

from __future__ import annotations

import sys

from monitor.rules import render_text


def send(options: dict, alert: dict) -> None:
    stream = sys.stderr if options.get("stream") == "stderr" else sys.stdout
    stream.write("\n[placewatch alert] " + render_text(alert) + "\n")
    stream.flush()
