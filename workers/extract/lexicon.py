"""Load the word lists in workers/data and turn them into regex alternations."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def load(name: str) -> dict:
    """A TOML data file from workers/data, parsed once per process."""
    with open(DATA / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


def words(section: str, key: str) -> list[str]:
    return list(load("lexicon")[section][key])


def alternation(phrases: list[str]) -> str:
    """A regex alternation of phrases, longest first so 'took control of' wins over 'took'."""
    parts = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in parts) + ")"


def wordset(section: str, key: str) -> frozenset[str]:
    return frozenset(w.lower() for w in words(section, key))
