"""`placewatch extract`: text, a file, stdin or JSONL documents -> one JSON object per document."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from monitor import jsonl


def _documents(args: argparse.Namespace):  # noqa: ANN202 - a generator of dicts
    if args.input:
        for number, doc, problem in jsonl.read(args.input):
            if problem:
                sys.stderr.write(f"placewatch: {args.input}:{number}: {problem}; skipped\n")
            else:
                yield doc
        return
    source = args.source
    if source is None:
        raise SystemExit("placewatch extract: give text, a file, '-' for stdin, or --input FILE.jsonl")
    if source == "-":
        text, ident = sys.stdin.read(), "stdin"
    elif len(source) < 4096 and "\n" not in source and Path(source).is_file():
        text, ident = Path(source).read_text(encoding="utf-8", errors="replace"), source
    else:
        text, ident = source, "text"
    yield {"id": ident, "published": args.published, "title": args.title, "text": text}


def run_extract(args: argparse.Namespace) -> int:
    from workers.extract.engine import Extractor

    extractor = Extractor()
    write = sys.stdout.write
    for doc in _documents(args):
        result = extractor.extract(doc, explain=args.explain)
        if args.explain and not args.input:
            for event in result["events"]:
                sys.stderr.write(f"{event['rule']:<20} trigger={event['trigger']!r} place={event['place']['name']!r} "
                                 f"status={event['status']} span={event['span']}\n")
        write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0
