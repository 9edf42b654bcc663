"""The placewatch command line. Every command has --help with examples."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from monitor import __version__, logs
from monitor import config as config_mod

EXAMPLES = {
    "init": "examples:\n  placewatch init\n  placewatch init --path /etc/placewatch.toml",
    "run": "examples:\n  placewatch run\n  placewatch --config placewatch.toml run --workers 4",
    "poll": "examples:\n  placewatch poll --once      # poll every feed once, enqueue new items, exit\n  placewatch poll",
    "worker": "examples:\n  placewatch worker\n  placewatch worker --burst   # drain the queues, then exit",
    "extract": ("examples:\n  placewatch extract \"Rebels seized the town of Saraqib on Monday.\" --published 2020-01-29\n"
                "  placewatch extract article.txt --title \"Army retakes Saraqib\"\n  cat story.txt | placewatch extract -\n"
                "  placewatch extract --input docs.jsonl > events.jsonl\n  placewatch extract --explain \"...\""),
    "eval": ("examples:\n  placewatch eval ../shared/eval/dev/acled.jsonl            # run the extractor, then score\n"
             "  placewatch eval gold.jsonl pred.jsonl --json"),
    "watch": ("examples:\n  placewatch watch add \"Palmyra,SY\" --alias Tadmur\n  placewatch watch add 163808\n"
              "  placewatch watch add country:ML\n  placewatch watch add \"Goma,CD@50km\"\n  placewatch watch list\n"
              "  placewatch watch remove Palmyra"),
    "feeds": ("examples:\n  placewatch feeds add https://example.org/world.rss --name \"Example world\"\n"
              "  placewatch feeds list\n  placewatch feeds remove https://example.org/world.rss\n"
              "  placewatch feeds import subscriptions.opml\n  placewatch feeds export > feeds.opml"),
    "alerts": "examples:\n  placewatch alerts\n  placewatch alerts --limit 5 --json",
    "status": "examples:\n  placewatch status\n  placewatch status --json",
    "ledger": "examples:\n  placewatch ledger Palmyra\n  placewatch ledger 163808 --json",
    "replay": ("examples:\n  placewatch replay stories.jsonl --watch Palmyra,SY\n"
               "  placewatch replay stories.jsonl --all-places --format jsonl"),
    "demo": "examples:\n  placewatch demo",
    "gazetteer": "examples:\n  placewatch gazetteer build\n  placewatch gazetteer lookup Palmyra",
    "api": "examples:\n  placewatch api --host 127.0.0.1 --port 8470",
}


def _sub(subparsers: argparse._SubParsersAction, name: str, help_: str) -> argparse.ArgumentParser:
    return subparsers.add_parser(name, help=help_, description=help_, epilog=EXAMPLES.get(name),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="placewatch", description="Watch news feeds; get alerted when a watched place changes hands.",
        epilog="Run 'placewatch COMMAND --help' for a command's options and examples.")
    parser.add_argument("--config", help="path to placewatch.toml (default: $PLACEWATCH_CONFIG or ./placewatch.toml)")
    parser.add_argument("--log-format", choices=["json", "console"], help="log format (default: console on a tty)")
    parser.add_argument("--version", action="version", version=f"placewatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _sub(sub, "init", "write a commented example placewatch.toml")
    p.add_argument("--path", default="placewatch.toml")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = _sub(sub, "run", "run everything: embedded Redis if needed, poller, workers and API")
    p.add_argument("--workers", type=int, help="worker processes (default: config 'workers')")
    p.add_argument("--no-api", action="store_true", help="do not serve the HTTP API")

    p = _sub(sub, "poll", "run the feed poller alone")
    p.add_argument("--once", action="store_true", help="poll every feed once and exit")

    p = _sub(sub, "worker", "run one RQ worker (items and alert deliveries)")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")

    p = _sub(sub, "extract", "print control events found in text, as JSON lines")
    p.add_argument("source", nargs="?", help="text, a file path, or - for standard input")
    p.add_argument("--input", help="JSONL documents {id, published, title, text}, one per line")
    p.add_argument("--published", help="publication date of the text (ISO), to resolve 'on Wednesday'")
    p.add_argument("--title", default="", help="headline of the text")
    p.add_argument("--explain", action="store_true", help="add the rule, trigger and span behind each event")

    p = _sub(sub, "eval", "score extraction against a gold file (same figures as shared/eval/score.py)")
    p.add_argument("gold")
    p.add_argument("pred", nargs="?", help="predictions; when left out, the extractor runs on the gold texts")
    p.add_argument("--json", action="store_true")

    p = _sub(sub, "watch", "manage watched places")
    wsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    wa = wsub.add_parser("add", help="watch a place: NAME[,COUNTRY], a geonameid, country:XX, or NAME,CC@50km")
    wa.add_argument("spec")
    wa.add_argument("--alias", action="append", default=[], help="another name for the place (repeatable)")
    wsub.add_parser("list", help="list watched places")
    wr = wsub.add_parser("remove", help="stop watching a place (by id or name)")
    wr.add_argument("ident")

    p = _sub(sub, "feeds", "manage feeds")
    fsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fa = fsub.add_parser("add", help="add a feed URL")
    fa.add_argument("url")
    fa.add_argument("--name", default="")
    fa.add_argument("--interval", type=int, help="fixed seconds between polls (default adaptive)")
    fsub.add_parser("list", help="list feeds with their health")
    fr = fsub.add_parser("remove", help="remove a feed")
    fr.add_argument("url")
    fi = fsub.add_parser("import", help="add every feed of an OPML file")
    fi.add_argument("file")
    fsub.add_parser("export", help="print the feed list as OPML")

    p = _sub(sub, "alerts", "show recent alerts")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")

    p = _sub(sub, "status", "queues, feeds, failed jobs, dead items and delivery failures")
    p.add_argument("--json", action="store_true")

    p = _sub(sub, "ledger", "print a place's control timeline")
    p.add_argument("place", help="a name or geonameid")
    p.add_argument("--json", action="store_true")

    p = _sub(sub, "replay", "run documents through extraction and the ledger offline; print the alerts")
    p.add_argument("file", help="JSONL documents {id, published, title, text, source, link}")
    p.add_argument("--watch", action="append", default=[], help="NAME[,COUNTRY] to watch (repeatable)")
    p.add_argument("--all-places", action="store_true", help="watch every place")
    p.add_argument("--format", choices=["text", "jsonl"], default="text")

    _sub(sub, "demo", "serve bundled sample feeds locally, run the whole pipeline, print the alert")

    p = _sub(sub, "gazetteer", "build or query the GeoNames index")
    gsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    gb = gsub.add_parser("build", help="build the index now (otherwise built on first use)")
    gb.add_argument("--quiet", action="store_true")
    gl = gsub.add_parser("lookup", help="places a name can mean")
    gl.add_argument("name")

    p = _sub(sub, "api", "serve the HTTP API alone")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.log_format)
    if not args.command:
        parser.print_help()
        return 2
    from monitor import commands

    handler = getattr(commands, "cmd_" + args.command)
    try:
        if args.command in ("init", "extract", "eval", "gazetteer", "demo", "replay"):
            return handler(args) or 0
        cfg = config_mod.load(args.config)
        return handler(args, cfg) or 0
    except config_mod.ConfigError as error:
        sys.stderr.write(f"placewatch: configuration error:\n{error}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def export_config_env(args: argparse.Namespace) -> None:
    """Child processes (workers) find the same config file."""
    path = config_mod.find_path(args.config)
    if path:
        os.environ["PLACEWATCH_CONFIG"] = str(Path(path).resolve())


if __name__ == "__main__":
    sys.exit(main())
