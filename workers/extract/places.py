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
_PARTS = lexicon.alternation(lexicon.words("places", "parts")).replace("(?:", "(?-i:", 1)
_ANAPHORA = lexicon.alternation(lexicon.words("places", "anaphora"))
KEPT_NOUNS = frozenset(lexicon.words("places", "kept"))
DEMONYMS = frozenset(lexicon.load("demonyms")["demonyms"])
NOT_PLACES = frozenset(lexicon.words("places", "not_places"))

# Particles inside names: "Ras al Ain", "Deir ez-Zor", "Bani Walid". Short ones need their hyphen ("Tell as-Sultan"),
# or "Palmyra as Islamic State" would read as one name.
_PARTICLE = (r"(?:(?:de|du|des|la|le|al|el|ad|ar|ash|ez|ul|um|ur|bin|ibn|abu|bani|beni|ben|da|do|dos|di|von|van)(?=[\s-])"
             r"|(?:as|an|az|es|ed|et|at|wa|w|e|i)(?=-))")
_CAP = r"(?:[A-Z\u00C0-\u00DE][\w'’\u00C0-\u024F]*(?:-[\w'’\u00C0-\u024F]+)*|\d+(?=\s+[A-Z]))"
_WORD = rf"(?:(?:[aA]l|[eE]l|[aA][dsrnz]|[aA]sh)[-‑]{_CAP}|{_CAP})"
NAME_SEQ = rf"{_WORD}(?:(?:\s+{_PARTICLE}[-\s]+|\s+|-)(?:{_WORD}|\d+\b(?![:.,]\d))){{0,4}}"
_FILLER = r"(?:(?!(?:in|at|on|from|to|by|with|near|for|of|and|or|as|after|before|into)\s)[\w\-’'`‘]+\s+)"
_FACILITY_NOUNS = lexicon.alternation([w for w in lexicon.words("places", "kept")
                                       if w not in ("district", "area", "region", "province", "governorate", "oblast", "county",
                                                    "zone", "valley", "mountain", "island", "suburb", "quarter", "grouping")])
_INTRO = (rf"(?:(?:the|a|an|its|their)\s+)?(?:[\w\-]+['’]s\s+)?{_FILLER}{{0,3}}?"
          rf"(?:(?i:{_NOUNS}),?\s+(?:known\s+as|called|named|dubbed|of)|(?i:{_FACILITY_NOUNS})\s+(?:in|at|near)"
          # "the border town Myawaddy" (but not "the town Ukrainian troops retook")
          rf"|(?i:town|city|village|hamlet)(?=\s+[A-Z])(?!\s+[A-Z][\w\-’']*\s+(?i:troops|forces|fighters|rebels|soldiers|army|"
          rf"militants|militia|police)\b))\s+(?:the\s+)?")
_PAREN = r"(?:\s*\([^()\n]{0,80}\))?"
_SETTLEMENTS = frozenset(w + s for w in ("city", "town", "village", "area", "region", "settlement", "district", "province",
                                         "locality") for s in ("", "s")) | {"cities", "localities"}


def _place(named: bool) -> str:
    """The grammar of one place; with named groups for parsing, without them for use inside lists."""
    def g(name: str) -> str:
        return f"?P<{name}>" if named else "?:"

    quoted = rf"[\"“‘']({g('quoted')}[A-Z][^\"”’'\n]{{1,40}}?)[\"”’']"
    return (rf"(?:({g('intro')}{_INTRO})|(?:the\s+)(?:[\w\-]+['’]s\s+)?)?(?:({g('part')}{_PARTS})\s+)?"
            rf"(?:{quoted}|({g('name')}{NAME_SEQ}))(?:\s+({g('suffix')}(?:[a-z]+\s+)?(?i:{_NOUNS}))\b)?{_PAREN}")


