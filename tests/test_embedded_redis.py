import os

import redis

from monitor.redisconn import EmbeddedServer, redact


def test_embedded_server_persists_and_second_process_reuses_it(tmp_path):
    first = EmbeddedServer(tmp_path)
    url = first.start()
    client = redis.Redis.from_url(url)
    client.set("k", "v")
    pid = client.info("server")["process_id"]
    assert client.config_get("appendonly")["appendonly"] == "yes"

    second = EmbeddedServer(tmp_path)
    assert second.start() == url
    assert redis.Redis.from_url(url).info("server")["process_id"] == pid  # reused, not a new server
    assert second.process is None

    # Another user is still attached (this test process registered twice; drop one registration first).
    first.stop()
    assert redis.Redis.from_url(url).ping()  # still up: this pid is attached through `second`
    second.stop()
    assert not (tmp_path / "redis" / "valkey.sock").exists() or not _alive(pid)
    assert any((tmp_path / "redis").glob("appendonly*")), "append-only files live in the data directory"

    again = EmbeddedServer(tmp_path)
    assert redis.Redis.from_url(again.start()).get("k") == b"v"  # persisted across restarts
    again.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_redact_hides_passwords():
    assert redact("redis://user:s3cret@host:6380/0") == "redis://user:***@host:6380/0"
    assert "s3cret" not in redact("rediss://:s3cret@host/0")
