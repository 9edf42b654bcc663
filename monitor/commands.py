"""What each CLI command does. Kept apart from argument parsing so each piece stays small."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor import config as config_mod
from monitor import keys, logs, redisconn, runtime
from monitor.config import Config

log = logs.get("placewatch.cli")
out = sys.stdout.write


def _rt(cfg: Config) -> runtime.Runtime:
    return runtime.build(cfg)


# ---------- setup ----------

def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        sys.stderr.write(f"placewatch: {path} exists; use --force to overwrite\n")
        return 1
    text = config_mod.example_text().replace("__TOKEN__", secrets.token_urlsafe(24))
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # it holds the API token
    out(f"wrote {path}: edit its feeds, watched places and channels, then run 'placewatch --config {path} run'\n")
    return 0


def cmd_gazetteer(args: argparse.Namespace) -> int:
    from workers.extract import gazetteer

    if args.action == "build":
        started = time.time()
        path = gazetteer.build()
        if not args.quiet:
            out(f"gazetteer index at {path} ({path.stat().st_size / 1e6:.0f} MB, {time.time() - started:.1f} s)\n")
        return 0
    for place, main in gazetteer.shared().lookup(args.name):
        out(f"{place.geonameid}\t{place.name}\t{place.country}\tpop {place.population}\t"
            f"{place.lat:.4f},{place.lon:.4f}{'' if main else chr(9) + '(alternate name)'}\n")
    return 0


# ---------- services ----------

def cmd_run(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.cli import export_config_env

    export_config_env(args)
    rt = _rt(cfg)
    os.environ["PLACEWATCH_REDIS_URL"] = rt.redis_url  # workers attach to the same (embedded) server
    n = args.workers or cfg.workers
    log.info("placewatch_starting", redis=redisconn.redact(rt.redis_url), workers=n, feeds=len(cfg.feeds),
             watched=len(cfg.watch))
    children = [subprocess.Popen([sys.executable, "-m", "monitor.cli", "worker"], env=dict(os.environ))
                for _ in range(n)]
    api_server = None
    if not args.no_api:
        from monitor.api import serve_in_thread

        api_server = serve_in_thread(rt, cfg.api_host, cfg.api_port)
        log.info("dashboard_ready", url=f"http://{cfg.api_host}:{cfg.api_port}/",
                 writes="token from [api] in the config" if cfg.api_token else "disabled: set [api] token to allow changes")
    try:
        _poll_until_signal(rt, cfg)
    finally:
        log.info("placewatch_stopping")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # rq: finish the current job, then exit
        deadline = time.time() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        if api_server:
            api_server.should_exit = True
        log.info("placewatch_stopped")
    return 0


def _poll_until_signal(rt: runtime.Runtime, cfg: Config) -> None:
    """Run the poller until SIGINT or SIGTERM; the current round finishes and its items are queued first."""
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _poll_forever(rt, cfg, stop)

    asyncio.run(main())


async def _poll_forever(rt: runtime.Runtime, cfg: Config, stop: asyncio.Event) -> None:
    from monitor.poller import state
    from monitor.poller.poll import Poller

    state.sync_config(rt.r, cfg.feeds)
    _ = rt.watchlist  # resolve watched places now so config problems show at start
    websub = None
    if cfg.public_url:
        from monitor.poller.websub import WebSub

        websub = WebSub(rt.r, cfg.public_url, cfg.poller.allow_private)
    async with Poller(rt.r, cfg.poller, websub) as poller:
        await poller.run(stop)


def cmd_poll(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.poller import state
    from monitor.poller.poll import Poller

    rt = _rt(cfg)
    if not args.once:
        _poll_until_signal(rt, cfg)
        return 0
    state.sync_config(rt.r, cfg.feeds)

    async def once() -> int:
        async with Poller(rt.r, cfg.poller) as poller:
            return await poller.poll_all()

    count = asyncio.run(once())
    out(f"polled {count} feeds\n")
    return 0


def cmd_worker(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.workerproc import run_worker

    rt = _rt(cfg)
    return run_worker(rt, burst=args.burst)


def cmd_api(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.api import serve

    rt = _rt(cfg)
    serve(rt, args.host or cfg.api_host, args.port or cfg.api_port)
    return 0


# ---------- extraction ----------

def cmd_extract(args: argparse.Namespace) -> int:
    from monitor.extractcli import run_extract

    return run_extract(args)


def cmd_eval(args: argparse.Namespace) -> int:
    from monitor.evaluation import run_eval

    return run_eval(args)


# ---------- management ----------

def cmd_watch(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.watch import WatchError, parse_spec, resolve

    rt = _rt(cfg)
    if args.action == "add":
        spec = parse_spec(args.spec)
        spec.aliases = list(args.alias)
        try:
            watch = resolve(spec, rt.gazetteer, origin="cli")
        except WatchError as error:
            sys.stderr.write(f"placewatch: {error}\n")
            return 1
        rt.watchlist.add(watch)
        out(f"watching {watch.label} (id {watch.id})\n")
    elif args.action == "list":
        for w in rt.watchlist.all():
            extra = f" geonameid {w.geonameid}" if w.geonameid else ""
            out(f"{w.id}\t{w.label}\t{w.origin}{extra}\n")
    else:
        if not rt.watchlist.remove(args.ident):
            sys.stderr.write(f"placewatch: no watched place {args.ident!r} added from the CLI or API "
                             "(places in the config file are removed by editing it)\n")
            return 1
        out(f"stopped watching {args.ident}\n")
    return 0


def cmd_feeds(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.poller import state

    rt = _rt(cfg)
    if args.action == "add":
        if not args.url.startswith(("http://", "https://")):
            sys.stderr.write(f"placewatch: {args.url!r} is not an http(s) URL\n")
            return 1
        state.add(rt.r, args.url, args.name, args.interval)
        out(f"added {args.url}\n")
    elif args.action == "import":
        from monitor.opml import OPMLError, parse

        try:
            feeds = parse(Path(args.file).read_bytes())
        except (OSError, OPMLError) as error:
            sys.stderr.write(f"placewatch: {args.file}: {error}\n")
            return 1
        for feed in feeds:
            state.add(rt.r, feed["url"], feed["name"])
        out(f"imported {len(feeds)} feeds from {args.file}\n")
    elif args.action == "export":
        from monitor.opml import render

        state.sync_config(rt.r, cfg.feeds)
        out(render([{"url": u, "name": f.get("name") or f.get("title") or ""}
                    for u, f in sorted(state.all_feeds(rt.r).items())]))
    elif args.action == "remove":
        if not state.remove(rt.r, args.url):
            sys.stderr.write(f"placewatch: no feed {args.url}\n")
            return 1
        out(f"removed {args.url}\n")
    else:
        state.sync_config(rt.r, cfg.feeds)
        for url, f in sorted(state.all_feeds(rt.r).items()):
            health = "ok" if not f.get("errors") else f"{f['errors']} errors: {f.get('last_error')}"
            last = time.strftime("%Y-%m-%d %H:%M", time.gmtime(f["last_poll"])) if f.get("last_poll") else "never"
            out(f"{url}\t{f.get('name') or f.get('title') or ''}\tlast poll {last}\titems {f.get('items_total', 0)}\t{health}\n")
    return 0


def cmd_alerts(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.rules import render_text

    rt = _rt(cfg)
    for alert in rt.alerts.recent(args.limit):
        out((json.dumps(alert, ensure_ascii=False) if args.json else render_text(alert) + "\n") + "\n")
    return 0


def cmd_status(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.status import collect, render

    rt = _rt(cfg)
    info = collect(rt)
    out(json.dumps(info, indent=2) + "\n" if args.json else render(info))
    return 0


def cmd_ledger(args: argparse.Namespace, cfg: Config) -> int:
    from monitor.ledger import derive_state

    rt = _rt(cfg)
    keys_ = rt.ledger.find(args.place)
    if not keys_:
        sys.stderr.write(f"placewatch: the ledger has nothing on {args.place!r}\n")
        return 1
    for pk in keys_:
        timeline = rt.ledger.timeline(pk)
        current = derive_state(timeline, rt.ledger.changes(pk))
        if args.json:
            out(json.dumps({"place": rt.ledger.place(pk), "state": current, "timeline": timeline}, ensure_ascii=False) + "\n")
            continue
        place = rt.ledger.place(pk) or {}
        holder = (current["holder"] or {}).get("name", "unknown")
        out(f"{place.get('name')} ({place.get('country') or '??'}) — {current['state']}, holder {holder} "
            f"since {current['since'] or '?'}\n")
        for e in timeline:
            to = (e.get("to") or {}).get("name") or "-"
            frm = (e.get("from") or {}).get("name") or "-"
            out(f"  {e.get('when') or (e.get('published') or '')[:10]:<10}  {e['status']:<11} {frm} -> {to}  "
                f"[{e['certainty']}]  {e['evidence']['outlet'] or e['evidence']['source']}\n"
                f"      « {e['evidence']['text'][:160]} »\n")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from monitor.replay import run_replay

    return run_replay(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.demo import run_demo

    return run_demo()


def queue_depths(r: object) -> dict[str, int]:
    from rq import Queue

    return {name: Queue(name, connection=r).count for name in (keys.QUEUE_ITEMS, keys.QUEUE_ALERTS)}
