"""docker-compose.yml can't run here (no Docker engine), so check it against the CLI and the config reader."""

from pathlib import Path

import yaml

from monitor.cli import build_parser
from monitor.config import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent


def _subcommands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return set(action.choices)


def test_every_service_command_is_a_placewatch_subcommand_that_parses():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "poller", "worker", "api"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "--appendonly" in services["redis"]["command"]
    parser = build_parser()
    for name, service in services.items():
        if name == "redis":
            continue
        command = service["command"]
        assert command[0] in _subcommands(), f"{name}: {command[0]} is not a placewatch command"
        parser.parse_args(command)  # raises SystemExit on unknown options


def test_every_environment_variable_is_one_the_config_reads():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        for var in service.get("environment", {}):
            assert var in ENV_VARS, f"{name} sets {var}, which placewatch never reads"
    source = (ROOT / "monitor" / "config.py").read_text() + (ROOT / "monitor" / "logs.py").read_text()
    for var in ("PLACEWATCH_REDIS_URL", "PLACEWATCH_CONFIG", "PLACEWATCH_DATA_DIR", "PLACEWATCH_LOG_FORMAT"):
        assert var in source
