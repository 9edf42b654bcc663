"""The CLI as a user runs it: real subprocesses of the installed `placewatch` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import EXAMPLES, build_parser

BIN = [sys.executable, "-m", "monitor.cli"]


def run(*args: str, env: dict | None = None, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BIN, *args], capture_output=True, text=True, timeout=timeout, input=input,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_help_with_examples(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    text = sub.format_help()
    assert "examples:" in text and f"placewatch {command}" in text


def test_extract_prints_contract_json_for_text_argument():
    result = run("extract", "Rebels seized the town of Saraqib on Monday.", "--published", "2020-01-29")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    event = doc["events"][0]
    assert event["place"]["name"] == "Saraqib" and event["place"]["country"] == "SY"
    assert event["status"] == "captured" and event["when"] == "2020-01-27" and event["recent"] is True
    assert event["evidence"]["text"].startswith("Rebels seized")
    start, end = event["evidence"]["start"], event["evidence"]["end"]
    assert "Rebels seized the town of Saraqib on Monday."[start:end] == event["evidence"]["text"]


def test_extract_reads_stdin_and_jsonl_with_bad_lines_reported(tmp_path):
    result = run("extract", "-", input="Government forces retook Kidal.")
    assert json.loads(result.stdout)["events"][0]["status"] == "captured"
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "published": "2021-05-02", "title": "", "text": "Militants overran Kidal."}\n'
                    "not json\n"
                    '{"id": "b", "published": "2021-05-02", "title": "Weather", "text": "Sunny."}\n')
    result = run("extract", "--input", str(docs))
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"] and lines[1]["events"] == []
    assert "docs.jsonl:2: not JSON" in result.stderr


def test_extract_explain_names_the_rule():
    result = run("extract", "--explain", "The town of Kidal was captured by rebels.")
    assert "passive_capture" in result.stderr
    assert json.loads(result.stdout)["events"][0]["rule"] == "passive_capture"


def test_init_writes_a_config_that_loads(tmp_path):
    path = tmp_path / "pw.toml"
    assert run("init", "--path", str(path)).returncode == 0
    assert "[[feeds]]" in path.read_text()
    assert run("init", "--path", str(path)).returncode == 1  # never overwrites silently


def test_bad_config_gives_clear_error_and_exit_2(tmp_path):
    path = tmp_path / "pw.toml"
    path.write_text("[[watch]]\ncountry = 'Syria'\n")
    result = run("--config", str(path), "status")
    assert result.returncode == 2
    assert "watch[0].country" in result.stderr and "two-letter" in result.stderr


def test_watch_feeds_status_alerts_against_a_real_redis(redis_url, r, tmp_path):
    env = {"PLACEWATCH_REDIS_URL": redis_url, "PLACEWATCH_DATA_DIR": str(tmp_path)}
    ambiguous = run("watch", "add", "Palmyra", env=env)
    assert ambiguous.returncode == 1 and "give a country" in ambiguous.stderr and "Tadmur (SY" in ambiguous.stderr
    assert run("watch", "add", "Palmyra,SY", "--alias", "Tadmor", env=env).returncode == 0
    listed = run("watch", "list", env=env).stdout
    assert "Palmyra (Tadmur), SY" in listed
    assert run("watch", "remove", "Palmyra", env=env).returncode == 0
    assert "Tadmur" not in run("watch", "list", env=env).stdout

    assert run("feeds", "add", "https://example.org/rss", "--name", "Ex", env=env).returncode == 0
    assert "https://example.org/rss\tEx" in run("feeds", "list", env=env).stdout
    assert run("feeds", "add", "ftp://x", env=env).returncode == 1
    status = run("status", "--json", env=env)
    info = json.loads(status.stdout)
    assert info["feeds"]["total"] == 1 and "items" in info["queues"]
    assert run("alerts", env=env).returncode == 0


def test_demo_prints_capture_alert_and_exits_zero():
    result = run("demo", timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "day 1 raised 0 alert(s)" in result.stdout
    assert "CAPTURED" in result.stdout and "Al Qaryatayn" in result.stdout


def test_replay_jsonl_lists_alerts(tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "1", "published": "2024-05-02", "title": "Rebels seize Kidal",
                                "text": "Rebels seized Kidal on Thursday.", "source": "wire.example",
                                "link": "https://wire.example/1"}) + "\n")
    result = run("replay", str(docs), "--watch", "Kidal,ML", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(alerts) == 1 and alerts[0]["kind"] == "new" and alerts[0]["place"]["country"] == "ML"
    assert set(alerts[0]) >= {"place", "status", "from", "to", "certainty", "when", "published", "evidence", "kind"}


def test_readme_commands_exist():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:40])
    assert "make run" in first_screen and "make test" in first_screen
