"""Read-only views over Redis for the API and the dashboard: watched places with their holders, one place's
control history, events filtered across places, and feed health. Each returns plain JSON-ready data."""

from __future__ import annotations

import json
import time

from monitor import keys
from monitor.ledger import control_periods, derive_state
from monitor.poller import state as feed_state
from monitor.runtime import Runtime
from monitor.watch import Watch

MAX_PLACES = 5000


def _place_row(pk: str, place: dict, derived: dict, watches: list[Watch], updated: float | None) -> dict:
    return {"key": pk, "name": place.get("name") or place.get("mention"), "country": place.get("country"),
            "geonameid": place.get("geonameid"), "lat": place.get("lat"), "lon": place.get("lon"),
            "holder": derived["holder"], "state": derived["state"], "since": derived["since"],
            "sources": derived["sources"], "changes": derived["changes"], "updated": updated,
            "watches": [w.label for w in watches]}


def _watch_place(watch: Watch) -> dict:
    """A watched gazetteer place that no report has named yet, shaped like a ledger place."""
    return {"name": watch.label.rsplit(",", 1)[0], "country": watch.country, "geonameid": watch.geonameid,
            "lat": watch.lat, "lon": watch.lon}


def places(rt: Runtime, include_unwatched: bool = False) -> list[dict]:
    """Places in the ledger that a watch matches (all of them with include_unwatched), plus watched places with
    coordinates that no report has named yet (state "unknown")."""
    watches = rt.watchlist.all()
    scored = rt.r.zrevrange(keys.k("places"), 0, MAX_PLACES - 1, withscores=True)
    pipe = rt.r.pipeline(transaction=False)
    for raw_key, _ in scored:
        pipe.hget(keys.k("place", raw_key.decode()), "place")
    stored = pipe.execute() if scored else []  # one round trip for every place, not one each
    out, seen = [], set()
    for (raw_key, updated), raw_place in zip(scored, stored, strict=True):
        pk = raw_key.decode()
        place = json.loads(raw_place) if raw_place else {}
        matching = [w for w in watches if w.matches(place)]
        if not matching and not include_unwatched:
            continue
        seen.add(pk)
        out.append(_place_row(pk, place, rt.ledger.state(pk), matching, updated))
    for watch in watches:
        if watch.geonameid and str(watch.geonameid) not in seen and watch.lat is not None:
            out.append(_place_row(str(watch.geonameid), _watch_place(watch), derive_state([], []), [watch], None))
            seen.add(str(watch.geonameid))
    return out


def place_detail(rt: Runtime, pk: str) -> dict | None:
    """State, control periods (who held it from when to when, with evidence) and the full timeline."""
    timeline = rt.ledger.timeline(pk)
    place = rt.ledger.place(pk)
    watches = rt.watchlist.all()
    if place is None:
        watch = next((w for w in watches if str(w.geonameid) == pk), None)
        if watch is None:
            return None
        place = _watch_place(watch)
    changes = rt.ledger.changes(pk)
    return {"key": pk, "place": place, "state": derive_state(timeline, changes),
            "periods": control_periods(timeline, changes), "timeline": timeline,
            "changes": changes, "watches": [w.label for w in watches if w.matches(place)]}


def _actor_matches(actor: dict | None, wanted: str) -> bool:
    if not actor:
        return False
    return wanted in {str(v).lower() for v in (actor.get("id"), actor.get("name"), actor.get("mention")) if v}


def events(rt: Runtime, place: str | None = None, actor: str | None = None, status: str | None = None,
           since: float | None = None, until: float | None = None, limit: int = 100) -> list[dict]:
    """Ledger events across places, newest event time first. `place` is a place key, a name or a geonameid;
    `actor` an actor id or name (matched against both sides); since/until bound the event time (Unix seconds)."""
    if place:
        candidates = rt.ledger.find(place) or ([place] if rt.r.exists(keys.k("place", place, "events")) else [])
    else:
        candidates = rt.ledger.places(MAX_PLACES)
    low, high = since if since is not None else "-inf", until if until is not None else "+inf"
    pipe = rt.r.pipeline(transaction=False)
    for pk in candidates:
        pipe.zrangebyscore(keys.k("place", pk, "events"), low, high)
    uids_per_place = pipe.execute()
    pipe = rt.r.pipeline(transaction=False)
    for pk, uids in zip(candidates, uids_per_place, strict=True):
        if uids:
            pipe.hmget(keys.k("place", pk, "ev"), uids)
        else:
            pipe.echo("")  # keeps the replies aligned with the places
    found = []
    wanted_actor = actor.lower() if actor else None
    for pk, raw in zip(candidates, pipe.execute(), strict=True):
        for item in raw if isinstance(raw, list) else []:
            if not item:
                continue
            event = json.loads(item)
            if status and event["status"] != status:
                continue
            if wanted_actor and not (_actor_matches(event.get("to"), wanted_actor)
                                     or _actor_matches(event.get("from"), wanted_actor)):
                continue
            event["place_key"] = pk
            found.append(event)
    found.sort(key=lambda e: (e["t"], e.get("seen_at") or 0), reverse=True)
    return found[:limit]


def feed_health(rt: Runtime, now: float | None = None) -> list[dict]:
    """Each feed with a one-word health: ok, failing, or pending (never polled yet)."""
    now = now or time.time()
    out = []
    for url, feed in sorted(feed_state.all_feeds(rt.r).items()):
        errors = int(feed.get("errors") or 0)
        health = "failing" if errors else ("ok" if feed.get("last_ok") else "pending")
        out.append({"url": url, "name": feed.get("name") or feed.get("title") or "", "health": health, "errors": errors,
                    "last_error": feed.get("last_error"), "last_warning": feed.get("last_warning"),
                    "last_ok": feed.get("last_ok"), "next_poll": feed.get("next_poll"),
                    "due_in_s": round(max(0.0, (feed.get("next_poll") or now) - now), 1),
                    "items_total": int(feed.get("items_total") or 0), "last_new": feed.get("last_new"),
                    "interval": feed.get("interval") or feed.get("adaptive_interval"), "origin": feed.get("origin")})
    return out
