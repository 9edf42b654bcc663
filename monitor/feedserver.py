"""A tiny local HTTP server for feeds held in memory: used by the demo, tests and benchmarks (127.0.0.1 only)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    """Serves path -> (body bytes, content type); swap documents at any time with set()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.docs: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                doc = server.docs.get(self.path)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if doc is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, ctype = doc
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def set(self, path: str, body: bytes | str, ctype: str = "application/rss+xml; charset=utf-8") -> str:
        self.docs[path] = (body.encode() if isinstance(body, str) else body, ctype)
        return self.base + path

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
