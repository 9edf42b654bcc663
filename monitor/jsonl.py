"""Reading JSON-lines files with errors that name the file and line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator


def read(path: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object or None, problem or None) for each non-blank line of a JSONL file ("-": stdin).
    A file that cannot be opened raises SystemExit with the reason."""
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise SystemExit(f"placewatch: cannot read {path}: {error.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"not JSON ({error.msg})"
                continue
            if not isinstance(doc, dict):
                yield number, None, "not a JSON object"
                continue
            yield number, doc, None
