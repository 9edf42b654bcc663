"""Watched places (name, geonameid, country, radius, aliases) and alert rules (statuses, certainty, actors, quiet)."""

from __future__ import annotations

import pytest

from monitor.config import Rule, WatchedPlace
from monitor.ledger import Ledger
from monitor.rules import rule_accepts
from monitor.watch import WatchError, parse_spec, resolve
from workers.extract.gazetteer import shared
from workers.jobs import evaluate

GAZ = shared()
PALMYRA = {"name": "Tadmur", "mention": "Palmyra", "geonameid": 163808, "country": "SY", "lat": 34.5624, "lon": 38.284}
SUKHNAH = {"name": "As Sukhnah", "mention": "Sukhnah", "geonameid": 172425, "country": "SY", "lat": 34.886, "lon": 38.872}
VILLAGE = {"name": "Qandaraawe", "mention": "Qandaraawe", "geonameid": None, "country": "SO", "lat": None, "lon": None}


def test_by_name_with_country_resolves_through_the_gazetteer():
    w = resolve(WatchedPlace(name="Palmyra", country="SY"), GAZ)
    assert w.geonameid == 163808 and w.matches(PALMYRA) and not w.matches(SUKHNAH)


def test_ambiguous_name_lists_candidates_and_asks_for_a_country():
    with pytest.raises(WatchError) as err:
        resolve(WatchedPlace(name="Palmyra"), GAZ)
    assert "give a country" in str(err.value) and "Tadmur (SY" in str(err.value)


def test_unknown_name_suggests_close_candidates():
    with pytest.raises(WatchError) as err:
        resolve(WatchedPlace(name="Tadmurqa"), GAZ)
    assert "not in the gazetteer" in str(err.value) and "Tadmur (SY" in str(err.value)


def test_unknown_name_with_country_is_watched_by_name():
    w = resolve(WatchedPlace(name="Qandaraawe", country="SO", aliases=["Qandarawe"]), GAZ)
    assert w.matches(VILLAGE) and w.matches({**VILLAGE, "name": "Qandarawe", "mention": "Qandarawe"})


def test_by_geonameid_country_and_radius():
    assert resolve(WatchedPlace(geonameid=163808), GAZ).matches(PALMYRA)
    country = resolve(parse_spec("country:SY"), GAZ)
    assert country.matches(SUKHNAH) and not country.matches(VILLAGE)
    near = resolve(parse_spec("Palmyra,SY@80km"), GAZ)
    assert near.matches(SUKHNAH) and near.matches(PALMYRA)  # Sukhnah is ~70 km from Palmyra
    assert not resolve(parse_spec("Palmyra,SY@30km"), GAZ).matches(SUKHNAH)


def test_sub_places_match_their_parent():
    w = resolve(WatchedPlace(name="Aleppo", country="SY"), GAZ)
    assert w.matches({"name": "eastern Aleppo", "geonameid": None, "part_of": 170063, "country": "SY"})


def test_rule_filters():
    event = {"to": {"id": "sy-government", "name": "Syrian government"}, "from": {"id": "islamic-state"}}
    assert rule_accepts(Rule(), "captured", "claimed", event)
    assert not rule_accepts(Rule(), "anticipated", "claimed", event)
    assert rule_accepts(Rule(statuses=["anticipated"]), "anticipated", "claimed", event)
    assert not rule_accepts(Rule(min_certainty="confirmed"), "captured", "claimed", event)
    assert rule_accepts(Rule(min_certainty="confirmed"), "captured", "confirmed", event)
    assert rule_accepts(Rule(actors=["islamic-state"]), "captured", "claimed", event)
    assert not rule_accepts(Rule(actors=["m23"]), "captured", "claimed", event)


def _apply(rt, i: str, published: str, source: str, status: str = "captured", certainty: str = "asserted"):
    item = {"id": i, "published": published, "source": source, "outlet": source, "link": f"https://{source}/{i}"}
    event = {"place": PALMYRA, "status": status, "to": {"id": "sy-government", "name": "Syrian government"},
             "from": {"id": "islamic-state", "name": "Islamic State"}, "certainty": certainty, "when": published,
             "recent": True, "evidence": {"text": "..."}}
    sent = []
    outcome = Ledger(rt.r).apply(item, 0, event)
    evaluate(rt, outcome, sink=sent.append)
    return sent


def test_confirmed_only_rule_waits_for_a_second_outlet(make_runtime):
    rt = make_runtime(watch=[WatchedPlace(name="Palmyra", country="SY")], rules=[Rule(min_certainty="confirmed")])
    assert _apply(rt, "a", "2017-03-02", "one.example") == []
    sent = _apply(rt, "b", "2017-03-02", "two.example")
    assert [(a["kind"], a["certainty"]) for a in sent] == [("new", "confirmed")]


def test_early_warning_rule_alerts_on_anticipated(make_runtime):
    rt = make_runtime(watch=[WatchedPlace(name="Palmyra", country="SY")],
                      rules=[Rule(name="early", statuses=["anticipated", "contested"])])
    sent = _apply(rt, "a", "2017-03-01", "one.example", status="anticipated")
    assert [(a["status"], a["rule"]) for a in sent] == [("anticipated", "early")]


def test_quiet_period_suppresses_a_second_change(make_runtime):
    rt = make_runtime(watch=[WatchedPlace(name="Palmyra", country="SY")], rules=[Rule(quiet_minutes=60)])
    assert len(_apply(rt, "a", "2017-03-02", "one.example")) == 1
    later = {"id": "b", "published": "2017-03-09", "source": "one.example", "outlet": "x", "link": "l"}
    event = {"place": PALMYRA, "status": "captured", "to": {"id": "islamic-state"}, "from": {"id": "sy-government"},
             "certainty": "asserted", "when": "2017-03-09", "recent": True, "evidence": {"text": "..."}}
    sent = []
    evaluate(rt, Ledger(rt.r).apply(later, 0, event), sink=sent.append)
    assert sent == []
