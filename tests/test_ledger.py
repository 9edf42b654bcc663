"""The ledger against a real Redis: event-time order, corroboration, contradiction, idempotence."""

from __future__ import annotations

from monitor.ledger import Ledger, derive_state, place_key

PALMYRA = {"name": "Tadmur", "mention": "Palmyra", "geonameid": 163808, "country": "SY", "lat": 34.56, "lon": 38.28}
GOV = {"id": "sy-government", "name": "Syrian government", "mention": "the army"}
IS = {"id": "islamic-state", "name": "Islamic State", "mention": "IS"}


def item(i: str, published: str, source: str) -> dict:
    return {"id": i, "published": published, "source": source, "outlet": source, "link": f"https://{source}/{i}"}


def event(status: str, to: dict | None, frm: dict | None, when: str | None, certainty: str = "asserted",
          recent: bool = True) -> dict:
    return {"place": PALMYRA, "status": status, "to": to, "from": frm, "when": when, "certainty": certainty,
            "recent": recent, "evidence": {"text": f"{status} {when}"}}


def test_event_time_order_and_late_reports_do_not_overturn(r):
    ledger = Ledger(r)
    ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    # A report published later about last December must not make IS the holder again.
    ledger.apply(item("b", "2017-03-05", "two.example"), 0, event("captured", IS, GOV, "2016-12", recent=False))
    pk = place_key(PALMYRA)
    timeline = ledger.timeline(pk)
    assert [e["when"] for e in timeline] == ["2016-12", "2017-03-02"]
    state = ledger.state(pk)
    assert state["holder"]["id"] == "sy-government" and state["state"] == "held" and state["since"] == "2017-03-02"


def test_applying_twice_is_a_no_op(r):
    ledger = Ledger(r)
    first = ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    again = ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    assert first["kind"] == "new" and again["kind"] == "new" and again["repeat"]
    assert again["change"]["id"] == first["change"]["id"] and again["change"]["sources"] == {"one.example": "a:0"}
    assert len(ledger.timeline(place_key(PALMYRA))) == 1


def test_claimed_until_an_independent_outlet_reports_it(r):
    ledger = Ledger(r)
    one = ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    assert one["kind"] == "new" and one["change"]["certainty"] == "claimed"
    same_outlet = ledger.apply(item("b", "2017-03-02", "one.example"), 0, event("captured", GOV, None, None))
    assert same_outlet["kind"] == "event" and same_outlet["change"]["certainty"] == "claimed"
    other = ledger.apply(item("c", "2017-03-03", "two.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    assert other["kind"] == "confirmed" and other["change"]["certainty"] == "confirmed"
    assert other["change"]["id"] == one["change"]["id"]
    assert ledger.state(place_key(PALMYRA))["sources"] == ["one.example", "two.example"]


def test_denial_makes_the_place_contested_with_both_claims_visible(r):
    ledger = Ledger(r)
    ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    claim = ledger.apply(item("b", "2017-03-12", "amaq.example"), 0, event("captured", IS, GOV, "2017-03-12", "claimed"))
    assert claim["kind"] == "new"
    denial = ledger.apply(item("c", "2017-03-13", "one.example"), 0, event("captured", IS, None, None, "denied"))
    assert denial["kind"] == "retracted" and denial["change"]["id"] == claim["change"]["id"]
    pk = place_key(PALMYRA)
    state = derive_state(ledger.timeline(pk), ledger.changes(pk))
    assert state["state"] == "contested" and state["holder"]["id"] == "sy-government"
    certainties = [e["certainty"] for e in ledger.timeline(pk)]
    assert "claimed" in certainties and "denied" in certainties  # both claims stay in the timeline


def test_previous_holder_still_holding_reverses_a_claimed_change(r):
    ledger = Ledger(r)
    ledger.apply(item("a", "2017-03-02", "one.example"), 0, event("captured", GOV, IS, "2017-03-02"))
    claim = ledger.apply(item("b", "2017-03-12", "amaq.example"), 0, event("captured", IS, GOV, "2017-03-12", "claimed"))
    held = ledger.apply(item("c", "2017-03-13", "one.example"), 0, event("held", GOV, None, "2017-03-13"))
    assert held["kind"] == "retracted" and held["change"]["id"] == claim["change"]["id"]


def test_history_alone_never_creates_a_recent_change(r):
    ledger = Ledger(r)
    old = ledger.apply(item("a", "2017-03-01", "one.example"), 0, event("captured", IS, GOV, "2015", recent=False))
    assert old["kind"] == "new" and old["change"]["recent"] is False
