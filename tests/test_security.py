"""Security rules, each with a test that fails if the rule is removed: API tokens, signatures, the address guard,
secrets kept out of logs and status, Redis passwords and TLS."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr

import pytest
import redis
from starlette.testclient import TestClient

from monitor import logs, runtime
from monitor.api import create_app
from monitor.config import Channel, Config
from monitor.redisconn import embedded_binary, redact

TOKEN = "t0ken-" + "x" * 24


@pytest.fixture()
def client(redis_url, r):
    rt = runtime.Runtime(Config(api_token=TOKEN), redis_url)
    return TestClient(create_app(rt))


def test_state_changes_need_the_bearer_token(client):
    body = {"place": "Palmyra,SY"}
    assert client.post("/api/watch", json=body).status_code == 401
    assert client.post("/api/watch", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.post("/api/watch", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 201 and ok.json()["geonameid"] == 163808
    assert client.delete(f"/api/watch/{ok.json()['id']}").status_code == 401
    assert client.delete(f"/api/watch/{ok.json()['id']}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_configured_token_writes_are_refused(redis_url, r):
    rt = runtime.Runtime(Config(), redis_url)
    client = TestClient(create_app(rt))
    assert client.post("/api/watch", json={"place": "Palmyra,SY"}, headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/api/alerts").status_code == 200


def test_protect_reads_extends_the_token_to_reads(redis_url, r):
    rt = runtime.Runtime(Config(api_token=TOKEN, api_protect_reads=True), redis_url)
    client = TestClient(create_app(rt))
    assert client.get("/api/alerts").status_code == 401
    assert client.get("/api/alerts", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes stay open


def test_token_comparison_is_constant_time():
    import inspect

    from monitor import api
    assert "hmac.compare_digest" in inspect.getsource(api.create_app)


def test_bad_api_requests_get_clear_4xx(client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bad_json = client.post("/api/watch", content=b"{not json", headers=auth)
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]
    ambiguous = client.post("/api/watch", json={"place": "Palmyra"}, headers=auth)
    assert ambiguous.status_code == 422 and "give a country" in ambiguous.json()["error"]
    assert client.get("/api/alerts?limit=lots").status_code == 400
    assert client.get("/api/places/nowhere").status_code == 404


def test_secrets_never_reach_logs():
    buffer = io.StringIO()
    with redirect_stderr(buffer):
        logs.setup("json", "info")
        logs.get("t").info("connecting", token="abc123secret", smtp_password="hunter2", apprise_url="tgram://bot123/chat")
    logs.setup("json", "warning")
    text = buffer.getvalue()
    assert "abc123secret" not in text and "hunter2" not in text and "bot123" not in text and '"***"' in text


def test_secrets_never_reach_status(tmp_path, redis_url, r):
    from monitor.status import collect, render
    assert "sup3rsecret" not in redact("redis://:sup3rsecret@127.0.0.1:1/0")
    rt = runtime.Runtime(Config(channels=[Channel("chat", "apprise", {"url": "tgram://123456:SECRETBOT/42"}),
                                          Channel("mail", "email", {"to": "a@b", "password": "hunter2"})],
                                api_token=TOKEN), redis_url)
    info = collect(rt)
    text = json.dumps(info) + render(info)
    for secret in ("SECRETBOT", "hunter2", TOKEN):
        assert secret not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def password_redis(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([embedded_binary(), "--bind", "127.0.0.1", "--port", str(port), "--requirepass", "s3cret-pw",
                             "--save", "", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
    yield port
    proc.terminate()
    proc.wait()


def test_redis_password_in_the_url_works(password_redis):
    from monitor.redisconn import connect
    assert connect(f"redis://:s3cret-pw@127.0.0.1:{password_redis}/0").ping()
    with pytest.raises(redis.AuthenticationError):
        connect(f"redis://:wrong@127.0.0.1:{password_redis}/0").ping()
    result = subprocess.run([sys.executable, "-m", "monitor.cli", "status", "--json"], capture_output=True, text=True,
                            env={**os.environ, "PLACEWATCH_REDIS_URL": f"redis://:s3cret-pw@127.0.0.1:{password_redis}/0"},
                            timeout=60)
    assert result.returncode == 0 and "s3cret-pw" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["redis"] == f"redis://:***@127.0.0.1:{password_redis}/0"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
def test_rediss_tls_urls_work(password_redis, tmp_path):
    """The embedded valkey has no TLS built in, so a TLS terminator (stdlib ssl) stands in front of it here."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls_port = _free_port()
    ready = threading.Event()

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", password_redis)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", tls_port, ssl=context)
        ready.set()
        async with server:
            await asyncio.sleep(30)

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    ready.wait(5)
    from monitor.redisconn import connect
    client = connect(f"rediss://:s3cret-pw@127.0.0.1:{tls_port}/0?ssl_ca_certs={cert}&ssl_cert_reqs=required")
    assert client.ping() and client.set("k", "v") and client.get("k") == b"v"
    with pytest.raises(redis.ConnectionError):
        connect(f"rediss://:s3cret-pw@127.0.0.1:{tls_port}/0?ssl_cert_reqs=required").ping()  # unknown CA: refused