PLACE = _place(named=True)
_PLACE_ANON = _place(named=False)
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+|as\s+well\s+as\s+)?|\s+and\s+|\s+or\s+|\s*&\s*|\s+as\s+well\s+as\s+)"
PLACE_LIST = rf"{_PLACE_ANON}(?:{_SEP}{_PLACE_ANON}){{0,14}}"
_NOT_ANAPHORIC = r"(?!\s+(?:of|center|centre|council|hall|limits|authorities|administration|mayor|governor)\b|['’]s\b)"
# Telegraphic notes drop the article: "recaptured area", "took control of town."
_BARE = r"(?:area|town|village)(?=\s*(?:[.;]|$))"
# A summary re-describing its headline's place: "took over a strategically-important city in the Donbas".
_INDEFINITE = rf"\ban?\s+(?:[\w\-]+\s+){{0,3}}?(?:city|town|village)\b(?:\s+in\s+(?:the\s+)?{NAME_SEQ})?"
ANAPHOR = (rf"(?:the\s+(?:{_PARTS}\s+)?(?:[a-z\-]+\s+){{0,2}}?(?:{_ANAPHORA})\b{_NOT_ANAPHORIC}|\bit\b|{_BARE}|{_INDEFINITE})")
_PLURAL = (r"(?:all\s+(?:two|three|four|five|six|\d+)|both(?:\s+of\s+the)?|the\s+(?:two|three|four|five|six|\d+)|these|those)"
           r"\s+(?:villages|towns|areas|localities|positions|settlements|places|locations|districts|bases|posts|cities)\b")
# A facility named only by common nouns: "the government complex", "the headquarters of the northeast military
# command in Lashio", "Europe's largest nuclear plant". Tried after names, lists and back-references.
_FACILITY_HEADS = lexicon.alternation(lexicon.words("places", "facilities"))
_FACILITY = (rf"(?:(?:the|a|an)\s+|[A-Z][\w\-]+['’]s\s+|(?=[A-Z]|army\s|military\s|police\s))"
             rf"(?:[\w\-]+\s+){{0,3}}?(?i:{_FACILITY_HEADS})\b"
             rf"(?:\s+of\s+(?:the\s+)?(?:[\w\-]+\s+){{0,4}}?(?i:command|division|brigade|regiment|corps|battalion|army|"
             rf"directorate|ministry|company|governorate|administration))?(?:\s+(?:in|at|near)\s+(?P<near>{NAME_SEQ}))?")
SLOT = rf"(?:{PLACE_LIST}|{_PLURAL}|{ANAPHOR}|{_FACILITY.replace('?P<near>', '?:')})"
_FACILITY_RE = re.compile(_FACILITY)
_FACILITY_HEAD_AT = re.compile(rf"\b(?i:({_FACILITY_HEADS}))\b")
_PLURAL_RE = re.compile(_PLURAL)
_ANAPHOR_RE = re.compile(rf"(?:the\s+(?:{_PARTS}\s+)?(?:[a-z\-]+\s+){{0,2}}?(?P<anaphor>{_ANAPHORA})\b{_NOT_ANAPHORIC}|(?P<pronoun>\bit\b)|"
                         rf"(?P<bare>{_BARE})|(?P<indefinite>{_INDEFINITE}))")

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
    plural: bool = False  # "both villages", "all three areas": the last list of places named
    near: str | None = None  # "Diinsoor" in "(21km NW of Diinsoor)"
    implicit: bool = False  # no words at all ("until the troops withdrew."): only a place named earlier in the sentence
    indefinite: bool = False  # "a key town": only when the document has named exactly one place


def _clean_name(name: str) -> str:
    name = name.strip().strip("'\"‘’“”")
    name = re.sub(r"['’]s$", "", name)
    return re.sub(r"\s+", " ", name)


