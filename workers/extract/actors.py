"""Actor dictionary and actor mentions: who is named in a sentence, and which canonical actor it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workers.extract import lexicon
from workers.extract.normalize import name_key

# Head nouns of an armed actor phrase: "Al Shabaab fighters", "SNA/AMISOM forces", "the army".
HEADS = (r"forces|force|troops|soldiers|soldier|fighters|fighter|"
         r"militants|militia|militias|militiamen|rebels|rebel groups|army|armies|"
         r"military|gunmen|insurgents|jihadists|units|unit|brigade|brigades|battalion|battalions|regiment|police|"
         r"guard|guards|marines|paratroopers|mercenaries|separatists|mujahideen|tribesmen|combatants|group|groups|"
         r"elements|operatives|defenders|commandos|government|regime|coalition|faction|revolutionaries|council|"
         r"resistance|movement|alliance|command|authorities|ministry of defence|ministry of defense|defence ministry|"
         r"defense ministry|mutineers|troops|junta")
# Modifiers that may stand before a head: names, nationalities, "pro-X", "joint", "allied" ...
_MOD = (r"(?:(?:the|a|an|presumed|suspected|joint|allied|affiliated|aligned|loyalist|local|armed|unidentified|unknown|"
        r"heavily-armed|regular|"
        r"government|rebel|opposition|pro-[\w\-]+|[\w\-]+-backed|[\w\-]+-allied|[\w\-]+-led|its|their|his|national|"
        r"special|security|federal|state|islamist|jihadist|militant|tribal|clan|and|or|of|[A-Z][\w'’/\-]*|\d+(?:st|nd|rd|th)?)\s+)")
_GENERIC_PHRASE = re.compile(rf"\b{_MOD}{{0,5}}(?i:{HEADS})\b")  # "Rebels seized ..." opens a sentence
_PRO = re.compile(r"\b[Pp]ro-([A-Z][\w\-]*)")
_PRONOUN = re.compile(r"\b(?:it|they|he|she|we)\b", re.I)


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    side: str
    country: str
    aliases: tuple[str, ...] = ()


@dataclass
class ActorMention:
    start: int
    end: int
    text: str
    actor: Actor | None  # None: generic, resolved later from context
    generic_side: str | None = None  # "state" / "nonstate" for generic phrases
    ids: list[str] = field(default_factory=list)  # every dictionary actor named inside the phrase

    def as_dict(self) -> dict:
        if self.actor is None:
            return {"id": None, "name": self.text, "mention": self.text}
        return {"id": self.actor.id, "name": self.actor.name, "mention": self.text}


class ActorDictionary:
    """The bundled actor list plus config additions, matched as whole words."""

    def __init__(self, extra: list[dict] | None = None) -> None:
        data = lexicon.load("actors")
        entries: dict[str, dict] = {a["id"]: dict(a) for a in data["actor"]}
        for item in extra or []:  # config [[actors]] extend or add entries
            base = entries.setdefault(item["id"], {"id": item["id"], "name": item.get("name", item["id"]), "aliases": []})
            base["aliases"] = list(base.get("aliases", [])) + list(item.get("aliases", []))
            for key in ("name", "side", "country"):
                if key in item:
                    base[key] = item[key]
        self.actors: dict[str, Actor] = {}
        self.by_key: dict[str, Actor] = {}
        surface: dict[str, Actor] = {}
        for entry in entries.values():
            actor = Actor(entry["id"], entry["name"], entry.get("side", "nonstate"), entry.get("country", ""),
                          tuple(entry.get("aliases", [])))
            self.actors[actor.id] = actor
            for alias in (actor.name, *actor.aliases):
                self.by_key.setdefault(name_key(alias), actor)
                surface[alias] = actor
        # Short upper-case aliases (IS, AA, SNA) match case-sensitively; the rest ignore case.
        exact = [a for a in surface if a.isupper() and len(a) <= 5]
        loose = [a for a in surface if a not in exact]
        self._exact = re.compile(rf"(?<![\w\-]){lexicon.alternation(exact)}(?![\w])")
        self._loose = re.compile(rf"(?<![\w\-]){lexicon.alternation(loose)}(?![\w])", re.I)
        generic = data["generic"]
        self.generic_state = frozenset(g.lower() for g in generic["state"])
        self.generic_nonstate = frozenset(g.lower() for g in generic["nonstate"])

    def lookup(self, text: str) -> Actor | None:
        return self.by_key.get(name_key(text))

    def named(self, sentence: str) -> list[tuple[int, int, Actor]]:
        """Dictionary actors named in a sentence, as (start, end, actor), longest match first at a position."""
        hits = [(m.start(), m.end(), self.by_key[name_key(m.group(0))]) for m in self._loose.finditer(sentence)
                if name_key(m.group(0)) in self.by_key]
        hits += [(m.start(), m.end(), self.by_key[name_key(m.group(0))]) for m in self._exact.finditer(sentence)
                 if name_key(m.group(0)) in self.by_key]
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[int, int, Actor]] = []
        for hit in hits:
            if not out or hit[0] >= out[-1][1]:
                out.append(hit)
        return out

    def mentions(self, sentence: str) -> list[ActorMention]:
        """Actor phrases in a sentence: dictionary names widened to their whole noun phrase, plus generic ones."""
        named = self.named(sentence)
        spans: list[ActorMention] = []
        for m in _GENERIC_PHRASE.finditer(sentence):
            start, end = _trim_phrase(sentence, m.start(), m.end())
            if start >= end:
                continue
            inside = [a for s, e, a in named if s >= start and e <= end]
            text = sentence[start:end]
            if not inside:  # "pro-Hadi and affiliated forces": the side a "pro-X" phrase names
                inside = [a for pro in _PRO.findall(text)
                          if (a := self.lookup(f"pro-{pro} forces") or self.lookup(f"{pro} forces")) is not None][:1]
            side = None if inside else self._generic_side(text)
            if not inside and side is None:
                continue
            spans.append(ActorMention(start, end, text, inside[0] if inside else None, side, [a.id for a in inside]))
        for s, e, actor in named:
            if not any(m.start <= s and e <= m.end for m in spans):
                spans.append(ActorMention(s, e, sentence[s:e], actor, None, [actor.id]))
        spans.sort(key=lambda m: m.start)
        return spans

    def generic_side(self, text: str) -> str | None:
        """'state', 'nonstate' or None for a phrase that names no dictionary actor."""
        return self._generic_side(text)

    def _generic_side(self, text: str) -> str | None:
        words = text.lower().split()
        while words and words[0] in ("the", "a", "an", "its", "their", "his"):
            words = words[1:]
        phrase = " ".join(words)
        for n in range(len(words)):
            tail = " ".join(words[n:])
            if tail in self.generic_state or ("the " + tail) in self.generic_state:
                return "state"
            if tail in self.generic_nonstate or ("the " + tail) in self.generic_nonstate:
                return "nonstate"
        if re.search(r"\b(?:police|army|military|government|troops|soldiers?|junta)\b", phrase):
            return "state"
        if re.search(r"\b(?:militants|fighters|rebels|gunmen|insurgents|jihadists|militia\w*|group|factions?)\b", phrase):
            return "nonstate"
        if re.search(r"\b(?:forces|troops|units|brigades?|battalions?|regiment)$", phrase) and re.search(r"[A-Z]", text):
            return "armed"  # "AMISOM-Somali forces", "Jubaland forces": armed, side unknown
        return None


_LEADING_JUNK = re.compile(r"^(?:(?:and|of|But|And|Meanwhile|However|Then|While|When|After|As|In|On|At|By|From|With|"
                           r"Backed|Following|During|Later|Earlier|Reports|Initial|Sources|According|Around|Some|"
                           r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s+)+")


def _trim_phrase(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading conjunctions and sentence-opening words that the modifier run swallowed."""
    text = sentence[start:end]
    m = _LEADING_JUNK.match(text)
    if m:
        start += m.end()
    return start, end


def is_pronoun(text: str) -> bool:
    return bool(_PRONOUN.fullmatch(text.strip()))
