"""`placewatch replay`: documents -> extraction -> ledger -> alerts, offline, in publication order.

It uses a throwaway embedded Redis so a replay never touches the live ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from monitor import config as config_mod
from monitor import jsonl, redisconn, runtime
from monitor.poller import ids
from monitor.rules import render_text
from monitor.watch import AllPlaces, WatchError, WatchList, parse_spec, resolve


def _published_key(doc: dict) -> float:
    value = str(doc.get("published") or "")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        return 0.0


def load_documents(path: str) -> list[dict]:
    docs = []
    for number, doc, problem in jsonl.read(path):
        if problem or not (doc.get("text") or doc.get("title")):
            raise SystemExit(f"placewatch replay: {path}:{number}: {problem or 'needs an object with text or title'}")
        docs.append(doc)
    return sorted(docs, key=_published_key)


def to_item(doc: dict, number: int) -> dict:
    link = doc.get("link") or ""
    source = doc.get("source") or ids.domain(link) or f"source-{number}"
    return {"id": str(doc.get("id") or ids.item_id(None, link, doc.get("title"), doc.get("published"))),
            "link": link, "title": doc.get("title") or "", "text": doc.get("text") or "",
            "published": doc.get("published"), "source": ids.domain(link) or source, "outlet": source}


def replay(docs: list[dict], rt: runtime.Runtime) -> list[dict]:
    from workers.jobs import process_item

    alerts: list[dict] = []
    for number, doc in enumerate(docs):
        process_item(rt, to_item(doc, number), sink=alerts.append)
    return alerts


def alert_line(alert: dict) -> dict:
    place = alert["place"]
    return {"place": {"name": place["name"], "geonameid": place["geonameid"], "country": place["country"]},
            "status": alert["status"], "from": alert["from"], "to": alert["to"], "certainty": alert["certainty"],
            "when": alert["when"], "published": alert["published"], "evidence": alert["evidence"], "kind": alert["kind"]}


def run_replay(args: argparse.Namespace) -> int:
    docs = load_documents(args.file)
    cfg = config_mod.load(getattr(args, "config", None))
    with tempfile.TemporaryDirectory(prefix="placewatch-replay-") as tmp:
        server = redisconn.EmbeddedServer(Path(tmp))
        url = server.start()
        try:
            rt = runtime.Runtime(cfg, url)
            if args.all_places:
                watches = [AllPlaces(id="all", label="all places")]
            elif args.watch:
                watches = []
                for spec in args.watch:
                    try:
                        watches.append(resolve(parse_spec(spec), rt.gazetteer, origin="cli"))
                    except WatchError as error:
                        sys.stderr.write(f"placewatch replay: --watch {spec}: {error}\n")
                        return 2
            else:
                watches = list(rt.watchlist.config_watches)
            rt.watchlist = WatchList(None, watches)
            alerts = replay(docs, rt)
        finally:
            server.stop()
    for alert in alerts:
        if args.format == "jsonl":
            sys.stdout.write(json.dumps(alert_line(alert), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_text(alert) + "\n\n")
    if args.format == "text":
        sys.stdout.write(f"{len(alerts)} alert(s) from {len(docs)} document(s)\n")
    return 0
