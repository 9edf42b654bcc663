"""Alert rules: the config's plus those added at run time through the HTTP API (stored in Redis)."""

from __future__ import annotations

import json
from dataclasses import asdict

import redis

from monitor import keys
from monitor.config import Rule, rule_problems

RULES = keys.k("rules")
FIELDS = {"name": str, "statuses": list, "min_certainty": str, "actors": list, "channels": list, "quiet_minutes": int}


class RuleError(ValueError):
    """A rule that cannot be stored; the message says which field is wrong and how to fix it."""


def rule_from_dict(body: object, channel_names: set[str]) -> Rule:
    if not isinstance(body, dict):
        raise RuleError('a rule is a JSON object like {"name": "captures", "statuses": ["captured"]}')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise RuleError(f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}")
    for key, value in body.items():
        kind = FIELDS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RuleError(f"{key} must be a {kind.__name__}")
        if kind is list and not all(isinstance(v, str) for v in value):
            raise RuleError(f"{key} must be a list of strings")
    if not str(body.get("name") or "").strip():
        raise RuleError("name is required")
    rule = Rule(**body)
    problems = rule_problems(rule, channel_names)
    if problems:
        raise RuleError("; ".join(f"{key}: {problem} ({fix})" for key, problem, fix in problems))
    return rule


class RuleBook:
    def __init__(self, r: redis.Redis | None, config_rules: list[Rule]) -> None:
        self.r = r
        self.config_rules = config_rules

    def all(self) -> list[Rule]:
        stored = [Rule(**json.loads(v)) for v in self.r.hvals(RULES)] if self.r is not None else []
        return self.config_rules + sorted(stored, key=lambda rule: rule.name)

    def describe(self) -> list[dict]:
        config_names = {rule.name for rule in self.config_rules}
        return [{**asdict(rule), "origin": "config" if rule.name in config_names else "api"} for rule in self.all()]

    def add(self, rule: Rule) -> None:
        if any(existing.name == rule.name for existing in self.config_rules):
            raise RuleError(f"a config rule is already named {rule.name!r}; pick another name")
        self.r.hset(RULES, rule.name, json.dumps(asdict(rule)))

    def remove(self, name: str) -> bool:
        return bool(self.r.hdel(RULES, name))
