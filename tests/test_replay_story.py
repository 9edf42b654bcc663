"""Replay acceptance: a sequence written for placewatch, modelled on the seed's story of Palmyra.

2015 capture; 2016 recapture; December loss; March anticipation (no alert); next-day recapture by two outlets
(one alert, then its confirmation); a later false claim (alert) that is denied (retraction). History retold
in passing (s4, s7) never alerts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STORY = Path(__file__).parent / "data" / "palmyra_story.jsonl"

EXPECTED = [
    # kind, status, to, from, published, sources in the evidence
    ("new", "captured", "islamic-state", "sy-government", "2015-05-21", ["levantwire.example"]),
    ("new", "captured", "sy-government", "islamic-state", "2016-03-27", ["levantwire.example"]),
    ("new", "captured", "islamic-state", "sy-government", "2016-12-11", ["desertherald.example"]),
    ("new", "captured", "sy-government", "islamic-state", "2017-03-02", ["levantwire.example"]),
    ("confirmed", "captured", "sy-government", "islamic-state", "2017-03-02", ["levantwire.example", "gulfpost.example"]),
    ("new", "captured", "islamic-state", "sy-government", "2017-03-12", ["amaqwire.example"]),
    ("retracted", "captured", "islamic-state", "sy-government", "2017-03-13", ["amaqwire.example", "levantwire.example"]),
]


def _run(*args: str) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "monitor.cli", "replay", str(STORY), *args, "--format", "jsonl"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_replay_raises_exactly_the_alerts_an_analyst_expects():
    alerts = _run("--watch", "Palmyra,SY")
    got = [(a["kind"], a["status"], (a["to"] or {}).get("id"), (a["from"] or {}).get("id"), a["published"],
            [e["source"] for e in a["evidence"]]) for a in alerts]
    assert got == EXPECTED
    assert all(a["place"] == {"name": "Tadmur", "geonameid": 163808, "country": "SY"} for a in alerts)
    certainty = [a["certainty"] for a in alerts]
    assert certainty == ["claimed", "claimed", "claimed", "claimed", "confirmed", "claimed", "denied"]
    assert alerts[3]["when"] == "2017-03-02"


def test_unwatched_place_raises_nothing_and_all_places_matches():
    assert _run("--watch", "Aleppo,SY") == []
    assert len(_run("--all-places")) == len(EXPECTED)
