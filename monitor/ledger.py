"""The per-place control ledger: every control event, ordered by event time, and the state derived from it.

A place's key is its geonameid, or "n:<name>:<country>" for places outside the gazetteer. Applying an event is
idempotent (keyed by item id and event index). Captures and withdrawals are grouped into *changes*: reports of
the same change of hands (same place, same new holder, event times within 3 days) from several outlets. A change
reported by one outlet is "claimed"; by two or more independent outlets (different domains), "confirmed".
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, date, datetime

import redis

from monitor import keys
from workers.extract.normalize import name_key

CHANGE_WINDOW_S = 3 * 86400
CHANGE_STATUSES = ("captured", "withdrew")


def place_key(place: dict) -> str:
    if place.get("geonameid"):
        return str(place["geonameid"])
    return f"n:{name_key(place.get('name') or place.get('mention') or '')}:{(place.get('country') or '').upper()}"


def event_time(when: str | None, published: str | None) -> float:
    """Seconds since the epoch for an event: its own time at the precision given, else the publication time."""
    for value in (when, published):
        if not value:
            continue
        text = str(value)
        try:
            if len(text) == 4:
                return datetime(int(text), 1, 1, tzinfo=UTC).timestamp()
            if len(text) == 7:
                return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC).timestamp()
            if len(text) == 10:
                d = date.fromisoformat(text)
                return datetime(d.year, d.month, d.day, 12, tzinfo=UTC).timestamp()
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except ValueError:
            continue
    return time.time()


def _actor_id(actor: dict | None) -> str | None:
    if not actor:
        return None
    return actor.get("id") or name_key(actor.get("name") or actor.get("mention") or "") or None


def _k(pk: str, *parts: str) -> str:
    return keys.k("place", pk, *parts)


class Ledger:
    def __init__(self, r: redis.Redis) -> None:
        self.r = r

    # ---------- writing ----------

    def apply(self, item: dict, index: int, event: dict) -> dict:
        """Record one event of one item. Returns what changed: {"kind": new|confirmed|retracted, "change": {...}}
        for captures/withdrawals and denials, {"kind": "event"} for other statuses. Applying the same (item, event)
        again changes nothing and returns the first outcome, marked "repeat"."""
        pk = place_key(event["place"])
        uid = f"{item['id']}:{index}"
        record = {
            "uid": uid, "item": item["id"], "place": event["place"], "status": event["status"], "to": event.get("to"),
            "from": event.get("from"), "certainty": event.get("certainty", "asserted"), "when": event.get("when"),
            "recent": event.get("recent", True), "published": item.get("published"), "seen_at": item.get("seen_at"),
            "t": event_time(event.get("when"), item.get("published")),
            "evidence": {"text": (event.get("evidence") or {}).get("text", ""), "link": item.get("link", ""),
                         "outlet": item.get("outlet") or item.get("source", ""), "source": item.get("source", "")},
        }
        with self.r.lock(keys.k("lock", "place", pk), timeout=30, blocking_timeout=30):
            done = self.r.hget(_k(pk, "outcome"), uid)
            if done is not None:
                # Applied before (a retried or replayed job): hand back the same outcome so the caller can finish
                # what a crash may have interrupted (raising the alert, queueing its delivery); both are idempotent.
                stored = json.loads(done)
                change = self._change(pk, stored["change"]) if stored["change"] else None
                return {"kind": stored["kind"], "record": record, "place_key": pk, "change": change, "repeat": True}
            outcome = {"kind": "event", "record": record, "place_key": pk, "change": None}
            if record["status"] in CHANGE_STATUSES:
                outcome.update(self._link_change(pk, record))
            elif record["status"] == "held" and record["to"]:
                outcome.update(self._reversal(pk, record))
            # One transaction: the event, the change it affects and the outcome are written together or not at all.
            pipe = self.r.pipeline(transaction=True)
            pipe.hset(_k(pk, "ev"), uid, json.dumps(record))
            pipe.zadd(_k(pk, "events"), {uid: record["t"]})
            pipe.hset(_k(pk), mapping={"place": json.dumps(event["place"]), "updated": time.time()})
            pipe.zadd(keys.k("places"), {pk: time.time()})
            if outcome["change"] is not None:
                pipe.hset(_k(pk, "changes"), outcome["change"]["id"], json.dumps(outcome["change"]))
            pipe.hset(_k(pk, "outcome"), uid, json.dumps({"kind": outcome["kind"],
                                                           "change": (outcome["change"] or {}).get("id")}))
            pipe.execute()
            return outcome

    def _change(self, pk: str, cid: str) -> dict | None:
        raw = self.r.hget(_k(pk, "changes"), cid)
        return json.loads(raw) if raw else None

    def _link_change(self, pk: str, record: dict) -> dict:
        changes = {c["id"]: c for c in self.changes(pk)}
        match = None
        for change in changes.values():
            if (change["status"] == record["status"] and abs(change["t"] - record["t"]) <= CHANGE_WINDOW_S
                    and _compatible(change["to"], record["to"]) and _compatible(change["from"], record["from"])):
                match = change
                break
        source = record["evidence"]["source"] or record["item"]
        denied = record["certainty"] == "denied"
        if match is None:
            if denied:
                return {"kind": "event"}  # a denial of something never reported: keep it in the timeline only
            # The id depends on what changed and when, not on which report came first: a replay in another order
            # (or after a crash) finds the same change, and so the same alert.
            day = time.strftime("%Y-%m-%d", time.gmtime(record["t"]))
            cid = hashlib.sha1(f"{pk}|{record['status']}|{_actor_id(record['to'])}|{day}".encode()).hexdigest()[:16]
            match = {"id": cid, "place_key": pk, "status": record["status"], "to": record["to"], "from": record["from"],
                     "t": record["t"], "when": record["when"], "recent": record["recent"], "sources": {},
                     "denials": {}, "certainty": "claimed", "retracted": False, "first_uid": record["uid"]}
            kind = "new"
        else:
            kind = None
        if denied:
            match["denials"][source] = record["uid"]
            if not match["retracted"]:
                match["retracted"] = True
                kind = "retracted"
        else:
            before = match["certainty"]
            match["sources"].setdefault(source, record["uid"])
            if record["to"] and not match["to"]:
                match["to"] = record["to"]
            if len(match["sources"]) >= 2:
                match["certainty"] = "confirmed"
            if kind is None and before == "claimed" and match["certainty"] == "confirmed" and not match["retracted"]:
                kind = "confirmed"
        return {"kind": kind or "event", "change": match}

    def _reversal(self, pk: str, record: dict) -> dict:
        """A report that the previous holder still holds the place, after a reported change, reverses that change."""
        source = record["evidence"]["source"] or record["item"]
        for change in reversed(self.changes(pk)):
            if change["retracted"] or change["status"] != "captured" or source in change["sources"]:
                continue
            if record["t"] < change["t"] - 3600 or record["t"] - change["t"] > CHANGE_WINDOW_S:
                continue
            if not _compatible(change["to"], record["to"]) and change["from"] and _compatible(change["from"], record["to"]):
                change["retracted"] = True
                change["denials"][source] = record["uid"]
                return {"kind": "retracted", "change": change}
            break
        return {}

    # ---------- reading ----------

    def changes(self, pk: str) -> list[dict]:
        return sorted((json.loads(v) for v in self.r.hvals(_k(pk, "changes"))), key=lambda c: c["t"])

    def timeline(self, pk: str) -> list[dict]:
        """Every event of a place, ordered by event time (then publication)."""
        uids = self.r.zrange(_k(pk, "events"), 0, -1)
        if not uids:
            return []
        raw = self.r.hmget(_k(pk, "ev"), uids)
        return [json.loads(x) for x in raw if x]

    def state(self, pk: str) -> dict:
        """Derived when read, not stored on every write: places are read far less often than they are written."""
        return derive_state(self.timeline(pk), self.changes(pk))

    def place(self, pk: str) -> dict | None:
        raw = self.r.hget(_k(pk), "place")
        return json.loads(raw) if raw else None

    def places(self, limit: int = 1000) -> list[str]:
        return [k.decode() for k in self.r.zrevrange(keys.k("places"), 0, limit - 1)]

    def find(self, name: str) -> list[str]:
        """Place keys whose name, mention or geonameid equals `name`."""
        wanted = name_key(name)
        found = []
        for pk in self.places(100_000):
            place = self.place(pk) or {}
            names = {name_key(str(place.get(f) or "")) for f in ("name", "mention")} | {pk}
            if wanted in names or name == pk:
                found.append(pk)
        return found



def _compatible(a: dict | None, b: dict | None) -> bool:
    ia, ib = _actor_id(a), _actor_id(b)
    return ia is None or ib is None or ia == ib


def derive_state(timeline: list[dict], changes: list[dict]) -> dict:
    """Current holder, state (held / contested / unknown), since when, and the sources of the last change."""
    retracted = {uid for c in changes if c["retracted"] for uid in c["sources"].values()}
    holder, since, state, sources, last_change = None, None, "unknown", [], None
    for event in timeline:
        if event["certainty"] == "denied" or event["uid"] in retracted:
            continue
        status = event["status"]
        if status == "captured" and event.get("to"):
            if _actor_id(event["to"]) != _actor_id(holder):
                since = event["when"] or event["published"]
            holder, state, last_change = event["to"], "held", event
        elif status == "withdrew":
            holder, state, since, last_change = None, "unknown", event["when"] or event["published"], event
        elif status == "held" and event.get("to"):
            if _actor_id(event["to"]) != _actor_id(holder):
                holder, since = event["to"], event["when"] or event["published"]
            state = "held"
        elif status == "contested" and event.get("recent", True):
            state = "contested"
    if last_change:
        sources = sorted({e["evidence"]["source"] for e in timeline if e["status"] == last_change["status"]
                          and abs(e["t"] - last_change["t"]) <= CHANGE_WINDOW_S and e["evidence"]["source"]})
    if any(c["retracted"] for c in changes[-1:]):
        state = "contested"  # the latest reported change is also denied: both claims stand
    return {"holder": holder, "state": state, "since": since, "sources": sources,
            "changes": len([c for c in changes if not c["retracted"]])}


def _evidence(event: dict) -> dict:
    return {"uid": event["uid"], "status": event["status"], "certainty": event["certainty"], "when": event["when"],
            "published": event["published"], **event["evidence"]}


def control_periods(timeline: list[dict], changes: list[dict]) -> list[dict]:
    """Who held the place from when to when, oldest first, each period with the reports behind it.

    A period opens with a capture (or the first report that someone holds the place) and closes at the next change
    of holder or a withdrawal. Denied and retracted reports appear in no period; the timeline still lists them."""
    retracted = {uid for c in changes if c["retracted"] for uid in c["sources"].values()}
    periods: list[dict] = []
    current: dict | None = None
    for event in timeline:
        if event["certainty"] == "denied" or event["uid"] in retracted:
            continue
        status, when = event["status"], event["when"] or event["published"]
        opens = (status in ("captured", "held") and event.get("to")) or status == "withdrew"
        holder = event.get("to") if status != "withdrew" else None
        same_holder = current is not None and _actor_id(current["holder"]) == _actor_id(holder)
        if opens and not same_holder:
            if current is not None:
                current["until"] = when
            current = {"holder": holder, "from": when, "until": None, "how": status, "contested": False, "evidence": []}
            periods.append(current)
        if current is None:
            continue  # reports before anyone is known to hold the place (contested, anticipated)
        if status == "contested" and event.get("recent", True):
            current["contested"] = True
        current["evidence"].append(_evidence(event))
    return periods
