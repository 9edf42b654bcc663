"""HTTP API (Starlette): health, places, timelines, alerts, feeds, watch management and metrics.

State-changing requests need `Authorization: Bearer <api.token>`; with api.protect_reads, reads do too.
"""

from __future__ import annotations

import hmac
import json
import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from monitor import keys
from monitor.ledger import derive_state
from monitor.runtime import Runtime
from monitor.watch import WatchError, parse_spec, resolve


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(rt: Runtime) -> Starlette:
    token = rt.config.api_token

    def authorized(request: Request, write: bool) -> bool:
        if not write and not rt.config.api_protect_reads:
            return True
        if not token:
            return not write  # no token configured: reads open, writes refused
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def guard(write: bool):  # noqa: ANN202 - decorator
        def wrap(handler):  # noqa: ANN001, ANN202
            async def inner(request: Request):  # noqa: ANN202
                if not authorized(request, write):
                    return _error(401, "missing or wrong bearer token")
                return await handler(request)
            return inner
        return wrap

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def readyz(request: Request) -> JSONResponse:
        try:
            rt.r.ping()
        except Exception as error:  # noqa: BLE001
            return JSONResponse({"ready": False, "error": type(error).__name__}, status_code=503)
        return JSONResponse({"ready": True})

    @guard(write=False)
    async def alerts(request: Request) -> JSONResponse:
        try:
            limit = max(1, min(500, int(request.query_params.get("limit", 50))))
        except ValueError:
            return _error(400, "limit must be a whole number")
        return JSONResponse(rt.alerts.recent(limit))

    @guard(write=False)
    async def places(request: Request) -> JSONResponse:
        out = []
        for pk in rt.ledger.places(1000):
            out.append({"key": pk, "place": rt.ledger.place(pk), "state": rt.ledger.state(pk)})
        return JSONResponse(out)

    @guard(write=False)
    async def place(request: Request) -> JSONResponse:
        pk = request.path_params["key"]
        timeline = rt.ledger.timeline(pk)
        if not timeline:
            return _error(404, f"no ledger entries for place {pk!r}")
        return JSONResponse({"key": pk, "place": rt.ledger.place(pk),
                             "state": derive_state(timeline, rt.ledger.changes(pk)), "timeline": timeline})

    @guard(write=False)
    async def feeds(request: Request) -> JSONResponse:
        from monitor.poller import state

        return JSONResponse(list(state.all_feeds(rt.r).values()))

    @guard(write=False)
    async def watch_list(request: Request) -> JSONResponse:
        return JSONResponse([w.__dict__ for w in rt.watchlist.all()])

    @guard(write=True)
    async def watch_add(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "body must be JSON like {\"place\": \"Palmyra,SY\", \"aliases\": []}")
        if not isinstance(body, dict) or not isinstance(body.get("place"), str):
            return _error(400, "body needs \"place\": a name[,country], a geonameid, or country:XX")
        spec = parse_spec(body["place"])
        spec.aliases = [a for a in body.get("aliases", []) if isinstance(a, str)]
        try:
            watch = resolve(spec, rt.gazetteer, origin="api")
        except (WatchError, ValueError) as error:
            return _error(422, str(error))
        rt.watchlist.add(watch)
        return JSONResponse(watch.__dict__, status_code=201)

    @guard(write=True)
    async def watch_remove(request: Request) -> JSONResponse:
        if not rt.watchlist.remove(request.path_params["ident"]):
            return _error(404, "no such watched place (config places are removed by editing the config)")
        return JSONResponse({"removed": request.path_params["ident"]})

    async def metrics(request: Request) -> PlainTextResponse:
        from monitor.commands import queue_depths

        stats = {k.decode(): float(v) for k, v in rt.r.hgetall(keys.k("stats")).items()}
        lines = []
        for name, value in sorted(stats.items()):
            lines.append(f"# TYPE placewatch_{name}_total counter\nplacewatch_{name}_total {value}")
        for name, depth in queue_depths(rt.r).items():
            lines.append(f'placewatch_queue_depth{{queue="{name}"}} {depth}')
        lines.append(f"placewatch_scrape_time {time.time()}")
        return PlainTextResponse("\n".join(lines) + "\n")

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
              Route("/api/alerts", alerts), Route("/api/places", places), Route("/api/places/{key}", place),
              Route("/api/feeds", feeds), Route("/api/watch", watch_list, methods=["GET"]),
              Route("/api/watch", watch_add, methods=["POST"]),
              Route("/api/watch/{ident}", watch_remove, methods=["DELETE"])]
    return Starlette(routes=routes)


def serve(rt: Runtime, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(rt), host=host, port=port, log_level="warning")


def serve_in_thread(rt: Runtime, host: str, port: int):  # noqa: ANN201 - uvicorn.Server
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(rt), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    return server
