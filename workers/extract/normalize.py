"""Name normalization shared by the gazetteer, the actor dictionary and the scorer-compatible eval."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bb\u02bc'`\u00b4\u2032]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PREFIXES = re.compile(r"^(the|al|el|ad|as|ar|ash|an|az|at|city of|town of|village of)\s+")
# Transliteration variants collapse to one skeleton: Avdiivka / Avdiyivka, Kharkiv / Harkiv, Dnipro / Dnepro.
_SKELETON_STEPS = [
    (re.compile(r"kh"), "h"),
    (re.compile(r"(zh|dzh|dj)"), "j"),
    (re.compile(r"(ou|oo)"), "u"),
    (re.compile(r"[yj](?=[aeiou])"), ""),
    (re.compile(r"[iy]+"), "i"),
    (re.compile(r"e"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r" "), ""),
]


def _c1_table() -> dict[int, str]:
    table = {}
    for code in range(0x80, 0xA0):
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D mean nothing in cp1252 either
    return table


_C1 = _c1_table()
_C1_CHAR = re.compile("[\x80-\x9f]")


def repair_c1(text: str) -> str:
    """Windows-1252 text read as Latin-1 leaves C1 control characters where quotes and dashes were
    ("took \x93complete control\x94"); put the characters back, one for one, so offsets stay valid."""
    return text.translate(_C1) if _C1_CHAR.search(text) else text


def fold(text: str) -> str:
    """Lowercase, strip accents and apostrophes, turn every run of non-alphanumerics into one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def name_key(text: str) -> str:
    """The lookup key of a place or actor name: folded, with leading articles and al-/el- dropped."""
    text = fold(text)
    previous = None
    while previous != text:
        previous, text = text, _PREFIXES.sub("", text)
    return text


def skeleton(text: str) -> str:
    """A looser key for transliteration variants; only used when the exact key finds nothing."""
    key = name_key(text)
    for pattern, replacement in _SKELETON_STEPS:
        key = pattern.sub(replacement, key)
    return key


def is_latin(text: str) -> bool:
    """True when the name is written in Latin script (the gazetteer keeps only those for English text)."""
    stripped = unicodedata.normalize("NFKD", text)
    return all(c.isascii() or unicodedata.combining(c) for c in stripped)
