"""Real local servers for tests: a webhook receiver that verifies Standard Webhooks signatures."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor.notify.webhook import verify


class PostRecorder:
    """A real HTTP server on 127.0.0.1 that answers every POST with `status` and hands (headers, body) to record()."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server.record({k: v for k, v in self.headers.items()}, body)
                self.send_response(server.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def record(self, headers: dict, body: bytes) -> None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver(PostRecorder):
    """Records every POST; `valid` says whether its signature verified with the shared secret."""

    def __init__(self, secret: str, status: int = 200) -> None:
        self.secret = secret
        self.received: list[dict] = []
        super().__init__(status)

    def record(self, headers: dict, body: bytes) -> None:
        self.received.append({"headers": headers, "body": json.loads(body), "at": time.time(),
                              "valid": verify(self.secret, headers, body)})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def rss(items: list[dict], title: str = "Test feed") -> str:
    """An RSS 2.0 document from dicts with title, link, guid, date (RFC 822) and description."""
    body = "".join(
        f"<item><title>{i['title']}</title><link>{i.get('link', '')}</link><guid>{i.get('guid', i.get('link', ''))}</guid>"
        f"<pubDate>{i['date']}</pubDate><description><![CDATA[{i.get('description', '')}]]></description></item>"
        for i in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>http://x/</link>{body}</channel></rss>'


class TileServer:
    """Serves the same PNG for every GET on 127.0.0.1 and records the paths asked for (a stand-in map tile server)."""

    def __init__(self, png: bytes) -> None:
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requested.append(self.path)
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.send_header("content-length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> TileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
