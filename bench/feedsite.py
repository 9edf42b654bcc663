"""A local feed site for benchmarks: /feed/N.xml for any N, small RSS documents whose items change each cycle.

Even-numbered feeds answer 304 when the client sends back their ETag (content unchanged); odd-numbered feeds
publish a new item every cycle (200). Run: uvicorn bench.feedsite:app --host 127.0.0.1 --port P
"""

from __future__ import annotations

import asyncio
import os
import time

CYCLE_S = 5  # the content of odd feeds changes every CYCLE_S seconds
# Real servers take time to answer (network round trip plus server work); simulate it without using CPU.
LATENCY_S = float(os.environ.get("FEEDSITE_LATENCY_MS", "0")) / 1000


def _rss(n: int, epoch: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {n} story {epoch - k}</title><link>https://site{n % 97}.example/{n}/{epoch - k}</link>"
        f"<guid>{n}-{epoch - k}</guid><pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate>"
        f"<description>Nothing about any place changing hands in story {epoch - k}.</description></item>"
        for k in range(5))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title><link>https://site.example/</link>'
            f"{items}</channel></rss>").encode()


async def app(scope: dict, receive, send) -> None:  # noqa: ANN001 - the ASGI signature
    if scope["type"] != "http":
        return
    path = scope["path"]
    try:
        n = int(path.rsplit("/", 1)[-1].split(".")[0])
    except ValueError:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if LATENCY_S:
        await asyncio.sleep(LATENCY_S)
    epoch = 0 if n % 2 == 0 else int(time.time() // CYCLE_S)
    etag = f'"{n}-{epoch}"'.encode()
    headers = dict(scope["headers"])
    if headers.get(b"if-none-match") == etag:
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", etag)]})
        await send({"type": "http.response.body", "body": b""})
        return
    body = _rss(n, epoch)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/rss+xml"), (b"etag", etag),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
