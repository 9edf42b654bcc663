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

    async def websub_verify(request: Request) -> PlainTextResponse:
        from monitor.poller import websub

        challenge = websub.verify_intent(rt.r, request.path_params["ident"], dict(request.query_params))
        if challenge is None:
            return PlainTextResponse("unknown subscription or topic", status_code=404)
        return PlainTextResponse(challenge)

    async def websub_push(request: Request) -> PlainTextResponse:
        from monitor.poller import parser, websub
        from monitor.poller.poll import ingest

        sub = websub.get(rt.r, request.path_params["ident"])
        body = await request.body()
        if sub is None:
            return PlainTextResponse("unknown subscription", status_code=404)
        if len(body) > rt.config.poller.max_bytes:
            return PlainTextResponse("body too large", status_code=413)
        if not websub.signature_ok(sub["secret"], body, request.headers.get("x-hub-signature")):
            # Per WebSub, a bad signature is acknowledged (2xx) and the content ignored.
            return PlainTextResponse("signature mismatch: ignored", status_code=202)
        try:
            _, items = parser.parse(body, sub["feed"])
        except parser.FeedParseError as error:
            return PlainTextResponse(f"not a feed: {error}", status_code=400)
        return PlainTextResponse(f"accepted {ingest(rt.r, items, via='websub')} new items", status_code=202)

    @guard(write=False)
    async def failures(request: Request) -> JSONResponse:
        raw = rt.r.zrevrange(keys.k("delivery", "failures"), 0, 99)
        dead = rt.r.lrange(keys.k("dead"), 0, 99)
        return JSONResponse({"delivery_failures": [json.loads(x) for x in raw],
                             "dead_items": [{k: v for k, v in json.loads(x).items() if k != "trace"} for x in dead]})

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
              Route("/api/watch/{ident}", watch_remove, methods=["DELETE"]),
              Route("/api/failures", failures),
              Route("/websub/{ident}", websub_verify, methods=["GET"]),
              Route("/websub/{ident}", websub_push, methods=["POST"])]
    return Starlette(routes=routes)


def serve(rt: Runtime, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(rt), host=host, port=port, log_level="warning")


def serve_in_thread(rt: Runtime, host: str, port: int):  # noqa: ANN201 - uvicorn.Server
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(rt), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    return server
