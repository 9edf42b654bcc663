"""Load and validate placewatch.toml.

Found through --config, else PLACEWATCH_CONFIG, else ./placewatch.toml when it exists; with none the
defaults apply. PLACEWATCH_REDIS_URL and PLACEWATCH_DATA_DIR override the file. Every error names the
file, the key (and its line when it can be found), what is wrong and how to fix it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHANNEL_TYPES = ("console", "file", "webhook", "apprise", "email")
STATUSES = ("captured", "withdrew", "contested", "anticipated", "held")
CERTAINTIES = ("claimed", "confirmed")
ENV_VARS = ("PLACEWATCH_CONFIG", "PLACEWATCH_REDIS_URL", "PLACEWATCH_DATA_DIR", "PLACEWATCH_LOG_FORMAT",
            "PLACEWATCH_LOG_LEVEL", "PLACEWATCH_API_TOKEN", "PLACEWATCH_KEY_PREFIX", "PLACEWATCH_REDIS_FSYNC",
            "PLACEWATCH_CACHE_DIR")


class ConfigError(ValueError):
    """A config problem, phrased for the person who edits the file."""


@dataclass
class Feed:
    url: str
    name: str = ""
    interval: int | None = None  # seconds; None = adaptive within poller bounds
    fetch_full: bool = False


@dataclass
class WatchedPlace:
    name: str = ""
    country: str | None = None
    geonameid: int | None = None
    aliases: list[str] = field(default_factory=list)
    radius_km: float | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class Channel:
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rule:
    name: str = "default"
    statuses: list[str] = field(default_factory=lambda: ["captured", "withdrew"])
    min_certainty: str = "claimed"
    actors: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # empty = every channel
    quiet_minutes: int = 0


@dataclass
class PollerSettings:
    min_interval: int = 120
    max_interval: int = 3600
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    concurrency: int = 64
    per_host: int = 2
    seen_ttl_days: int = 30
    user_agent: str = "placewatch/0.1 (+https://github.com/placewatch/placewatch)"
    allow_private: bool = False  # let fetches reach private/loopback addresses (local test feeds, intranets)
    alert_after_errors: int = 0  # record a feed-down notice after this many consecutive errors (0: never)
    article_max_bytes: int = 5_000_000
    article_timeout: float = 15.0


@dataclass
class Config:
    path: Path | None = None
    data_dir: Path = field(default_factory=lambda: Path("data"))
    redis_url: str | None = None
    workers: int = 2
    feeds: list[Feed] = field(default_factory=list)
    watch: list[WatchedPlace] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=lambda: [Rule()])
    poller: PollerSettings = field(default_factory=PollerSettings)
    actors: list[dict[str, Any]] = field(default_factory=list)  # extra actor dictionary entries
    areas: list[dict[str, Any]] = field(default_factory=list)  # user-defined places
    api_host: str = "127.0.0.1"
    api_port: int = 8470
    api_token: str | None = None
    api_protect_reads: bool = False
    public_url: str | None = None  # where hubs reach this API (WebSub callbacks); unset: no WebSub
    tile_url: str | None = None  # map tiles under the dashboard's country shapes; unset: shapes only, no request out


class _Checker:
    """Collects errors with file, key path and line so one load reports every problem at once."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path, self.lines, self.errors = path, text.splitlines(), []

    def where(self, key: str) -> str:
        leaf = key.rsplit(".", 1)[-1].split("[")[0]
        line = next((i for i, ln in enumerate(self.lines, 1) if re.match(rf"\s*{re.escape(leaf)}\s*=", ln)), None)
        name = str(self.path) if self.path else "<config>"
        return f"{name}:{line}: {key}" if line else f"{name}: {key}"

    def fail(self, key: str, problem: str, fix: str) -> None:
        self.errors.append(f"{self.where(key)}: {problem} (fix: {fix})")

    def typed(self, table: dict, key: str, kind: type | tuple, path: str, default: Any = None) -> Any:
        if key not in table:
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(path, f"expected {names}, got {type(value).__name__} {value!r}", f"write {key} as a {names}")
            return default
        return value


