"""The HTTP API against a real Redis: places and timelines, events, rules, autocomplete, metrics, OpenAPI, live
alerts over Server-Sent Events (through a real uvicorn server on 127.0.0.1) and error handling."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from monitor.api import create_app, serve_in_thread
from monitor.config import Channel, Rule, WatchedPlace
from monitor.rules import AlertStore
from workers.jobs import process_batch

TOKEN = "api-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEMS = [
    {"id": "k1", "title": "JNIM fighters seized Kidal from the Malian army", "text": "", "published": "2024-05-02T10:00:00Z",
     "link": "https://one.example/k1", "source": "one.example"},
    {"id": "k2", "title": "The Malian army retook Kidal from JNIM", "text": "", "published": "2024-06-10T10:00:00Z",
     "link": "https://two.example/k2", "source": "two.example"},
    {"id": "g1", "title": "M23 rebels captured Goma", "text": "", "published": "2024-06-11T10:00:00Z",
     "link": "https://three.example/g1", "source": "three.example"},
]


def _app(make_runtime, **config):
    config.setdefault("watch", [WatchedPlace(name="Kidal", country="ML")])
    config.setdefault("api_token", TOKEN)
    rt = make_runtime(**config)
    process_batch(ITEMS)
    return rt, TestClient(create_app(rt))


def test_places_show_watched_places_with_holder_and_unwatched_only_on_request(make_runtime):
    _, client = _app(make_runtime, watch=[WatchedPlace(name="Kidal", country="ML"), WatchedPlace(name="Pokrovsk", country="UA")])
    places = {p["name"]: p for p in client.get("/api/places").json()}
    assert places["Kidal"]["holder"]["id"] == "ml-army" and places["Kidal"]["state"] == "held"
    assert places["Kidal"]["watches"] == ["Kidal, ML"]
    assert places["Pokrovsk"]["state"] == "unknown" and places["Pokrovsk"]["lat"] is not None  # watched, never reported
    assert "Goma" not in places
    everything = {p["name"] for p in client.get("/api/places?all=true").json()}
    assert "Goma" in everything


def test_place_timeline_has_control_periods_with_evidence(make_runtime):
    _, client = _app(make_runtime)
    key = next(p["key"] for p in client.get("/api/places").json() if p["name"] == "Kidal")
    detail = client.get(f"/api/places/{key}").json()
    periods = detail["periods"]
    assert [p["holder"]["id"] for p in periods] == ["jnim", "ml-army"]
    assert periods[0]["until"] == periods[1]["from"] and periods[1]["until"] is None
    assert periods[1]["evidence"][0]["link"] == "https://two.example/k2"
    assert "retook Kidal" in periods[1]["evidence"][0]["text"]
    assert len(detail["timeline"]) == 2


def test_events_filter_by_place_actor_status_and_time(make_runtime):
    _, client = _app(make_runtime)
    assert {e["item"] for e in client.get("/api/events").json()} == {"k1", "k2", "g1"}
    assert [e["item"] for e in client.get("/api/events?place=Kidal").json()] == ["k2", "k1"]  # newest first
    assert {e["item"] for e in client.get("/api/events?actor=m23").json()} == {"g1"}
    assert {e["item"] for e in client.get("/api/events?actor=ml-army").json()} == {"k1", "k2"}  # either side
    assert [e["item"] for e in client.get("/api/events?since=2024-06-01&until=2024-06-10T23:00:00Z").json()] == ["k2"]
    assert client.get("/api/events?status=held").json() == []
    assert client.get("/api/events?limit=1").json()[0]["item"] == "g1"
    bad = client.get("/api/events?status=taken")
    assert bad.status_code == 400 and "status must be one of" in bad.json()["error"]
    assert client.get("/api/events?since=yesterday").status_code == 400
    assert client.get("/api/events?since=nan").status_code == 400


def test_rules_are_managed_over_the_api_and_used_by_workers(make_runtime, tmp_path):
    rt, client = _app(make_runtime, rules=[Rule(name="changes", statuses=["captured"])],
                      channels=[Channel("file", "file", {"path": str(tmp_path / "alerts.jsonl")})])
    body = {"name": "fighting", "statuses": ["contested"], "min_certainty": "claimed"}
    assert client.post("/api/rules", json=body).status_code == 401
    assert client.post("/api/rules", json=body, headers=AUTH).status_code == 201
    assert [r["name"] for r in client.get("/api/rules").json()] == ["changes", "fighting"]
    bad = client.post("/api/rules", json={"name": "x", "statuses": ["taken"]}, headers=AUTH)
    assert bad.status_code == 422 and "'taken' is not a status" in bad.json()["error"]
    clash = client.post("/api/rules", json={"name": "changes"}, headers=AUTH)
    assert clash.status_code == 422 and "config rule" in clash.json()["error"]
    assert client.post("/api/rules", json={"name": "x", "channels": ["pager"]}, headers=AUTH).status_code == 422
    process_batch([{"id": "c1", "title": "JNIM fighters entered Kidal on Monday, clashing with the Malian army",
                    "text": "", "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "link": "https://four.example/c1", "source": "four.example"}])
    raised = {(a["rule"], a["status"]) for a in client.get("/api/alerts").json()}
    assert raised == {("changes", "captured"), ("fighting", "contested")}
    assert client.delete("/api/rules/fighting", headers=AUTH).status_code == 200
    assert client.delete("/api/rules/fighting", headers=AUTH).status_code == 404
    assert [r.name for r in rt.rules.all()] == ["changes"]


def test_gazetteer_autocomplete(make_runtime):
    _, client = _app(make_runtime)
    found = client.get("/api/gazetteer?q=pokrov").json()
    assert found[0]["name"] == "Pokrovsk" and found[0]["country"] == "UA" and found[0]["country_name"] == "Ukraine"
    assert found[0]["spec"] == str(found[0]["geonameid"])
    assert client.get("/api/gazetteer?q=El Gene").json()[0]["name"].startswith("El Geneina")  # "El" typed, "El" first
    assert client.get("/api/gazetteer?q=p").json() == []  # one letter: too many to be useful
    assert client.get("/api/gazetteer?q=" + "x" * 101).status_code == 400


def test_metrics_cover_throughput_queues_latency_alerts_and_feeds(make_runtime):
    _, client = _app(make_runtime)
    text = client.get("/metrics").text
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if not line.startswith("#")}
    assert values["placewatch_items_processed_total"] == 3
    assert values["placewatch_extraction_seconds_count"] == 3 and values['placewatch_extraction_seconds_bucket{le="+Inf"}'] == 3
    for name in ("placewatch_items_polled_total", "placewatch_items_polled_per_second", 'placewatch_queue_depth{queue="items"}',
                 "placewatch_alerts_sent_total", "placewatch_alerts_failed_total", "placewatch_feed_errors_total",
                 "placewatch_feeds_failing"):
        assert name in values, name
    assert "# TYPE placewatch_extraction_seconds histogram" in text


def test_openapi_spec_describes_every_route(make_runtime):
    rt, client = _app(make_runtime)
    spec = client.get("/openapi.json").json()
    app = create_app(rt)
    served = {(r.path, m.lower()) for r in app.routes if isinstance(r, Route) and r.path.startswith(("/api", "/websub",
              "/metrics", "/healthz", "/readyz")) for m in r.methods if m != "HEAD"}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert served == documented
    assert any(isinstance(r, Mount) for r in app.routes)


def test_errors_are_json_and_say_what_is_wrong(make_runtime):
    _, client = _app(make_runtime)
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and "no such endpoint" in missing.json()["error"]
    wrong_method = client.put("/api/watch")
    assert wrong_method.status_code == 405 and "PUT is not allowed" in wrong_method.json()["error"]
    assert client.post("/api/watch", json={"place": "Pokrovsk,UA", "aliases": "x"}, headers=AUTH).status_code == 400
    assert client.post("/api/watch", json={"place": "Kidal,ML@lots"}, headers=AUTH).status_code == 422


def test_dashboard_page_forbids_outside_requests(make_runtime):
    _, client = _app(make_runtime)
    page = client.get("/")
    assert page.status_code == 200 and "<title>placewatch</title>" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "https:" not in csp
    assert client.get("/static/app.js").status_code == 200
    tiles = create_app(make_runtime(tile_url="https://tiles.example.org/{z}/{x}/{y}.png"))
    csp = TestClient(tiles).get("/").headers["content-security-policy"]
    assert "img-src 'self' data: https://tiles.example.org" in csp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_events(response: httpx.Response, want: int, into: list) -> None:
    event = {}
    for line in response.iter_lines():
        if not line:
            if event.get("event") == "alert":
                into.append(event)
                if len(into) >= want:
                    return
            event = {}
            continue
        name, _, value = line.partition(":")
        event[name] = value.lstrip()


def _alert(n: int) -> dict:
    return {"id": f"a{n}", "kind": "new", "revision": 1, "status": "captured", "raised_at": time.time(), "place": {}}


def test_live_alerts_stream_over_sse_and_resume_with_last_event_id(make_runtime):
    rt = make_runtime(watch=[], api_token=TOKEN, api_protect_reads=True)
    port = _free_port()
    server = serve_in_thread(rt, "127.0.0.1", port)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        assert httpx.get(f"{base}/api/alerts/live").status_code == 401  # protect_reads covers the stream too
        got: list = []
        with httpx.stream("GET", f"{base}/api/alerts/live", headers=AUTH, timeout=10) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = threading.Thread(target=_read_events, args=(response, 2, got))
            reader.start()
            time.sleep(0.3)  # subscribed: only alerts saved from now on arrive
            store = AlertStore(rt.r)
            store.save(_alert(1))
            store.save(_alert(2))
            reader.join(10)
        assert [json.loads(e["data"])["id"] for e in got] == ["a1", "a2"]
        store.save(_alert(3))
        resumed: list = []
        with httpx.stream("GET", f"{base}/api/alerts/live", headers={**AUTH, "Last-Event-ID": got[0]["id"]},
                          timeout=10) as response:
            _read_events(response, 2, resumed)
        assert [json.loads(e["data"])["id"] for e in resumed] == ["a2", "a3"]  # what was missed, once
    finally:
        server.should_exit = True
