"""`placewatch eval`: the figures of shared/eval/score.py (FORMAT.md), overall and per id prefix.

Matching follows FORMAT.md: a predicted event matches a gold event of the same document when the places agree
(same geonameid, or a predicted name/mention equal to the gold place or an alias after folding; a gold facility
"post in X" also matches a prediction naming X). Matching is greedy and one-to-one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata

_LEADING = re.compile(r"^(the|al|el|ad|as|ar|ash|city of|town of|village of|the city of|the town of|the village of)\s+")
_FACILITIES = re.compile(r"\b(base|airbase|airport|airfield|camp|headquarters|hq|hqs|checkpoint|posts?|barracks|bridge|"
                         r"plant|crossing|station|building|hospital|hotel|steelworks|garrison|positions?|outpost|prison|"
                         r"port|dam|factory|compound)\b")


def fold(text: object) -> str:
    if not isinstance(text, str):
        return ""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    text = re.sub(r"[\u2018\u2019\u02bb\u02bc'`\u00b4]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    while True:
        shorter = _LEADING.sub("", text)
        if shorter == text:
            return text
        text = shorter


def names(value: object) -> set[str]:
    if isinstance(value, str):
        return {fold(value)} - {""}
    if isinstance(value, list):
        return set().union(*(names(v) for v in value)) if value else set()
    if isinstance(value, dict):
        found: set[str] = set()
        for key in ("name", "mention", "canonical", "label", "aliases", "names"):
            found |= names(value.get(key))
        return found
    return set()


def _gid(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _gold_place(e: dict) -> tuple[set[str], int | None]:
    return names(e.get("place")) | names(e.get("aliases")), _gid(e.get("geonameid"))


def _pred_place(e: dict) -> tuple[set[str], int | None]:
    place = e.get("place")
    gid = _gid(place.get("geonameid")) if isinstance(place, dict) else None
    return names(place), gid if gid is not None else _gid(e.get("geonameid"))


def same_place(gold: dict, pred: dict) -> bool:
    gnames, ggid = _gold_place(gold)
    pnames, pgid = _pred_place(pred)
    if ggid is not None and ggid == pgid:
        return True
    if gnames & pnames:
        return True
    return any(_FACILITIES.search(g) and f" {p} " in f" {g} " for g in gnames for p in pnames if p)


def alertable(e: dict) -> bool:
    return (e.get("status") in ("captured", "withdrew") and e.get("certainty", "asserted") != "denied"
            and e.get("recent", True) is not False)


def pair(gold: list[dict], pred: list[dict], status_first: bool = False) -> list[tuple[dict, dict]]:
    options = [(g, p) for g in range(len(gold)) for p in range(len(pred)) if same_place(gold[g], pred[p])]
    if status_first:
        options.sort(key=lambda o: gold[o[0]].get("status") != pred[o[1]].get("status"))
    used_g, used_p, out = set(), set(), []
    for g, p in options:
        if g not in used_g and p not in used_p:
            used_g.add(g)
            used_p.add(p)
            out.append((gold[g], pred[p]))
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def score(gold: dict[str, dict], pred: dict[str, dict]) -> dict:
    tp = fp = fn = actor_ok = actor_n = status_ok = status_n = alarms = quiet = 0
    for doc_id, gdoc in gold.items():
        gev = gdoc.get("events") or []
        pev = (pred.get(doc_id) or {}).get("events") or []
        ga, pa = [e for e in gev if alertable(e)], [e for e in pev if alertable(e)]
        pairs = pair(ga, pa)
        tp, fn, fp = tp + len(pairs), fn + len(ga) - len(pairs), fp + len(pa) - len(pairs)
        for g, p in pairs:
            if g.get("to"):
                actor_n += 1
                actor_ok += bool(names(g["to"]) & names(p.get("to")))
        for g, p in pair(gev, pev, status_first=True):
            status_n += 1
            status_ok += g.get("status") == p.get("status")
        if not ga:
            quiet += 1
            alarms += bool(pa)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"documents": len(gold), "alert_tp": tp, "alert_fp": fp, "alert_fn": fn,
            "alert_precision": round(precision, 4), "alert_recall": round(recall, 4),
            "alert_f1": round(_ratio(2 * precision * recall, precision + recall), 4),
            "actor_accuracy": round(_ratio(actor_ok, actor_n), 4), "actor_pairs": actor_n,
            "status_accuracy": round(_ratio(status_ok, status_n), 4), "status_pairs": status_n,
            "false_alarm_docs": alarms, "quiet_docs": quiet, "false_alarm_rate": round(_ratio(alarms, quiet), 4)}


def load(path: str) -> dict[str, dict]:
    docs = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError as error:
                    raise SystemExit(f"placewatch eval: {path}:{number}: not JSON: {error.msg}") from None
                docs[str(doc.get("id"))] = doc
    return docs


def by_prefix(gold: dict[str, dict], pred: dict[str, dict]) -> dict[str, dict]:
    groups: dict[str, dict[str, dict]] = {"all": gold}
    for doc_id, doc in gold.items():
        groups.setdefault(doc_id.split("-")[0], {})[doc_id] = doc
    return {name: score(docs, pred) for name, docs in groups.items()}


def run_eval(args: argparse.Namespace) -> int:
    gold = load(args.gold)
    if args.pred:
        pred = load(args.pred)
    else:
        from workers.extract.engine import Extractor

        extractor = Extractor()
        pred = {doc_id: extractor.extract(doc) for doc_id, doc in gold.items()}
    results = by_prefix(gold, pred)
    if args.json:
        sys.stdout.write(json.dumps(results) + "\n")
        return 0
    for name, r in results.items():
        sys.stdout.write(
            f"{name:>8}: docs {r['documents']:4d}  alert P {r['alert_precision']:.3f} R {r['alert_recall']:.3f} "
            f"F1 {r['alert_f1']:.3f} (tp {r['alert_tp']} fp {r['alert_fp']} fn {r['alert_fn']})  "
            f"actor {r['actor_accuracy']:.3f}/{r['actor_pairs']}  status {r['status_accuracy']:.3f}/{r['status_pairs']}  "
            f"false-alarm docs {r['false_alarm_docs']}/{r['quiet_docs']}\n")
    return 0