def _known(chk: _Checker, table: dict, allowed: set[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            chk.fail(f"{path}.{key}" if path else key, "unknown key", f"remove it or use one of {sorted(allowed)}")


def parse(text: str, path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Parse and validate config text; raise ConfigError listing every problem."""
    env = dict(os.environ) if env is None else env
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path or '<config>'}: not valid TOML: {error} (fix: check quotes and brackets there)") from None
    chk = _Checker(path, text)
    cfg = Config(path=path)
    top = {"data_dir", "redis", "workers", "feeds", "watch", "channels", "rules", "poller", "actors", "areas", "api"}
    _known(chk, raw, top, "")
    base = path.parent if path else Path.cwd()
    data_dir = chk.typed(raw, "data_dir", str, "data_dir")
    if data_dir:
        cfg.data_dir = (base / data_dir).resolve() if not Path(data_dir).is_absolute() else Path(data_dir)
    redis = raw.get("redis", {})
    if isinstance(redis, dict):
        _known(chk, redis, {"url"}, "redis")
        cfg.redis_url = chk.typed(redis, "url", str, "redis.url") or None
    workers = chk.typed(raw, "workers", int, "workers", 2)
    if not 1 <= workers <= 64:
        chk.fail("workers", f"{workers} is out of range", "use a number of worker processes from 1 to 64")
    cfg.workers = workers
    _parse_feeds(chk, raw.get("feeds", []), cfg)
    _parse_watch(chk, raw.get("watch", []), cfg)
    _parse_channels(chk, raw.get("channels", []), cfg)
    _parse_rules(chk, raw.get("rules"), cfg)
    _parse_poller(chk, raw.get("poller", {}), cfg)
    cfg.actors = [a for a in raw.get("actors", []) if isinstance(a, dict)]
    for i, actor in enumerate(cfg.actors):
        for key in ("id", "name"):
            if not isinstance(actor.get(key), str):
                chk.fail(f"actors[{i}].{key}", "missing or not a string", f'add {key} = "..." to that actor')
    cfg.areas = [a for a in raw.get("areas", []) if isinstance(a, dict)]
    api = raw.get("api", {})
    if isinstance(api, dict):
        _known(chk, api, {"host", "port", "token", "protect_reads", "public_url", "tile_url"}, "api")
        cfg.api_host = chk.typed(api, "host", str, "api.host", cfg.api_host)
        cfg.api_port = chk.typed(api, "port", int, "api.port", cfg.api_port)
        cfg.api_token = chk.typed(api, "token", str, "api.token") or None
        cfg.api_protect_reads = chk.typed(api, "protect_reads", bool, "api.protect_reads", False)
        cfg.public_url = (chk.typed(api, "public_url", str, "api.public_url") or "").rstrip("/") or None
        cfg.tile_url = chk.typed(api, "tile_url", str, "api.tile_url") or None
        if cfg.tile_url and not (re.match(r"^https?://[^/\s]+/", cfg.tile_url)
                                 and all(f"{{{p}}}" in cfg.tile_url for p in "zxy")):
            chk.fail("api.tile_url", f"{cfg.tile_url!r} is not a tile URL template",
                     'write it like "https://tile.example.org/{z}/{x}/{y}.png"')
    if chk.errors:
        raise ConfigError("\n".join(chk.errors))
    _apply_env(cfg, env)
    return cfg


def _parse_feeds(chk: _Checker, feeds: Any, cfg: Config) -> None:
    if not isinstance(feeds, list):
        chk.fail("feeds", "must be an array of tables", 'write each feed as [[feeds]] with url = "..."')
        return
    for i, item in enumerate(feeds):
        p = f"feeds[{i}]"
        if not isinstance(item, dict):
            chk.fail(p, "must be a table", 'write [[feeds]] then url = "..."')
            continue
        _known(chk, item, {"url", "name", "interval", "fetch_full"}, p)
        url = chk.typed(item, "url", str, f"{p}.url", "")
        if not re.match(r"^https?://[^\s/]+", url or ""):
            chk.fail(f"{p}.url", f"{url!r} is not an http(s) URL", 'give the full feed address, e.g. "https://example.org/rss"')
            continue
        interval = chk.typed(item, "interval", int, f"{p}.interval")
        if interval is not None and interval < 30:
            chk.fail(f"{p}.interval", f"{interval} s is too short", "use at least 30 seconds, or leave it out")
        cfg.feeds.append(Feed(url=url, name=chk.typed(item, "name", str, f"{p}.name", ""), interval=interval,
                              fetch_full=chk.typed(item, "fetch_full", bool, f"{p}.fetch_full", False)))


def _parse_watch(chk: _Checker, watch: Any, cfg: Config) -> None:
    if not isinstance(watch, list):
        chk.fail("watch", "must be an array of tables", 'write each place as [[watch]] with name = "..."')
        return
    for i, item in enumerate(watch):
        p = f"watch[{i}]"
        if not isinstance(item, dict):
            chk.fail(p, "must be a table", 'write [[watch]] then name = "..."')
            continue
        _known(chk, item, {"name", "country", "geonameid", "aliases", "radius_km", "lat", "lon"}, p)
        place = WatchedPlace(
            name=chk.typed(item, "name", str, f"{p}.name", ""),
            country=chk.typed(item, "country", str, f"{p}.country"),
            geonameid=chk.typed(item, "geonameid", int, f"{p}.geonameid"),
            aliases=chk.typed(item, "aliases", list, f"{p}.aliases", []),
            radius_km=chk.typed(item, "radius_km", float, f"{p}.radius_km"),
            lat=chk.typed(item, "lat", float, f"{p}.lat"),
            lon=chk.typed(item, "lon", float, f"{p}.lon"),
        )
        if place.country and not re.fullmatch(r"[A-Za-z]{2}", place.country):
            chk.fail(f"{p}.country", f"{place.country!r} is not a two-letter country code", 'use ISO codes like "SY"')
        if not (place.name or place.geonameid or place.country or place.lat is not None):
            chk.fail(p, "names no place", "give name, geonameid, country, or lat/lon with radius_km")
        if (place.lat is None) != (place.lon is None):
            chk.fail(p, "has only one of lat and lon", "give both, or neither")
        cfg.watch.append(place)


def _parse_channels(chk: _Checker, channels: Any, cfg: Config) -> None:
    if not isinstance(channels, list):
        chk.fail("channels", "must be an array of tables", 'write each channel as [[channels]] with type = "..."')
        return
    names: set[str] = set()
    for i, item in enumerate(channels):
        p = f"channels[{i}]"
        if not isinstance(item, dict):
            chk.fail(p, "must be a table", 'write [[channels]] then type = "console"')
            continue
        ctype = item.get("type")
        if ctype not in CHANNEL_TYPES:
            chk.fail(f"{p}.type", f"{ctype!r} is not a channel type", f"use one of {', '.join(CHANNEL_TYPES)}")
            continue
        name = str(item.get("name") or f"{ctype}{i}")
        if name in names:
            chk.fail(f"{p}.name", f"{name!r} is used twice", "give each channel its own name")
        names.add(name)
        needs = {"file": "path", "webhook": "url", "apprise": "url", "email": "to"}.get(ctype)
        if needs and not isinstance(item.get(needs), str | list):
            chk.fail(f"{p}.{needs}", f"a {ctype} channel needs {needs}", f'add {needs} = "..." to that channel')
        if ctype == "webhook" and not str(item.get("url", "")).startswith(("http://", "https://")):
            chk.fail(f"{p}.url", "a webhook url must start with http:// or https://", "give the receiver's full URL")
        options = {k: v for k, v in item.items() if k not in ("type", "name")}
        cfg.channels.append(Channel(name=name, type=ctype, options=options))


def _parse_rules(chk: _Checker, rules: Any, cfg: Config) -> None:
    if rules is None:
        return
    if not isinstance(rules, list):
        chk.fail("rules", "must be an array of tables", "write each rule as [[rules]]")
        return
    cfg.rules = []
    channel_names = {c.name for c in cfg.channels}
    for i, item in enumerate(rules):
        p = f"rules[{i}]"
        if not isinstance(item, dict):
            chk.fail(p, "must be a table", "write [[rules]] then statuses = [...]")
            continue
        _known(chk, item, {"name", "statuses", "min_certainty", "actors", "channels", "quiet_minutes"}, p)
        rule = Rule(name=chk.typed(item, "name", str, f"{p}.name", f"rule{i}"),
                    statuses=chk.typed(item, "statuses", list, f"{p}.statuses", ["captured", "withdrew"]),
                    min_certainty=chk.typed(item, "min_certainty", str, f"{p}.min_certainty", "claimed"),
                    actors=chk.typed(item, "actors", list, f"{p}.actors", []),
                    channels=chk.typed(item, "channels", list, f"{p}.channels", []),
                    quiet_minutes=chk.typed(item, "quiet_minutes", int, f"{p}.quiet_minutes", 0))
        for key, problem, fix in rule_problems(rule, channel_names):
            chk.fail(f"{p}.{key}", problem, fix)
        cfg.rules.append(rule)


def rule_problems(rule: Rule, channel_names: set[str]) -> list[tuple[str, str, str]]:
    """(key, problem, fix) for each invalid field of a rule; shared by the config file and the HTTP API."""
    problems = []
    for status in rule.statuses:
        if status not in STATUSES:
            problems.append(("statuses", f"{status!r} is not a status", f"use some of {', '.join(STATUSES)}"))
    if rule.min_certainty not in CERTAINTIES:
        problems.append(("min_certainty", f"{rule.min_certainty!r} is not a certainty", 'use "claimed" or "confirmed"'))
    for name in rule.channels:
        if name not in channel_names:
            problems.append(("channels", f"no channel is named {name!r}", f"use one of {sorted(channel_names)}"))
    if rule.quiet_minutes < 0:
        problems.append(("quiet_minutes", "must not be negative", "use 0 for no quiet period"))
    return problems


def _parse_poller(chk: _Checker, poller: Any, cfg: Config) -> None:
    if not isinstance(poller, dict):
        chk.fail("poller", "must be a table", "write [poller] then min_interval = 120")
        return
    s = cfg.poller
    fields = {"min_interval": int, "max_interval": int, "timeout": float, "max_bytes": int, "concurrency": int,
              "per_host": int, "seen_ttl_days": int, "user_agent": str, "allow_private": bool, "alert_after_errors": int,
              "article_max_bytes": int, "article_timeout": float}
    _known(chk, poller, set(fields), "poller")
    for key, kind in fields.items():
        setattr(s, key, chk.typed(poller, key, kind, f"poller.{key}", getattr(s, key)))
    if s.min_interval > s.max_interval:
        chk.fail("poller.min_interval", "is larger than max_interval", "make min_interval <= max_interval")
    for key in ("concurrency", "per_host", "max_bytes", "seen_ttl_days"):
        if getattr(s, key) < 1:
            chk.fail(f"poller.{key}", "must be at least 1", f"set {key} to a positive number")


def _apply_env(cfg: Config, env: dict[str, str]) -> None:
    if env.get("PLACEWATCH_REDIS_URL"):
        cfg.redis_url = env["PLACEWATCH_REDIS_URL"]
    if env.get("PLACEWATCH_DATA_DIR"):
        cfg.data_dir = Path(env["PLACEWATCH_DATA_DIR"]).resolve()
    if env.get("PLACEWATCH_API_TOKEN"):
        cfg.api_token = env["PLACEWATCH_API_TOKEN"]
    if not cfg.data_dir.is_absolute():
        cfg.data_dir = cfg.data_dir.resolve()


def find_path(explicit: str | None, env: dict[str, str] | None = None) -> Path | None:
    env = dict(os.environ) if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("PLACEWATCH_CONFIG"):
        return Path(env["PLACEWATCH_CONFIG"])
    default = Path("placewatch.toml")
    return default if default.exists() else None


def load(explicit: str | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the config named by --config / PLACEWATCH_CONFIG / ./placewatch.toml, or defaults."""
    path = find_path(explicit, env)
    if path is None:
        return parse("", None, env)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config: {error.strerror} (fix: check the path, "
                          f"or run 'placewatch init --path {path}')") from None
    return parse(text, path.resolve(), env)


def example_text() -> str:
    return (Path(__file__).parent / "data" / "placewatch.example.toml").read_text(encoding="utf-8")