def parse_slot(sentence: str, match: re.Match, group: str = "slot") -> list[PlacePhrase]:
    """The places inside a slot match (a list, one place, or an anaphor)."""
    start, end = match.span(group)
    text = sentence[start:end]
    if not text:  # an empty slot: the place this sentence named before the trigger
        return [PlacePhrase("", "", start, end, anaphor=True, implicit=True)]
    if _PLURAL_RE.fullmatch(text.rstrip()):
        return [PlacePhrase(text, text, start, end, anaphor=True, plural=True)]
    m = _ANAPHOR_RE.fullmatch(text.rstrip())
    if m:
        return [PlacePhrase(m.group(0), m.group(0), start, end, noun=m.group("anaphor") or m.group("bare"), anaphor=True,
                            indefinite=bool(m.group("indefinite")))]
    out: list[PlacePhrase] = []
    list_noun = None
    matches = list(_PLACE_RE.finditer(text))
    facility = _FACILITY_RE.fullmatch(text.rstrip())
    named_first = matches and matches[0].start() == 0 and (matches[0].end() >= len(text.rstrip())
                                                            or _names_an_institution(matches[0]))
    if facility and not named_first:
        return [_facility_phrase(facility, start)]
    if matches and _names_an_institution(matches[0]):
        # "the base of the Central Rocket and Artillery Directorate": one place, whatever its "and"s
        first = matches[0]
        phrase = _phrase(first, start)
        rest = _clean_name(re.split(r"[(,;]", text[first.start("name"):])[0]) if first.group("name") else phrase.bare
        phrase.bare = phrase.name = rest
        phrase.end = end
        return [phrase] if is_place_name(rest) else []
    for i, pm in enumerate(matches):
        if i and pm.group("intro") and re.match(r"the\s", pm.group("intro")) and text[:pm.start()].rstrip().endswith(","):
            break  # ", the capital of North Darfur": an appositive, not another place of the list
        out.append(_phrase(pm, start))
        list_noun = _noun_of(pm.group("suffix")) or list_noun
    # "Caadley and Ceel-Baraf villages": a plural noun after the list applies to every item.
    if list_noun and list_noun.lower().endswith("s") and len(out) > 1:
        for phrase in out:
            phrase.noun = phrase.noun or list_noun.lower().rstrip("s")
            if phrase.name.lower().endswith(" " + list_noun.lower()):
                phrase.name = phrase.bare
    return [p for p in out if is_place_name(p.bare)]


def _facility_phrase(m: re.Match, offset: int) -> PlacePhrase:
    """The facility named as written, without its determiner or the town it stands in (kept as `near`)."""
    words = m.group(0)[: m.start("near") - m.start()] if m.group("near") else m.group(0)
    words = re.sub(r"\s+(?:in|at|near)\s*$", "", words.strip())
    name = re.sub(r"^(?:the|a|an|its|their)\s+", "", words, flags=re.I)
    head = _FACILITY_HEAD_AT.search(name)
    return PlacePhrase(name, m.group("near") or "", offset + m.start(), offset + m.end(),
                       noun=head.group(1).lower() if head else "facility", near=m.group("near"))


_NOUN_AT_END = re.compile(rf"(?i:({_NOUNS}))$")
_INSTITUTION = re.compile(r"(?:base|headquarters|hq|hqs|command|complex|compound|barracks|garrison)\s+of\s+(?:the\s+)?$", re.I)


def _noun_of(suffix: str | None) -> str | None:
    """The place noun at the end of a suffix like 'strategic position'."""
    if not suffix:
        return None
    found = _NOUN_AT_END.search(suffix.strip())
    return found.group(1).lower() if found else None


def _names_an_institution(pm: re.Match) -> bool:
    """'the base of the Central Rocket and Artillery Directorate': 'of the' + a capitalised institution."""
    intro = pm.group("intro") or ""
    return bool(_INSTITUTION.search(intro)) and bool(re.search(r"\bof\s+the\s+$", intro))


