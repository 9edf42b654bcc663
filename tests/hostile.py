"""A local HTTP server (127.0.0.1) that misbehaves on purpose, one path per kind of trouble."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import rss

GOOD = rss([{"title": "Quiet day", "link": "https://ok.example/1", "date": "Mon, 04 Mar 2024 10:00:00 GMT"},
            {"title": "Another", "link": "https://ok.example/2", "date": "Mon, 04 Mar 2024 11:00:00 GMT"}]).encode()
BOMB = gzip.compress(b"\0" * (40 * 1024 * 1024), compresslevel=9)  # 40 MB of zeros in ~40 KB
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}'.encode()
                     + (f'&lol{i - 1};'.encode() if i > 1 else b"&lol;") * 9 + b'">' for i in range(1, 10))
          + b']><rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>')
WRONG_ENCODING = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title>'
                  '<item><title>Forces entered Sanaá</title><link>https://enc.example/1</link></item></channel></rss>'
                  ).encode("windows-1252")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on a hostile answer is the point of these tests, not an error to print


class HostileServer:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if "Content-Length" not in (headers or {}) and "Transfer-Encoding" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802, C901 - one branch per misbehaviour is the point
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                xml = {"Content-Type": "application/rss+xml"}
                try:
                    if path in ("/ok", "/ok2", "/etag"):
                        if path == "/etag" and self.headers.get("If-None-Match") == '"v1"':
                            return self.send(304, headers={"ETag": '"v1"'})
                        return self.send(200, GOOD.replace(b"ok.example", path[1:].encode() + b".example"),
                                         {**xml, "ETag": '"v1"', "Last-Modified": "Mon, 04 Mar 2024 11:00:00 GMT"})
                    if path == "/429":
                        return self.send(429, b"slow down", {"Retry-After": "3600"})
                    if path == "/500":
                        return self.send(500, b"boom")
                    if path == "/timeout":
                        server.stop.wait(5)
                        return self.send(200, GOOD, xml)
                    if path == "/drip":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/rss+xml")
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                        for _ in range(100):
                            if server.stop.wait(0.2):
                                return
                            self.wfile.write(b" ")
                            self.wfile.flush()
                        return
                    if path == "/big":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/rss+xml")
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        chunk = b"x" * 65536
                        for _ in range(64):  # 4 MB, no Content-Length: the limit must hold while streaming
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    if path == "/bomb":
                        return self.send(200, BOMB, {**xml, "Content-Encoding": "gzip"})
                    if path == "/invalid":
                        return self.send(200, b"<rss><channel><item><title>unclosed & broken <<<", xml)
                    if path == "/laughs":
                        return self.send(200, LAUGHS, xml)
                    if path == "/html":
                        return self.send(200, b"<!doctype html><html><head><title>Home</title></head><body><p>Welcome"
                                              b"</p></body></html>", {"Content-Type": "text/html"})
                    if path in ("/loop-a", "/loop-b"):
                        return self.send(302, headers={"Location": "/loop-b" if path == "/loop-a" else "/loop-a"})
                    if path == "/moved":
                        return self.send(301, headers={"Location": "/ok2"})
                    if path == "/wrongenc":
                        return self.send(200, WRONG_ENCODING, xml)
                    return self.send(404, b"no such feed")
                except (BrokenPipeError, ConnectionResetError):
                    return None

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        time.sleep(0.05)
        self.httpd.shutdown()
        self.httpd.server_close()
