"""Place phrases: the grammar of a place slot, splitting lists, and turning a phrase into a place.

A slot holds one place or a list: "the village of Nassougou", "Caadley and Ceel-Baraf villages",
"the southern city of Kherson", "an area known as the 'Palmyra triangle'", "eastern Aleppo",
"Kurman Village (21km NW of Diinsoor)", or a reference back: "the city", "it".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.extract import lexicon
from workers.extract.normalize import name_key

_NOUNS = lexicon.alternation(lexicon.words("places", "nouns"))
_PARTS = lexicon.alternation(lexicon.words("places", "parts"))
_ANAPHORA = lexicon.alternation(lexicon.words("places", "anaphora"))
KEPT_NOUNS = frozenset(lexicon.words("places", "kept"))
NOT_PLACES = frozenset(lexicon.words("places", "not_places"))

_PARTICLE = r"(?:de|du|des|la|le|al|el|ad|as|ar|ash|an|bin|ibn|abu|bani|beni|ben|da|do|dos|di|von|van|wa|w|e|i)"
_CAP = r"(?:[A-Z\u00C0-\u00DE][\w'’\u00C0-\u024F]*(?:-[\w'’\u00C0-\u024F]+)*|\d+(?=\s+[A-Z]))"
_WORD = rf"(?:(?:[aA]l|[eE]l|[aA][dsrnz]|[aA]sh)[-‑]{_CAP}|{_CAP})"
NAME_SEQ = rf"{_WORD}(?:(?:\s+{_PARTICLE}[-\s]+|\s+|-){_WORD}){{0,4}}"
_INTRO = (rf"(?:(?:the|a|an|its|their)\s+)?(?:[\w\-’']+\s+){{0,3}}?(?i:{_NOUNS})\s+"
          r"(?:(?:known\s+as|called|named|dubbed|of|at|in)\s+)(?:the\s+)?")
_PAREN = r"(?:\s*\([^()\n]{0,80}\))?"


def _place(named: bool) -> str:
    """The grammar of one place; with named groups for parsing, without them for use inside lists."""
    def g(name: str) -> str:
        return f"?P<{name}>" if named else "?:"

    quoted = rf"[\"“‘']({g('quoted')}[A-Z][^\"”’'\n]{{1,40}}?)[\"”’']"
    return (rf"(?:({g('intro')}{_INTRO})|(?:the\s+))?(?:({g('part')}(?i:{_PARTS}))\s+)?"
            rf"(?:{quoted}|({g('name')}{NAME_SEQ}))(?:\s+({g('suffix')}(?i:{_NOUNS}))\b)?{_PAREN}")


PLACE = _place(named=True)
_PLACE_ANON = _place(named=False)
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*|\s+as\s+well\s+as\s+)"
PLACE_LIST = rf"{_PLACE_ANON}(?:{_SEP}{_PLACE_ANON}){{0,14}}"
ANAPHOR = (rf"(?:the\s+(?:(?i:{_PARTS})\s+)?(?:[a-z\-]+\s+){{0,2}}?(?:{_ANAPHORA})\b(?!\s+of\b)|\bit\b)")
SLOT = rf"(?:{PLACE_LIST}|{ANAPHOR})"
_ANAPHOR_RE = re.compile(rf"(?:the\s+(?:(?i:{_PARTS})\s+)?(?:[a-z\-]+\s+){{0,2}}?(?P<anaphor>{_ANAPHORA})\b(?!\s+of\b)|(?P<pronoun>\bit\b))")

_PLACE_RE = re.compile(PLACE)
_PARENTHETICAL = re.compile(r"\(([^()]*)\)")


@dataclass
class PlacePhrase:
    name: str  # the place's name as written, with a kept noun ("Sabri district")
    bare: str  # the name alone ("Sabri")
    start: int  # offsets within the sentence
    end: int
    part: str | None = None  # "eastern" in "eastern Aleppo"
    noun: str | None = None  # "village", "district", ...
    anaphor: bool = False  # "the city", "it": resolved later against the last place named
    near: str | None = None  # "Diinsoor" in "(21km NW of Diinsoor)"


def _clean_name(name: str) -> str:
    name = name.strip().strip("'\"‘’“”")
    name = re.sub(r"['’]s$", "", name)
    return re.sub(r"\s+", " ", name)


def parse_slot(sentence: str, match: re.Match, group: str = "slot") -> list[PlacePhrase]:
    """The places inside a slot match (a list, one place, or an anaphor)."""
    start, end = match.span(group)
    text = sentence[start:end]
    m = _ANAPHOR_RE.fullmatch(text.rstrip())
    if m:
        return [PlacePhrase(m.group(0), m.group(0), start, end, noun=m.group("anaphor"), anaphor=True)]
    out: list[PlacePhrase] = []
    list_noun = None
    for pm in _PLACE_RE.finditer(text):
        out.append(_phrase(pm, start))
        list_noun = pm.group("suffix") or list_noun
    # "Caadley and Ceel-Baraf villages": a plural noun after the list applies to every item.
    if list_noun and list_noun.lower().endswith("s") and len(out) > 1:
        for phrase in out:
            phrase.noun = phrase.noun or list_noun.lower().rstrip("s")
            if phrase.name.lower().endswith(" " + list_noun.lower()):
                phrase.name = phrase.bare
    return [p for p in out if is_place_name(p.bare)]


def _phrase(pm: re.Match, offset: int) -> PlacePhrase:
    raw = pm.group("quoted") or pm.group("name") or ""
    bare = _clean_name(raw)
    noun = (pm.group("suffix") or "").lower() or None
    intro_noun = None
    if pm.group("intro"):
        words = re.findall(r"[A-Za-z\-]+", pm.group("intro"))
        nouns = [w.lower() for w in words if w.lower() in KEPT_NOUNS or w.lower().rstrip("s") in KEPT_NOUNS
                 or w.lower() in ("village", "villages", "town", "towns", "city", "cities")]
        intro_noun = nouns[-1] if nouns else None
    # Split a trailing noun that the name swallowed because it was capitalised ("Kurman Village").
    tail = re.search(rf"\s+(?i:({_NOUNS}))$", bare)
    if tail and not pm.group("quoted"):
        noun = noun or tail.group(1).lower()
        bare = bare[: tail.start()]
    name = bare
    if noun and noun in KEPT_NOUNS and not pm.group("quoted"):
        name = f"{bare} {noun}"
    paren = _PARENTHETICAL.search(pm.group(0))
    near = None
    if paren:
        found = re.search(rf"\bof\s+({NAME_SEQ})", paren.group(1))
        near = found.group(1) if found else None
    part = pm.group("part")
    if part and not pm.group("intro"):
        name = f"{part.lower()} {name}"
    return PlacePhrase(name, bare, offset + pm.start(), offset + pm.end(), part=part.lower() if part else None,
                       noun=noun or intro_noun, near=near)


def is_place_name(name: str) -> bool:
    """False for words that look like names in a slot but are not places (months, pronouns, titles)."""
    key = name.strip().lower()
    if not key or key in NOT_PLACES or name_key(name) in NOT_PLACES:
        return False
    first = key.split()[0]
    if first in ("the", "a", "an", "this", "that", "its", "their", "president", "general", "mr", "minister", "colonel"):
        return False
    return not re.fullmatch(r"[\d\s]+", key)


def find_names(sentence: str) -> list[tuple[int, int, str]]:
    """Every capitalised name sequence in a sentence (for context: which places a text talks about)."""
    return [(m.start(), m.end(), m.group(0)) for m in re.finditer(NAME_SEQ, sentence)]
