"""Structured logging: JSON lines for services, readable key=value output in a terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog

_SECRET_KEYS = ("token", "password", "secret", "apprise_url", "url_with_auth")


def _redact(_logger: object, _name: str, event: dict) -> dict:
    # Secrets must never reach a log line, whatever a caller passes in.
    for key in list(event):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = "***"
    return event


def setup(fmt: str | None = None, level: str | None = None) -> None:
    """Configure structlog once per process. fmt is 'json', 'console' or None (auto: console on a tty)."""
    fmt = fmt or os.environ.get("PLACEWATCH_LOG_FORMAT") or ("console" if sys.stderr.isatty() else "json")
    level_name = (level or os.environ.get("PLACEWATCH_LOG_LEVEL") or "info").upper()
    renderer = structlog.dev.ConsoleRenderer(colors=False) if fmt == "console" else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level_name, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Quieten libraries that log through the standard library (rq, httpx).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("rq").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def get(name: str = "placewatch") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
