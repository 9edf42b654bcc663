"""Live alerts as Server-Sent Events, read from the alert stream in Redis.

Each event carries its stream id, so a client that reconnects with Last-Event-ID gets what it missed (within the
stream's trimmed length) and nothing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import redis.asyncio as aredis
from starlette.requests import Request

from monitor import logs
from monitor.rules import STREAM

log = logs.get("placewatch.api")
BLOCK_MS = 15_000  # also the keep-alive interval: proxies close idle connections
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def valid_stream_id(value: str | None) -> str | None:
    return value if value and STREAM_ID.match(value) else None


async def alert_events(redis_url: str, request: Request, last_id: str | None) -> AsyncIterator[str]:
    client = aredis.Redis.from_url(redis_url)
    try:
        if last_id is None:  # start from now: the newest entry, not "$", so nothing between reads is missed
            newest = await client.xrevrange(STREAM, count=1)
            last_id = newest[0][0].decode() if newest else "0-0"
        yield "retry: 2000\n: connected\n\n"
        while not await request.is_disconnected():
            reply = await client.xread({STREAM: last_id}, block=BLOCK_MS, count=100)
            if not reply:
                yield ": keep-alive\n\n"
                continue
            for entry_id, fields in reply[0][1]:
                last_id = entry_id.decode()
                alert = json.loads(fields[b"alert"])
                yield f"id: {last_id}\nevent: alert\ndata: {json.dumps(alert, separators=(',', ':'))}\n\n"
    except (aredis.ConnectionError, aredis.TimeoutError) as error:
        log.warning("live_alerts_redis_error", error=str(error))
        yield f"event: error\ndata: {json.dumps({'error': 'redis unavailable, reconnect'})}\n\n"
    finally:
        await client.aclose()
