"""The per-process service context: config, Redis, gazetteer, extractor, watch list, ledger and alert store.

Workers build it once (lazily, from PLACEWATCH_CONFIG and PLACEWATCH_REDIS_URL) and reuse it for every job,
so the gazetteer and the compiled grammar stay warm.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import redis

from monitor import config as config_mod
from monitor import logs, redisconn
from monitor.config import Channel, Config
from monitor.ledger import Ledger
from monitor.rulebook import RuleBook
from monitor.rules import AlertStore
from monitor.watch import WatchList, load_config_watches

log = logs.get("placewatch.runtime")


@dataclass
class Runtime:
    config: Config
    redis_url: str

    @cached_property
    def r(self) -> redis.Redis:
        return redisconn.connect(self.redis_url)

    @cached_property
    def gazetteer(self):  # noqa: ANN201 - imported lazily: the gazetteer is heavy and not every command needs it
        from workers.extract.gazetteer import shared

        return shared()

    @cached_property
    def extractor(self):  # noqa: ANN201
        from workers.extract.actors import ActorDictionary
        from workers.extract.engine import Extractor

        return Extractor(self.gazetteer, ActorDictionary(self.config.actors), self.config.areas)

    @cached_property
    def watchlist(self) -> WatchList:
        watches, errors = load_config_watches(self.config.watch, self.gazetteer)
        for error in errors:
            log.error("watch_config_error", problem=error)
        return WatchList(self.r, watches)

    @cached_property
    def rules(self) -> RuleBook:
        return RuleBook(self.r, self.config.rules)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.r)

    @cached_property
    def alerts(self) -> AlertStore:
        return AlertStore(self.r)

    @cached_property
    def channels(self) -> dict[str, Channel]:
        chans = self.config.channels or [Channel(name="console", type="console")]
        return {c.name: c for c in chans}


_current: Runtime | None = None


def build(cfg: Config, redis_url: str | None = None) -> Runtime:
    """A runtime for this process (starting the embedded Redis when no URL is configured)."""
    global _current
    url = redis_url or redisconn.resolve_url(cfg.redis_url, cfg.data_dir)
    _current = Runtime(cfg, url)
    return _current


def get() -> Runtime:
    """The process's runtime; inside a worker it is built from the environment on first use."""
    global _current
    if _current is None:
        cfg = config_mod.load(os.environ.get("PLACEWATCH_CONFIG"))
        build(cfg)
    return _current


def set_current(rt: Runtime | None) -> None:
    global _current
    _current = rt