def _phrase(pm: re.Match, offset: int) -> PlacePhrase:
    raw = pm.group("quoted") or pm.group("name") or ""
    bare = _clean_name(raw)
    suffix = (pm.group("suffix") or "").strip()
    noun = _noun_of(suffix)
    intro_noun = None
    near = None
    if pm.group("intro"):
        intro = pm.group("intro")
        words = re.findall(r"[A-Za-z\-]+", intro)
        nouns = [w.lower() for w in words if w.lower() in KEPT_NOUNS or w.lower().rstrip("s") in KEPT_NOUNS
                 or w.lower() in ("village", "villages", "town", "towns", "city", "cities")]
        intro_noun = nouns[-1] if nouns else None
        # "the Ihana area of Walikale": the place is the Ihana area, Walikale only says where it is.
        named = [w for w in re.findall(r"[\w'’\-]+", intro.split("'s ")[-1].split("’s ")[-1])
                 if w[:1].isupper() and w.lower() not in DEMONYMS and w.lower() not in NOT_PLACES]
        if named and intro_noun and intro_noun in KEPT_NOUNS and re.search(r"\sof\s+(?:the\s+)?$", intro):
            near, bare, noun, suffix = bare, " ".join(named), intro_noun, intro_noun
        elif intro_noun in KEPT_NOUNS and re.search(r"\s(?:in|at|near)\s+(?:the\s+)?$", intro) and not pm.group("suffix"):
            # "a military post in Sangailu": the post is the place taken, not Sangailu; it is named as written
            written = re.sub(r"^(?:the|a|an|its|their)\s+", "", intro.strip(), flags=re.I)
            return PlacePhrase(f"{written} {bare}", bare, offset + pm.start(), offset + pm.end(), noun=intro_noun,
                               near=bare)
        elif intro_noun in KEPT_NOUNS and re.search(r"\sof\s+(?:the\s+)?$", intro) and not pm.group("suffix"):
            # "the city center of Ramadi", "the HQs of the 1st Naval Brigade": the facility, named as written
            written = re.sub(r"^(?:the|a|an|its|their)\s+", "", intro.strip(), flags=re.I)
            return PlacePhrase(f"{written} {bare}", bare, offset + pm.start(), offset + pm.end(), noun=intro_noun,
                               near=bare)
    if bare.lower() in DEMONYMS and suffix:
        bare, noun, suffix = f"{bare} {suffix}", None, ""  # "the Chinese Offices": the noun is part of the name
    # Split a trailing noun that the name swallowed because it was capitalised ("Kurman Village").
    tail = re.search(rf"\s+(?i:({_NOUNS}))$", bare)
    # "the Chinese Offices" is one name; "Ukrainian cities" is no place at all (dropped later as a demonym)
    whole = bare[: tail.start()].lower() in DEMONYMS and tail.group(1).lower() not in _SETTLEMENTS if tail else False
    if whole:
        noun = noun or tail.group(1).lower()
    elif tail and not pm.group("quoted"):
        noun = noun or tail.group(1).lower()
        bare = bare[: tail.start()]
    name = bare
    if noun and noun in KEPT_NOUNS and not pm.group("quoted"):
        name = f"{bare} {suffix.lower() if suffix else noun}"
    paren = _PARENTHETICAL.search(pm.group(0))
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


_LIST_INTRO = re.compile(rf"\b(?:villages|towns|localities|areas|settlements|districts|locations|neighbourhoods|neighborhoods)\s+"
                         rf"(?:of|including|such\s+as|namely)\s+(?P<slot>{PLACE_LIST})")


def place_lists(sentence: str) -> list[list[PlacePhrase]]:
    """Lists of places named in passing ("in the Bakool villages of A, B and C"), for 'all three areas' later."""
    return [found for m in _LIST_INTRO.finditer(sentence) if len(found := parse_slot(sentence, m)) > 1]


_NOUN_PLACE = re.compile(rf"\b(?:village|town|city|district|area|locality|settlement)\s+of\s+(?P<a>{NAME_SEQ})|"
                         rf"(?P<b>{NAME_SEQ})\s+(?i:village|town|district|area|locality|settlement|camp|base)\b")


def noun_places(sentence: str) -> list[PlacePhrase]:
    """Places a place noun vouches for ("Kamoor Village", "the village of Amuma"), gazetteer or not."""
    out = []
    for m in _NOUN_PLACE.finditer(sentence):
        group = "a" if m.group("a") else "b"
        name = _clean_name(m.group(group))
        if is_place_name(name) and name.lower() not in DEMONYMS:
            out.append(PlacePhrase(name, name, m.start(group), m.end(group), noun="village"))
    return out
