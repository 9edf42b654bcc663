"""Alert rules: which ledger changes on watched places become alerts, and the alert records themselves.

One change raises one alert per rule (its id is derived from the change and the rule, so a replay or a retried
job finds the same alert). The alert is updated when the change is confirmed and retracted when it is denied;
each revision is delivered once per channel.
"""

from __future__ import annotations

import hashlib
import json
import time

import redis

from monitor import keys
from monitor.config import Rule
from monitor.ledger import Ledger, derive_state
from monitor.watch import Watch

ALERTS = keys.k("alerts")
RECENT = keys.k("alerts", "recent")
STREAM = keys.k("alerts", "stream")
REVISION = {"new": 1, "confirmed": 2, "retracted": 3}
_RANK = {"claimed": 0, "confirmed": 1}


def _actor_names(actor: dict | None) -> set[str]:
    if not actor:
        return set()
    return {str(v).lower() for v in (actor.get("id"), actor.get("name"), actor.get("mention")) if v}


def rule_accepts(rule: Rule, status: str, certainty: str, event: dict) -> bool:
    if status not in rule.statuses:
        return False
    if _RANK.get(certainty, 0) < _RANK.get(rule.min_certainty, 0):
        return False
    if rule.actors:
        wanted = {a.lower() for a in rule.actors}
        if not (wanted & (_actor_names(event.get("to")) | _actor_names(event.get("from")))):
            return False
    return True


def alert_id(change_key: str, rule_name: str) -> str:
    return hashlib.sha1(f"{change_key}|{rule_name}".encode()).hexdigest()[:16]


def build_alert(aid: str, kind: str, outcome: dict, watch: Watch, rule: Rule, ledger: Ledger) -> dict:
    """The alert body: place, from -> to, certainty, time, evidence with links, and the previous holder."""
    record, change = outcome["record"], outcome.get("change")
    pk = outcome["place_key"]
    timeline = ledger.timeline(pk)
    evidence_uids = set((change or {}).get("sources", {}).values()) | {record["uid"]}
    if change and kind == "retracted":
        evidence_uids |= set(change.get("denials", {}).values())
    evidence = [{"text": e["evidence"]["text"], "link": e["evidence"]["link"], "outlet": e["evidence"]["outlet"],
                 "source": e["evidence"]["source"], "certainty": e["certainty"], "published": e["published"]}
                for e in timeline if e["uid"] in evidence_uids]
    change_t = change["t"] if change else record["t"]
    previous = derive_state([e for e in timeline if e["t"] < change_t - 1], [])
    place = record["place"]
    return {
        "id": aid, "kind": kind, "revision": REVISION.get(kind, 1), "rule": rule.name, "watch": watch.label,
        "place": {"name": place.get("name"), "mention": place.get("mention"), "geonameid": place.get("geonameid"),
                  "country": place.get("country"), "lat": place.get("lat"), "lon": place.get("lon"), "key": pk},
        "status": (change or record)["status"], "to": (change or record).get("to"), "from": (change or record).get("from"),
        "certainty": "denied" if kind == "retracted" else (change or {}).get("certainty", record["certainty"]),
        "when": (change or record).get("when"), "published": record["published"],
        "previous": {"holder": previous["holder"], "since": previous["since"]},
        "evidence": evidence, "raised_at": time.time(), "seen_at": record.get("seen_at"),
    }


def _actor_text(actor: dict | None) -> str:
    if not actor:
        return "unknown"
    name, mention = actor.get("name"), actor.get("mention")
    return name if not mention or mention == name else f"{name} ({mention})"


def feed_down_notice(url: str, name: str, errors: int, error: str, at: float) -> dict:
    """A feed-health notice shaped like an alert, so every channel can send it (status "feed_down")."""
    nid = "feed-" + hashlib.sha1(f"{url}|{int(at // 3600)}".encode()).hexdigest()[:12]
    return {"id": nid, "kind": "new", "revision": 1, "rule": "feed health", "watch": "", "status": "feed_down",
            "place": {"name": name or url, "mention": None, "geonameid": None, "country": None, "lat": None, "lon": None},
            "to": None, "from": None, "certainty": "asserted", "when": None, "published": None, "previous": {},
            "evidence": [{"text": f"{errors} consecutive errors; last: {error}", "link": url, "outlet": name, "source": url,
                          "certainty": "asserted", "published": None}], "raised_at": at, "seen_at": None}


def render_text(alert: dict) -> str:
    """The plain-text form used by console, email and chat channels."""
    if alert["status"] == "feed_down":
        return f"FEED DOWN: {alert['place']['name']} — {alert['evidence'][0]['text']} ({alert['evidence'][0]['link']})"
    place = alert["place"]
    where = place["name"] + (f" ({place['mention']})" if place.get("mention") and place["mention"] != place["name"] else "")
    coords = f" [{place['lat']:.3f}, {place['lon']:.3f}]" if place.get("lat") is not None else ""
    head = {"new": "", "confirmed": "CONFIRMED: ", "retracted": "RETRACTED: "}[alert["kind"]]
    lines = [f"{head}{where}, {place.get('country') or '??'}{coords}: {alert['status'].upper()} — "
             f"{_actor_text(alert['from'])} → {_actor_text(alert['to'])} ({alert['certainty']})",
             f"  when: {alert['when'] or alert['published'] or 'not given'}   watch: {alert['watch']}   rule: {alert['rule']}"]
    prev = alert.get("previous") or {}
    if prev.get("holder"):
        lines.append(f"  previously held by {_actor_text(prev['holder'])} since {prev.get('since') or 'unknown'}")
    for ev in alert["evidence"][:5]:
        lines.append(f"  « {ev['text'][:300]} » — {ev['outlet'] or ev['source']} {ev['link']}".rstrip())
    return "\n".join(lines)


class AlertStore:
    def __init__(self, r: redis.Redis) -> None:
        self.r = r

    def save(self, alert: dict) -> bool:
        """Store a revision; False when this revision (or a later one) is already stored."""
        existing = self.get(alert["id"])
        if existing and existing["revision"] >= alert["revision"]:
            return False
        pipe = self.r.pipeline()
        pipe.hset(ALERTS, alert["id"], json.dumps(alert))
        pipe.zadd(RECENT, {alert["id"]: alert["raised_at"]})
        pipe.xadd(STREAM, {"alert": json.dumps(alert)}, maxlen=10_000, approximate=True)
        pipe.hincrby(keys.k("stats"), "alerts_raised", 1)
        pipe.execute()
        return True

    def get(self, aid: str) -> dict | None:
        raw = self.r.hget(ALERTS, aid)
        return json.loads(raw) if raw else None

    def recent(self, limit: int = 50) -> list[dict]:
        ids = self.r.zrevrange(RECENT, 0, limit - 1)
        raw = self.r.hmget(ALERTS, ids) if ids else []
        return [json.loads(x) for x in raw if x]

    def quiet(self, watch: Watch, rule: Rule) -> bool:
        """True while the rule's quiet period for this watch runs (set when an alert goes out)."""
        if not rule.quiet_minutes:
            return False
        return not self.r.set(keys.k("quiet", watch.id, rule.name), "1", nx=True, ex=rule.quiet_minutes * 60)
