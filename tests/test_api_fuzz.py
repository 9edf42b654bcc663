"""schemathesis against our own OpenAPI spec, on a real server on 127.0.0.1: no request it generates gets a 5xx,
and every response matches the spec (status codes, content types, bodies, Allow headers).

positive_data_acceptance is left out: values that fit the schema can still be refused on meaning (a place the
gazetteer lacks gives 422, a rule naming a channel that does not exist gives 422), and that refusal is correct.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from monitor.api import serve_in_thread
from monitor.config import WatchedPlace
from workers.jobs import process_batch

TOKEN = "fuzz-token"


def test_schemathesis_finds_no_server_errors_and_no_spec_violations(make_runtime, tmp_path):
    rt = make_runtime(api_token=TOKEN, watch=[WatchedPlace(name="Kidal", country="ML")])
    process_batch([{"id": "k1", "title": "JNIM fighters seized Kidal from the Malian army", "text": "",
                    "published": "2026-11-27T10:00:00Z", "link": "https://one.example/k1", "source": "one.example"}])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve_in_thread(rt, "127.0.0.1", port)
    try:
        while not server.started:
            time.sleep(0.05)
        cli = Path(sys.executable).parent / "schemathesis"
        run = subprocess.run(
            [str(cli), "run", f"http://127.0.0.1:{port}/openapi.json", "-H", f"Authorization: Bearer {TOKEN}",
             "--exclude-path", "/api/alerts/live",  # an endless stream; tests/test_api.py covers it
             "--exclude-checks", "positive_data_acceptance", "-n", "40", "--seed", "7", "--no-color",
             "--generation-database", "none", "--request-timeout", "20"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
        summary = run.stdout[-4000:]
        assert run.returncode == 0, summary
        assert "Tested: 19" in run.stdout, summary  # every documented operation but the stream was exercised
    finally:
        server.should_exit = True
