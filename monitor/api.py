"""HTTP API (Starlette) and the dashboard it serves.

JSON under /api, live alerts as Server-Sent Events, /metrics for Prometheus, /openapi.json, and the single-page
dashboard at / with its static files. State-changing requests need `Authorization: Bearer <api.token>`; with
api.protect_reads, reads do too. Every error is JSON: {"error": "what is wrong and how to fix it"}.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor import keys, logs
from monitor.config import STATUSES
from monitor.rulebook import RuleError, rule_from_dict
from monitor.runtime import Runtime
from monitor.watch import WatchError, parse_spec, resolve
from monitor.web import live, metrics, queries

log = logs.get("placewatch.api")
WEB = Path(__file__).parent / "web"
STATIC = WEB / "static"
Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(ValueError):
    """A request the client must fix; becomes a 400 with the message."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.getlist(name)
    if not raw:
        return False
    if len(raw) > 1 or raw[0].lower() not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false, given once")
    return raw[0].lower() in ("true", "1")


def _time_param(request: Request, name: str) -> float | None:
    """Unix seconds, or an ISO 8601 date or date-time (UTC unless it says otherwise)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds):
            raise BadRequest(f"{name} must be a finite number of seconds, got {raw!r}")
        return seconds
    try:
        parsed = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except (ValueError, OverflowError):
        raise BadRequest(f"{name} must be Unix seconds or an ISO date like 2026-11-28 or 2026-11-28T06:00:00Z, "
                         f"got {raw!r}") from None


async def _json_body(request: Request, example: str) -> object:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(f"body must be JSON like {example}") from None


def _content_security_policy(tile_url: str | None) -> str:
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        images += f" {parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """Plain ASGI middleware (not BaseHTTPMiddleware, which gets in the way of streamed responses)."""

    HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def by_method(**handlers: Handler) -> Handler:
    """One endpoint per path, so a 405 on that path lists every method it has in Allow."""
    async def dispatch(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)
    return dispatch


def create_app(rt: Runtime) -> Starlette:
    token = rt.config.api_token
    csp = _content_security_policy(rt.config.tile_url)

    def authorized(request: Request, write: bool) -> bool:
        if not write and not rt.config.api_protect_reads:
            return True
        if not token:
            return not write  # no token configured: reads open, writes refused
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def guard(write: bool) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            async def inner(request: Request) -> Response:
                if not authorized(request, write):
                    hint = "set api.token in the config to allow changes" if write and not token else \
                        "send Authorization: Bearer <api.token>"
                    return _error(401, f"missing or wrong bearer token ({hint})")
                try:
                    return await handler(request)
                except BadRequest as error:
                    return _error(400, str(error))
            return inner
        return wrap

    # ---------- health and metrics ----------

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(request: Request) -> Response:
        try:
            await run_in_threadpool(rt.r.ping)
        except Exception as error:  # noqa: BLE001 - any failure to reach Redis means not ready
            return JSONResponse({"ready": False, "error": type(error).__name__}, status_code=503)
        return JSONResponse({"ready": True})

    @guard(write=False)
    async def prometheus(request: Request) -> Response:
        text = await run_in_threadpool(metrics.render, rt)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    # ---------- places, events, alerts, feeds ----------

    @guard(write=False)
    async def places(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(queries.places, rt, _bool_param(request, "all")))

    @guard(write=False)
    async def place(request: Request) -> Response:
        pk = request.path_params["key"]
        detail = await run_in_threadpool(queries.place_detail, rt, pk)
        if detail is None:
            return _error(404, f"no watched place or ledger entry has key {pk!r}; list keys at /api/places?all=true")
        return JSONResponse(detail)

    @guard(write=False)
    async def events(request: Request) -> Response:
        status = request.query_params.get("status")
        if status and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        found = await run_in_threadpool(
            queries.events, rt, request.query_params.get("place"), request.query_params.get("actor"), status,
            _time_param(request, "since"), _time_param(request, "until"), _int_param(request, "limit", 100, 1, 1000))
        return JSONResponse(found)

    @guard(write=False)
    async def alerts(request: Request) -> Response:
        limit = _int_param(request, "limit", 50, 1, 500)
        return JSONResponse(await run_in_threadpool(rt.alerts.recent, limit))

    @guard(write=False)
    async def alerts_live(request: Request) -> Response:
        last_id = live.valid_stream_id(request.headers.get("last-event-id") or request.query_params.get("after"))
        return StreamingResponse(live.alert_events(rt.redis_url, request, last_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @guard(write=False)
    async def feeds(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(queries.feed_health, rt))

    @guard(write=False)
    async def failures(request: Request) -> Response:
        def read() -> dict:
            raw = rt.r.zrevrange(keys.k("delivery", "failures"), 0, 99)
            dead = rt.r.lrange(keys.k("dead"), 0, 99)
            return {"delivery_failures": [json.loads(x) for x in raw],
                    "dead_items": [{k: v for k, v in json.loads(x).items() if k != "trace"} for x in dead]}
        return JSONResponse(await run_in_threadpool(read))

    @guard(write=False)
    async def gazetteer(request: Request) -> Response:
        q = request.query_params.get("q", "")
        if len(q) > 100:
            raise BadRequest("q is at most 100 characters")
        limit = _int_param(request, "limit", 8, 1, 25)
        countries = await run_in_threadpool(rt.gazetteer.countries)
        found = await run_in_threadpool(rt.gazetteer.complete, q, limit)
        return JSONResponse([{**p.as_dict(), "admin1": p.admin1, "country_name": countries.get(p.country, p.country),
                              "spec": str(p.geonameid)} for p, _ in found])

    # ---------- watch list and rules ----------

    @guard(write=False)
    async def watch_list(request: Request) -> Response:
        return JSONResponse([w.__dict__ for w in await run_in_threadpool(rt.watchlist.all)])

    @guard(write=True)
    async def watch_add(request: Request) -> Response:
        body = await _json_body(request, '{"place": "Palmyra,SY", "aliases": ["Tadmur"]}')
        if not isinstance(body, dict) or not isinstance(body.get("place"), str) or not body["place"].strip():
            raise BadRequest('body needs "place": a name[,country], a geonameid, country:XX or name,XX@50km')
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise BadRequest('"aliases" must be a list of names')
        try:
            spec = parse_spec(body["place"])
            spec.aliases = aliases
            watch = await run_in_threadpool(resolve, spec, rt.gazetteer, "api")
        except (WatchError, ValueError) as error:
            return _error(422, str(error))
        await run_in_threadpool(rt.watchlist.add, watch)
        log.info("watch_added", watch=watch.label, id=watch.id)
        return JSONResponse(watch.__dict__, status_code=201)

    def remover(remove: Callable[[str], bool], param: str, what: str) -> Handler:
        @guard(write=True)
        async def handler(request: Request) -> Response:
            if not await run_in_threadpool(remove, request.path_params[param]):
                return _error(404, f"no such {what} ({what}s from the config are removed by editing the config)")
            return JSONResponse({"removed": request.path_params[param]})
        return handler

    watch_remove = remover(rt.watchlist.remove, "ident", "watched place")

    @guard(write=False)
    async def rule_list(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(rt.rules.describe))

    @guard(write=True)
    async def rule_add(request: Request) -> Response:
        body = await _json_body(request, '{"name": "captures only", "statuses": ["captured"]}')
        try:
            rule = rule_from_dict(body, set(rt.channels))
            await run_in_threadpool(rt.rules.add, rule)
        except RuleError as error:
            return _error(422, str(error))
        return JSONResponse(rule.__dict__, status_code=201)

    rule_remove = remover(rt.rules.remove, "name", "rule")

    # ---------- dashboard ----------

    async def settings(request: Request) -> Response:
        return JSONResponse({"tile_url": rt.config.tile_url, "reads_need_token": rt.config.api_protect_reads,
                             "writes_enabled": bool(token)})

    async def dashboard(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})

    async def openapi(request: Request) -> Response:
        return FileResponse(WEB / "openapi.json", media_type="application/json")

    # ---------- WebSub ----------

    async def websub_verify(request: Request) -> Response:
        from monitor.poller import websub

        challenge = websub.verify_intent(rt.r, request.path_params["ident"], dict(request.query_params))
        if challenge is None:
            return PlainTextResponse("unknown subscription or topic", status_code=404)
        return PlainTextResponse(challenge)

    async def websub_push(request: Request) -> Response:
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

    # ---------- errors ----------

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: f"no such endpoint: {request.url.path} (see /openapi.json)",
                    405: f"{request.method} is not allowed on {request.url.path} (see /openapi.json)"}
        response = _error(exc.status_code, messages.get(exc.status_code, exc.detail))
        response.headers.update(exc.headers or {})  # 405 keeps its Allow header
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("api_error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
        return _error(500, "internal error; the server log has the details")

    routes = [
        Route("/", dashboard), Route("/openapi.json", openapi), Mount("/static", StaticFiles(directory=STATIC)),
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", prometheus),
        Route("/api/settings", settings), Route("/api/places", places), Route("/api/places/{key}", place),
        Route("/api/events", events), Route("/api/alerts", alerts), Route("/api/alerts/live", alerts_live),
        Route("/api/feeds", feeds), Route("/api/failures", failures), Route("/api/gazetteer", gazetteer),
        Route("/api/watch", by_method(GET=watch_list, POST=watch_add), methods=["GET", "POST"]),
        Route("/api/watch/{ident}", watch_remove, methods=["DELETE"]),
        Route("/api/rules", by_method(GET=rule_list, POST=rule_add), methods=["GET", "POST"]),
        Route("/api/rules/{name}", rule_remove, methods=["DELETE"]),
        Route("/websub/{ident}", by_method(GET=websub_verify, POST=websub_push), methods=["GET", "POST"]),
    ]
    middleware = [Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=2048)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    return app


def _server(rt: Runtime, host: str, port: int):  # noqa: ANN202 - uvicorn.Server
    import uvicorn

    # A short graceful timeout: open live-alert streams would otherwise hold shutdown for their whole life.
    return uvicorn.Server(uvicorn.Config(create_app(rt), host=host, port=port, log_level="warning",
                                         timeout_graceful_shutdown=2))


def serve(rt: Runtime, host: str, port: int) -> None:
    _server(rt, host, port).run()


def serve_in_thread(rt: Runtime, host: str, port: int):  # noqa: ANN201 - uvicorn.Server
    server = _server(rt, host, port)
    threading.Thread(target=server.run, daemon=True).start()
    return server
