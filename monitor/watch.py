"""Watched places: from the config, the CLI and the API; resolved through the gazetteer; matched against events."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import redis

from monitor import keys
from monitor.config import WatchedPlace
from workers.extract.gazetteer import Gazetteer, distance_km
from workers.extract.normalize import name_key

WATCH = keys.k("watch")


class WatchError(ValueError):
    """An unknown or ambiguous watched place; the message lists close candidates."""


@dataclass
class Watch:
    id: str
    label: str
    geonameid: int | None = None
    country: str | None = None
    names: list[str] = field(default_factory=list)  # name keys that match
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    origin: str = "config"

    def matches(self, place: dict) -> bool:
        gid = place.get("geonameid")
        if self.geonameid and (gid == self.geonameid or place.get("part_of") == self.geonameid):
            return True
        if self.radius_km is not None and self.lat is not None and place.get("lat") is not None:
            return distance_km(self.lat, self.lon, place["lat"], place["lon"]) <= self.radius_km
        if self.names:
            found = {name_key(str(place.get(f) or "")) for f in ("name", "mention")}
            found |= {name_key(a) for a in place.get("aliases", []) or []}
            if found & set(self.names):
                return not self.country or not place.get("country") or place["country"] == self.country
            return False
        if self.country and not self.geonameid and self.radius_km is None:
            return (place.get("country") or "").upper() == self.country
        return False


class AllPlaces(Watch):
    """Matches every place (replay --all-places)."""

    def matches(self, place: dict) -> bool:
        return True


def _describe(p: object) -> str:
    return f"{p.name} ({p.country}, geonameid {p.geonameid}, population {p.population})"


def resolve(spec: WatchedPlace, gazetteer: Gazetteer, origin: str = "config") -> Watch:
    """A watch from its spec: by geonameid, name (+country), country alone, or a radius around a place/point."""
    aliases = [name_key(a) for a in spec.aliases]
    country = spec.country.upper() if spec.country else None
    if spec.geonameid:
        place = gazetteer.get(spec.geonameid)
        if place is None:
            raise WatchError(f"no place has geonameid {spec.geonameid} in the gazetteer")
        return _from_place(place, spec, aliases, origin)
    if spec.name:
        candidates = [p for p, _ in gazetteer.lookup(spec.name)]
        if country:
            candidates = [p for p in candidates if p.country == country]
        if not candidates:
            close = gazetteer.suggest(spec.name)
            hint = "; ".join(_describe(p) for p in close) or "none"
            if spec.aliases or spec.country:
                # A place outside the gazetteer (a village, a base): watch it by name.
                return Watch(id=_wid(spec.name, country), label=spec.name, country=country,
                             names=[name_key(spec.name), *aliases], radius_km=spec.radius_km, origin=origin)
            raise WatchError(f"{spec.name!r} is not in the gazetteer{' in ' + country if country else ''}. "
                             f"Close candidates: {hint}. Give country and aliases to watch it by name anyway.")
        countries = {p.country for p in candidates}
        if len(countries) > 1:
            top = sorted(candidates, key=lambda p: -p.population)[:5]
            raise WatchError(f"{spec.name!r} is ambiguous: give a country. Candidates: "
                             + "; ".join(_describe(p) for p in top))
        best = max(candidates, key=lambda p: p.population)
        return _from_place(best, spec, aliases, origin)
    if spec.lat is not None and spec.radius_km is not None:
        return Watch(id=_wid(f"{spec.lat},{spec.lon},{spec.radius_km}", None), label=f"{spec.radius_km:g} km of "
                     f"{spec.lat:.3f},{spec.lon:.3f}", lat=spec.lat, lon=spec.lon, radius_km=spec.radius_km, origin=origin)
    if country:
        return Watch(id=_wid("country", country), label=f"any place in {country}", country=country, origin=origin)
    raise WatchError("a watched place needs a name, a geonameid, a country, or lat/lon with radius_km")


def _from_place(place: object, spec: WatchedPlace, aliases: list[str], origin: str) -> Watch:
    names = [name_key(place.name), *aliases]
    if spec.name:
        names.append(name_key(spec.name))
    label = place.name if not spec.name or name_key(spec.name) == name_key(place.name) else f"{spec.name} ({place.name})"
    radius = spec.radius_km
    return Watch(id=_wid(str(place.geonameid), str(radius or "")), label=f"{label}, {place.country}" + (
        f" +{radius:g} km" if radius else ""), geonameid=None if radius else place.geonameid, country=place.country,
        names=sorted(set(names)), lat=place.lat, lon=place.lon, radius_km=radius, origin=origin)


def _wid(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:10]


def parse_spec(text: str) -> WatchedPlace:
    """CLI form: NAME[,COUNTRY], a geonameid, 'country:XX', or 'NAME,COUNTRY@50km'."""
    text = text.strip()
    radius = None
    if "@" in text:
        text, _, r = text.partition("@")
        radius = float(r.lower().removesuffix("km").strip())
    if text.isdigit():
        if not 0 < int(text) < 2**31:
            raise ValueError(f"{text} is not a geonameid (they are whole numbers below 2147483648)")
        return WatchedPlace(geonameid=int(text), radius_km=radius)
    if text.lower().startswith("country:"):
        return WatchedPlace(country=text.split(":", 1)[1].strip().upper())
    name, _, country = text.partition(",")
    return WatchedPlace(name=name.strip(), country=country.strip().upper() or None, radius_km=radius)


class WatchList:
    """Config watches plus those added at run time (stored in Redis)."""

    def __init__(self, r: redis.Redis | None, config_watches: list[Watch]) -> None:
        self.r = r
        self.config_watches = config_watches

    def all(self) -> list[Watch]:
        stored = []
        if self.r is not None:
            stored = [Watch(**json.loads(v)) for v in self.r.hvals(WATCH)]
        return self.config_watches + stored

    def add(self, watch: Watch) -> None:
        self.r.hset(WATCH, watch.id, json.dumps(asdict(watch)))

    def remove(self, ident: str) -> bool:
        if self.r.hdel(WATCH, ident):
            return True
        for w in self.all():
            if w.origin != "config" and (name_key(ident) in w.names or str(w.geonameid) == ident):
                return bool(self.r.hdel(WATCH, w.id))
        return False

    def matching(self, place: dict) -> list[Watch]:
        return [w for w in self.all() if w.matches(place)]


def load_config_watches(specs: list[WatchedPlace], gazetteer: Gazetteer) -> tuple[list[Watch], list[str]]:
    """Resolve the config's watched places; problems come back as messages so the service can still start."""
    out, errors = [], []
    for i, spec in enumerate(specs):
        try:
            out.append(resolve(spec, gazetteer))
        except WatchError as error:
            errors.append(f"watch[{i}] ({spec.name or spec.country or spec.geonameid}): {error}")
    return out, errors
