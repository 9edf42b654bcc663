"""The extraction pipeline: a document -> control events, per the contract in DESIGN.md.

  sentences.split_document  -> sentences (title first)
  rules.RULES               -> trigger + place slot matches per sentence
  places / actors / timex   -> the slots resolved to places, actors and times
  modality                  -> status (fact, future, attempt, negated) and certainty
  _consolidate              -> one event per (place, status, time)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workers.extract import lexicon, modality, timex
from workers.extract.actors import Actor, ActorDictionary, ActorMention
from workers.extract.gazetteer import Gazetteer, Place
from workers.extract.gazetteer import shared as shared_gazetteer
from workers.extract.normalize import name_key, repair_c1
from workers.extract.places import KEPT_NOUNS, PlacePhrase, find_names, is_place_name, noun_places, parse_slot, place_lists
from workers.extract.rules import RULES, Rule, sentence_words
from workers.extract.sentences import Sentence, split_document

# Every word that can start a trigger; a text without any of them says nothing about control.
# Words that can stand for a place without a capitalised name: place nouns, back-references, facilities.
_PLACE_WORDS = frozenset(w for phrase in lexicon.words("places", "nouns") + lexicon.words("places", "anaphora")
                         + lexicon.words("places", "facilities") + ["it", "both", "these", "those", "all"]
                         for w in phrase.split() if w not in ("of", "the", "a", "an", "key", "strategic", "air", "front"))
_NAME_INSIDE = re.compile(r"[\s(\"“‘'`\-][A-Z\u00C0-\u00DE]|\d")
_ALL_ANCHORS = frozenset().union(*(r.anchors or () for r in RULES))
_ALWAYS = [r for r in RULES if r.anchors is None]
_RULE_TABLE = [(rule, rule.anchors) for rule in RULES]  # computed once: the anchor sets are looked up per sentence
_AREA_NOUNS = frozenset({"area", "district", "region", "province", "governorate", "oblast", "county", "zone", "grouping",
                         "sub-district", "subdistrict", "quarter", "neighbourhood", "neighborhood", "suburb"})
@dataclass
class Candidate:
    rule: Rule
    sentence: Sentence
    match: re.Match
    phrase: PlacePhrase
    status: str
    antecedent: PlacePhrase | None = None  # for "the city" / "it": the place named before it in this sentence
    place: dict | None = None  # or the place it refers to, when that was named outside any slot
    skip: bool = False  # an implicit place with nothing to refer to


_REPELLED = re.compile(r"\b(?:repelled|repulsed|thwarted|foiled|beat\s+back|fended\s+off|fought\s+off|"
                       r"held\s+off|resisted)\b", re.I)
# Triggers that also take people and things as objects ("captured two soldiers", "seized weapons"): with them a
# name counts as a place only if the gazetteer knows it or a place noun says so.
_OBJECT_TRIGGERS = re.compile(r"(?:captured?|captures|capturing|seized?|seizes|seizing|taken|took|takes?|taking|freed|held|"
                              r"holds?|holding|lost|lose|loses|losing|left|fled|abandoned?|abandons|capture|fall|fell|falls|"
                              r"liberation|recapture|takeover|surrendered)", re.I)

@dataclass
class DocContext:
    """What the document is about so far: countries, last place named, actors named."""
    countries: dict[str, float] = field(default_factory=dict)
    main_country: str | None = None
    last_place: dict | None = None
    last_list: list[dict] = field(default_factory=list)
    last_slot_end: int | None = None  # where, in the current sentence, the last place of an event ends
    last_agent: dict | None = None  # who took the last place: for "they took it" without a name
    earlier: list[str] = field(default_factory=list)  # the sentences before the current one, for looking back
    places_named: set[str] = field(default_factory=set)  # keys of every place the document has named so far
    actors_seen: list[Actor] = field(default_factory=list)


class Extractor:
    """Turns documents into control events. Thread-safe for reading; one per process is enough."""

    def __init__(self, gazetteer: Gazetteer | None = None, actors: ActorDictionary | None = None,
                 areas: list[dict] | None = None) -> None:
        self.gazetteer = gazetteer or shared_gazetteer()
        self.actors = actors or ActorDictionary()
        data = lexicon.load("demonyms")
        self.demonyms = {k.replace("-", " "): v for k, v in data["demonyms"].items()}
        self.context_names = {k.replace("-", " "): v for k, v in data["context"].items()}
        self.country_names = {name_key(n): code for code, n in self.gazetteer.countries().items()}
        self.country_names.update({name_key(k): v for k, v in data.get("countries", {}).items()})
        self.neighbours = self.gazetteer.neighbours()
        self.state_actor = {}
        for actor in self.actors.actors.values():
            if actor.side == "state" and actor.country:
                self.state_actor.setdefault(actor.country, actor)
        self.areas = {name_key(n): a for a in (areas or []) for n in [a.get("name", ""), *a.get("aliases", [])] if n}
        self._country_re = re.compile(
            r"\b(" + "|".join(sorted((re.escape(k) for k in [*self.demonyms, *self.context_names, *self.country_names]
                                      if len(k) > 2),
                                     key=len, reverse=True)) + r")\b", re.I)

    # ---------- public ----------

    def extract(self, doc: dict, explain: bool = False) -> dict:
        """One document {id, published, title, text} -> {"id": ..., "events": [...]}."""
        title, text = repair_c1(doc.get("title") or ""), repair_c1(doc.get("text") or "")
        out = {"id": doc.get("id"), "events": []}
        if not _ALWAYS and not _ALL_ANCHORS & sentence_words(title + " " + text):
            return out  # most stream items say nothing about control: leave in microseconds
        sentences = split_document(title, text)
        found = [self._candidates(s) for s in sentences]
        if not any(found):
            return out
        published = str(doc.get("published") or "") or None
        ctx = self._context(title + "\n" + text)
        events: list[dict] = []
        for sentence, candidates in zip(sentences, found, strict=True):
            if candidates:
                events.extend(self._sentence_events(sentence, candidates, published, ctx, explain))
            self._note_places(sentence, ctx)
            ctx.earlier.append(sentence.text)
        out["events"] = _consolidate(events)
        return out

    # ---------- context ----------

    def _context(self, text: str) -> DocContext:
        ctx = DocContext()
        for m in self._country_re.finditer(text):
            key = name_key(m.group(1)).replace("-", " ")
            word = m.group(1).lower().replace("-", " ")
            code = self.demonyms.get(word) or self.context_names.get(word) or self.country_names.get(key)
            if code:
                ctx.countries[code] = ctx.countries.get(code, 0) + 1
        for _, _, actor in self.actors.named(text):
            ctx.actors_seen.append(actor)
            if actor.country:
                ctx.countries[actor.country] = ctx.countries.get(actor.country, 0) + 0.5
        if ctx.countries:
            total = sum(ctx.countries.values())
            ctx.countries = {k: v / total for k, v in ctx.countries.items()}
            ctx.main_country = max(ctx.countries, key=ctx.countries.get)
            # A war spills over borders: Russian forces fight in Ukraine. Neighbours count, a little.
            for code, weight in list(ctx.countries.items()):
                for near in self.neighbours.get(code, []):
                    ctx.countries[near] = max(ctx.countries.get(near, 0.0), weight * 0.3)
        return ctx

    def _mentioned_places(self, sentence: Sentence, ctx: DocContext) -> list[tuple[int, dict]]:
        """Well-known places named anywhere in a sentence (gazetteer hits of some size), with their offsets."""
        found = []
        parens = [(m.start(), m.end()) for m in re.finditer(r"\([^()]*\)", sentence.text)]
        for start, _, name in find_names(sentence.text):
            if start == 0 and " " not in name:
                continue  # a capitalised first word is too often not a name
            if any(a < start < b for a, b in parens):
                continue  # "(21km NW of Diinsoor)" only says where the place named before it is
            key = name_key(name)
            if not key or key in self.country_names or key in self.demonyms or not is_place_name(name) \
                    or self.actors.lookup(name):
                continue
            place = self.gazetteer.resolve(name, ctx.countries)
            if place and (place.population >= 5000 or place.country in ctx.countries):
                found.append((start, self._place_dict(place, name)))
        for phrase in noun_places(sentence.text):
            if not any(a < phrase.start < b for a, b in parens) and not any(p == phrase.start for p, _ in found):
                resolved = self._resolve_place(phrase, ctx)
                if resolved:
                    found.append((phrase.start, resolved))
        return sorted(found, key=lambda f: f[0])

    def _note_places(self, sentence: Sentence, ctx: DocContext) -> None:
        """Remember the places named in passing, for 'the city', 'it' or 'all three villages' later on."""
        mentioned = [(pos, place) for pos, place in self._mentioned_places(sentence, ctx)
                     if ctx.last_slot_end is None or pos >= ctx.last_slot_end]
        if mentioned:
            ctx.last_place = mentioned[-1][1]
        ctx.places_named.update(_place_key({"place": place}) for _, place in mentioned)
        ctx.last_slot_end = None
        for found in place_lists(sentence.text):
            resolved = [p for p in (self._resolve_place(ph, ctx) for ph in found) if p]
            if len(resolved) > 1:
                ctx.last_list = resolved
                ctx.last_place = resolved[-1]

    # ---------- one sentence ----------

    def _sentence_events(self, sentence: Sentence, candidates: list[Candidate], published: str | None, ctx: DocContext,
                         explain: bool) -> list[dict]:
        mentions = self.actors.mentions(sentence.text)
        times = timex.find(sentence.text, published) if published else []
        events = []
        named = [c.phrase for c in candidates if not c.phrase.anaphor]
        mentioned: list[tuple[int, dict]] | None = None
        armed = [x for x in mentions if x.actor is not None or x.generic_side is not None]
        if armed and candidates[0].rule.subject_role == "to":
            first = _subject(sentence.text, armed, candidates[0].match.start("trig"), 0)
            if first is not None:
                ctx.last_agent = self._actor_out(first, ctx)
        for cand in candidates:
            if cand.phrase.noun == "suburb" and cand.phrase.name.lower().endswith(" suburb"):
                # "Battle for Irpin: Russian forces pushed out of Kyiv suburb": the suburb is the place just named
                before = [p for p in named if p.end <= cand.phrase.start and p.bare != cand.phrase.bare]
                if before:
                    cand.antecedent = before[-1]
                continue
            if cand.phrase.anaphor and not cand.phrase.plural:
                before = [p for p in named if p.end <= cand.phrase.start]
                cand.antecedent = before[-1] if before else None
                if cand.antecedent is None:
                    mentioned = self._mentioned_places(sentence, ctx) if mentioned is None else mentioned
                    earlier = [place for pos, place in mentioned if pos < cand.phrase.start]
                    refs = [c.phrase for c in candidates if c.phrase.anaphor and not c.phrase.implicit
                            and c.phrase.end <= cand.phrase.start]
                    if earlier:
                        cand.place = earlier[-1]
                    elif cand.phrase.implicit and refs:
                        cand.antecedent = refs[-1]  # "took the village ... before they retreated": the same place
                    elif cand.phrase.implicit:
                        cand.skip = True  # nothing in this sentence says where they withdrew from
        listed: list[dict] = []
        for cand in sorted(candidates, key=lambda c: c.phrase.start):
            if cand.skip:
                continue
            if cand.phrase.plural:
                for place in ctx.last_list:
                    event = self._event(cand, mentions, times, published, ctx, explain, place)
                    if event:
                        events.append(event)
                continue
            event = self._event(cand, mentions, times, published, ctx, explain, cand.place)
            if event:
                events.append(event)
                if not cand.phrase.anaphor and cand.match.group("slot").count(",") + cand.match.group("slot").count(" and "):
                    listed.append(event["place"])
        if len(listed) > 1:
            ctx.last_list = listed
        return events

    def _candidates(self, sentence: Sentence) -> list[Candidate]:
        claimed: list[tuple[int, int]] = []
        out: list[Candidate] = []
        words = sentence_words(sentence.text)
        if not _ALWAYS and _ALL_ANCHORS.isdisjoint(words):
            return []
        if _PLACE_WORDS.isdisjoint(words) and not _NAME_INSIDE.search(sentence.text) \
                and not self.gazetteer.lookup(sentence.text.split(maxsplit=1)[0] if sentence.text.strip() else ""):
            return []  # no name, no place noun, no "it": "images captured by the telescope" can place nothing
        for rule, anchors in _RULE_TABLE:
            if anchors is not None and anchors.isdisjoint(words):
                continue
            for match in rule.finditer(sentence.text):
                for phrase in parse_slot(sentence.text, match):
                    if any(s < phrase.end and phrase.start < e for s, e in claimed):
                        continue
                    if _modifies_noun(sentence.text, phrase):
                        continue
                    out.append(Candidate(rule, sentence, match, phrase, rule.status))
                claimed.extend((p.start, p.end) for p in parse_slot(sentence.text, match))
        return out

    def _event(self, cand: Candidate, mentions: list[ActorMention], times: list[timex.TimeExpr],
               published: str | None, ctx: DocContext, explain: bool, place: dict | None = None) -> dict | None:
        s, m, rule = cand.sentence.text, cand.match, cand.rule
        trig_start, trig_end = m.span("trig")
        status = cand.status
        if rule.modal:
            status = modality.apply(status, modality.mood(s, trig_start, m.group("trig")))
            if status is None:
                return None
        if place is None:
            phrase = cand.antecedent or cand.phrase
            place = self._resolve_place(phrase, ctx)
            if place is None:
                return None
            if (place.get("geonameid") is None and not phrase.noun and not phrase.anaphor and not place.get("area")
                    and (_OBJECT_TRIGGERS.fullmatch(m.group("trig").split()[-1]) or rule.name == "name_capture"
                         or "handed" in m.group("trig"))
                    and not (rule.subject_role == "to" and len(phrase.bare.split()) == 1
                             and (_armed_subject(s, mentions, m.start("trig"))
                                  or (ctx.last_agent and re.search(r"\b(?:they|it)\s+(?:had\s+|have\s+|has\s+)?$",
                                                                   s[max(0, m.start("trig") - 12):m.start("trig")], re.I))))):
                return None  # "captured Aiden Aslin", "Vehicles were captured": not places
        roles = self._roles(cand, mentions, ctx)
        if roles is None:
            return None
        to, frm = roles
        if rule.name == "lost" and to is not None:
            status = "captured" if status == "withdrew" else status
        if status == "withdrew":
            successor = _SUCCESSOR.match(s, cand.phrase.end)
            victor = _VICTOR.match(s, cand.phrase.end)
            if successor:
                holder = next((x for x in mentions if x.start >= successor.end() and x.start - successor.end() < 12), None)
                if holder is not None:
                    status, to = "captured", self._actor_out(holder, ctx)
            elif victor:  # "driven from X in December, the government's biggest victory": the winner holds it
                side = self.actors.generic_side(victor.group("who")) or "state"
                winner = ActorMention(victor.start("who"), victor.end("who"), victor.group("who"),
                                      self.actors.lookup(victor.group("who")), side)
                status, to = "captured", self._actor_out(winner, ctx)
        if status == "captured" and to is None and rule.subject_role != "from" \
                and not any(x.end <= m.start("trig") for x in mentions):
            # "they had taken full control of X", "the locations recovered include X": the agent of an earlier
            # capture, else the armed actor that opens the previous sentence
            to = ctx.last_agent or self._topic_agent(ctx)
        if status == "captured" and to is not None:
            ctx.last_agent = to
        if status in ("captured", "withdrew") and rule.modal and re.match(r"\s*[A-Z]\w+ing\b", s[:m.end("trig")]) \
                and m.start("trig") <= 2:
            status = "anticipated"  # "Capturing the city is a major goal": a gerund subject, not an event
        certainty = "asserted" if status == "held" else modality.certainty(s, trig_start, cand.sentence.field == "title")
        when = _nearest_time(s, times, trig_start, trig_end)
        recent = timex.is_recent(when, published) and not modality.historical(s, trig_start, max(trig_end, cand.phrase.end))
        if status in ("captured", "withdrew") and certainty == "denied":
            recent = timex.is_recent(when, published)
        event = {
            "place": place, "status": status, "to": to, "from": frm, "certainty": certainty, "when": when,
            "recent": recent, "confidence": _confidence(rule, cand, to),
            "evidence": {"text": s, "start": cand.sentence.start, "end": cand.sentence.end, "field": cand.sentence.field},
        }
        if explain:
            event["rule"] = rule.name
            event["trigger"] = m.group("trig")
            event["span"] = [cand.sentence.start + cand.phrase.start, cand.sentence.start + cand.phrase.end]
        if place.get("name") and not cand.phrase.plural:
            ctx.last_place = place
            ctx.places_named.add(_place_key(event))
            ctx.last_slot_end = max(ctx.last_slot_end or 0, cand.phrase.end)
        return event

    def _topic_agent(self, ctx: DocContext) -> dict | None:
        """The first named armed actor of the previous sentence ("FARDC forces dislodged ..."), if it opens it."""
        if not ctx.earlier:
            return None
        named = [x for x in self.actors.mentions(ctx.earlier[-1]) if x.actor is not None]
        if named and named[0].start < 40:
            return self._actor_out(named[0], ctx)
        return None

    # ---------- places ----------

    def _resolve_place(self, phrase: PlacePhrase, ctx: DocContext) -> dict | None:
        if phrase.anaphor:
            if phrase.indefinite and len(ctx.places_named) != 1:
                return None  # "a town near the border" in a text about several places: which one?
            return dict(ctx.last_place) if ctx.last_place else None
        key = name_key(phrase.bare)
        if phrase.near and phrase.name != phrase.bare and key in self.country_names:
            # "African Union base in Somalia": a facility somewhere in a country
            return {"name": phrase.name, "mention": phrase.name, "geonameid": None, "country": self.country_names[key],
                    "lat": None, "lon": None}
        if key in self.country_names or key in self.demonyms:
            return None  # whole countries get no event
        if self.actors.lookup(phrase.bare) and not self.gazetteer.lookup(phrase.bare):
            return None  # an actor's name is not a place; a capital standing for its government ("Kyiv") still is one
        area = self.areas.get(key)
        if area:
            return {"name": area.get("name"), "mention": phrase.bare, "geonameid": area.get("geonameid"),
                    "country": area.get("country"), "lat": area.get("lat"), "lon": area.get("lon"), "area": True}
        parent = self.gazetteer.resolve(phrase.bare, ctx.countries)
        if parent and parent.country not in ctx.countries and ctx.countries and parent.population < 20_000:
            parent = None  # an obscure namesake abroad: keep the name, drop the wrong coordinates
        if phrase.part or (phrase.noun in KEPT_NOUNS) or not phrase.bare:  # not bare: a facility named by nouns alone
            out = {"name": phrase.name, "mention": phrase.name, "geonameid": None,
                   "country": parent.country if parent else ctx.main_country,
                   "lat": parent.lat if parent else None, "lon": parent.lon if parent else None}
            if parent:
                out["part_of"] = parent.geonameid
            if phrase.noun in _AREA_NOUNS and not phrase.part:
                out["aliases"] = [phrase.bare]
            return out
        if parent:
            return self._place_dict(parent, phrase.bare)
        return {"name": phrase.bare, "mention": phrase.bare, "geonameid": None, "country": ctx.main_country,
                "lat": None, "lon": None}

    @staticmethod
    def _place_dict(place: Place, mention: str) -> dict:
        return {"name": place.name, "mention": mention, "geonameid": place.geonameid, "country": place.country,
                "lat": round(place.lat, 4), "lon": round(place.lon, 4)}

    # ---------- actors ----------

    def _roles(self, cand: Candidate, mentions: list[ActorMention], ctx: DocContext) -> tuple | None:
        s, m, rule = cand.sentence.text, cand.match, cand.rule
        trig_start, trig_end = m.span("trig")
        slot_start, slot_end = cand.phrase.start, cand.phrase.end
        outside = [x for x in mentions if x.end <= slot_start or x.start >= slot_end]
        subject = _subject(s, outside, trig_start, m.start())
        if rule.needs_subject and subject is None:
            return None
        after_slot = max(slot_end, trig_end)
        agent = _after(s, outside, after_slot,
                       r"(?:,\s*)?(?:by|to|into\s+the\s+hands\s+of|under\s+the\s+control\s+of|in\s+the\s+hands\s+of)\s+(?:the\s+)?")
        frm = _after(s, outside, after_slot, r"(?:\([^()]*\)\s*)?(?:,\s*)?(?:from|against)\s+(?:the\s+)?")
        obj = None
        if "obj" in m.re.groupindex and m.group("obj"):
            o_start, o_end = m.span("obj")
            obj = next((x for x in mentions if x.start >= o_start and x.end <= o_end), None)
            if obj is None:
                text = m.group("obj").strip()
                obj = ActorMention(o_start, o_end, text, None, self.actors.generic_side(text))
        holder = None
        if "holder" in m.re.groupindex and m.group("holder"):
            holder = self._holder(m.group("holder"), m.span("holder"), mentions)
            if holder is None and m.group("holder").strip().lower() in ("its", "their"):
                # "The army says Gao remains under its control": the armed actor the sentence opened with
                named = [x for x in mentions if x.end <= slot_start and (x.actor is not None or x.generic_side)]
                holder = named[0] if named else None
        to = frm_ = None
        if rule.status == "held":
            to = holder or agent or (subject if rule.subject_role == "to" else None)
        elif rule.name == "came_under":
            to = holder or agent
        elif rule.name == "relative_capture":
            # "the village he helped to liberate": a pronoun stands for the armed person named before the place
            earlier = [x for x in mentions if x.end <= slot_start and (x.actor is not None or x.generic_side)]
            to = holder or agent or (earlier[-1] if earlier and re.fullmatch(r"(?i:he|she|they|we)", m.group("holder"))
                                     else None)
        elif rule.name in ("drove_out",):
            to, frm_ = subject, obj
        elif rule.name in ("dislodged", "forced_to_withdraw", "cleared_of"):
            frm_ = obj
            if obj is not None and obj.actor is None and obj.generic_side is None:
                return None  # "forced the local population to flee": people, not a side
        elif rule.subject_role == "from":
            frm_, to = subject, agent
        elif rule.subject_role == "to":
            to, frm_ = subject, frm
        else:  # passive and noun forms: "Y was captured by X", "the fall of Y to X"
            to, frm_ = agent, frm
        if frm_ is None and rule.subject_role != "from" and rule.name not in ("dislodged", "forced_to_withdraw", "cleared_of"):
            frm_ = frm
        if rule.status == "contested" and to is not None and _REPELLED.search(s[to.end:trig_start]):
            to, frm_ = None, to  # "the army repelled an attack on Gao": the subject defends it
        return self._actor_out(to, ctx), self._actor_out(frm_, ctx)

    def _holder(self, text: str, span: tuple[int, int], mentions: list[ActorMention]) -> ActorMention | None:
        inside = next((x for x in mentions if x.start <= span[0] < x.end or span[0] <= x.start < span[1]), None)
        if inside is not None and inside.actor is not None:
            return ActorMention(span[0], span[1], text, inside.actor, None, [inside.actor.id])
        actor = self.actors.lookup(text)
        if actor:
            return ActorMention(span[0], span[1], text, actor, None, [actor.id])
        code = self.demonyms.get(text.lower().rstrip("'’s").strip())
        if code:
            state = self.state_actor.get(code)
            return ActorMention(span[0], span[1], text, state, "state")
        low = text.lower()
        if low in ("rebel", "opposition", "militant", "jihadist", "separatist", "insurgent", "militia"):
            return ActorMention(span[0], span[1], text, None, "nonstate")
        if low in ("government", "regime", "army", "state"):
            return ActorMention(span[0], span[1], text, None, "state")
        return None

    def _actor_out(self, mention: ActorMention | None, ctx: DocContext) -> dict | None:
        if mention is None:
            return None
        if mention.actor is not None:
            return {"id": mention.actor.id, "name": mention.actor.name, "mention": mention.text}
        resolved = self._resolve_generic(mention, ctx)
        if resolved is None:
            return {"id": None, "name": mention.text, "mention": mention.text}
        return {"id": resolved.id, "name": resolved.name, "mention": mention.text}

    def _resolve_generic(self, mention: ActorMention, ctx: DocContext) -> Actor | None:
        head = mention.text.lower().split()[-1] if mention.text.split() else ""
        if head in ("army", "military", "government", "regime", "group", "militia", "movement", "council", "alliance"):
            # "the army" after "the Libyan National Army" is that army, whatever its side
            for actor in reversed(ctx.actors_seen):
                if any(head in alias.lower().split() for alias in (actor.name, *actor.aliases)):
                    return actor
        code = next((c for w, c in self.demonyms.items() if re.search(rf"\b{re.escape(w)}\b", mention.text.lower())), None)
        if mention.generic_side == "state" or code:
            if code and code in self.state_actor:
                return self.state_actor[code]
            for actor in ctx.actors_seen:
                if actor.side == "state" and (ctx.main_country is None or actor.country == ctx.main_country):
                    return actor
            return self.state_actor.get(ctx.main_country or "")
        if mention.generic_side == "nonstate":
            for actor in ctx.actors_seen:
                if actor.side == "nonstate":
                    return actor
        return None


def _modifies_noun(sentence: str, phrase: PlacePhrase) -> bool:
    """True when the 'place' is really a modifier: "captured Islamic State fighters", "seized Boko Haram weapons"."""
    if phrase.anaphor:
        return False
    rest = sentence[phrase.end:phrase.end + 30]
    nxt = re.match(r"\s+([a-z][a-z\-]+)", rest)
    if not nxt:
        return False
    return nxt.group(1) in _MODIFIED_HEADS


_MODIFIED_HEADS = frozenset(
    "fighters soldiers forces troops militants members commander commanders weapons vehicles positions officials official "
    "leaders leader men gunmen rebels army police convoy convoys supporters territory units unit militia militiamen "
    "insurgents prisoners hostages detainees residents civilians citizens journalists reporters players team government "
    "authorities officers troop spokesman spokesperson ministry president minister people families refugees oil gas "
    "footage video photos images".split())


_SUCCESSOR = re.compile(r"[^.;]{0,80}?\b(?:followed\s+by\s+(?:an?\s+)?(?:occupation|takeover|deployment|arrival)\s+by|"
                        r"replaced\s+by|handed\s+(?:\w+\s+)?over\s+to|taken\s+over\s+by)\s+(?:the\s+)?", re.I)


_VICTOR = re.compile(r"[^.;]{0,60}?,\s+(?:the|a|an)\s+(?P<who>[\w\- ]{2,40}?)['’]s\s+(?:\w+\s+){0,2}"
                     r"(?:victory|win|triumph)\b", re.I)


def _armed_subject(sentence: str, mentions: list[ActorMention], trig_start: int) -> bool:
    """True when an armed actor stands right before the trigger: 'the Arakan Army captured Paletwa'."""
    subject = _subject(sentence, mentions, trig_start, 0)
    return subject is not None and (subject.actor is not None or subject.generic_side is not None)


def _subject(sentence: str, mentions: list[ActorMention], trig_start: int, match_start: int) -> ActorMention | None:
    """The actor standing before the trigger in its clause; for 'having first recaptured' and '..., and subsequently
    gained', the sentence's main subject."""
    before = [x for x in mentions if x.end <= trig_start]
    if not before:
        return None
    lead = sentence[max(0, trig_start - 25):trig_start]
    if re.search(r"\b(?:having|and)\s+(?:\w+ly\s+|first\s+|then\s+|later\s+)?$", lead, re.I):
        return before[0]
    cand = before[-1]
    gap = sentence[cand.end:trig_start]
    if len(gap) > 120 or ";" in gap or re.search(r"[.!?]\s", gap):
        return None
    return cand


def _after(sentence: str, mentions: list[ActorMention], pos: int, glue: str) -> ActorMention | None:
    """The actor mention right after pos when only `glue` ("by", "from", "to") stands between."""
    for x in mentions:
        if x.start >= pos and re.fullmatch(rf"\s*(?:\s*\w+ly)?\s*{glue}", sentence[pos:x.start], re.I):
            return x
        if x.start > pos + 60:
            break
    return None


def _nearest_time(sentence: str, times: list[timex.TimeExpr], trig_start: int, trig_end: int) -> str | None:
    """The time expression that belongs to the trigger: the nearest one, preferring its own clause ("who first
    captured it in 2012, retook it on Monday": Monday is the retaking's)."""
    # "the city they had held since March": a state's start, not the event's time
    times = [t for t in times if not re.search(r"\bsince\s+(?:the\s+)?$", sentence[max(0, t.start - 12):t.start])
             and not sentence[t.start:t.end].lower().startswith("since")] or times
    if not times:
        return None

    def distance(t: timex.TimeExpr) -> float:
        gap = sentence[trig_end:t.start] if t.start >= trig_end else sentence[t.end:trig_start]
        other_clause = 60 if re.search(r"[,;]|\s(?:and|but|while|before|after)\s", gap) else 0
        return (t.start - trig_end if t.start >= trig_end else (trig_start - t.end) * 1.3) + other_clause

    best = min(times, key=distance)
    return best.value


def _confidence(rule: Rule, cand: Candidate, to: dict | None) -> float:
    score = rule.confidence
    if cand.phrase.anaphor:
        score -= 0.15
    if to is None and cand.status in ("captured", "held"):
        score -= 0.1
    return round(max(0.1, min(0.99, score)), 2)


def _place_key(event: dict) -> str:
    place = event["place"]
    return str(place.get("geonameid") or name_key(place.get("name") or ""))


def _consolidate(events: list[dict]) -> list[dict]:
    """One event per (place, status, time); restatements without a time fold into a dated twin."""
    kept: list[dict] = []
    for event in events:
        key = (_place_key(event), event["status"])
        # the same statement again, unless it names another holder ("occupied X ... allowing Y to reoccupy it")
        same = [k for k in kept if (_place_key(k), k["status"]) == key
                and (_ident(k["to"]) is None or _ident(event["to"]) is None or _ident(k["to"]) == _ident(event["to"]))]
        if any(k["when"] == event["when"] or event["when"] is None or k["when"] is None for k in same):
            twin = next(k for k in same if k["when"] == event["when"] or event["when"] is None or k["when"] is None)
            if twin["when"] is None and event["when"] is not None and not twin["recent"] == event["recent"]:
                kept.append(event)
            elif twin["when"] is None and event["when"] is not None:
                twin["when"], twin["recent"] = event["when"], event["recent"]
            _fill_actors(twin, event)
            continue
        if event["when"] is None and event["status"] in ("captured", "withdrew"):
            dated = [k for k in kept if _place_key(k) == key[0] and k["status"] in ("captured", "withdrew")
                     and k["when"] and not k["recent"] and _same_side(k, event)]
            if dated:
                continue  # "lost Palmyra" restating "lost Palmyra to IS in December"
        kept.append(event)
    captures = [e for e in kept if e["status"] == "captured"]
    out = []
    for e in kept:
        pk = _place_key(e)
        if e["status"] == "withdrew":
            # "the remaining fighters withdrew from X" after "the army captured X": the same change told twice,
            # unless the captor itself leaves again ("took the village ... before they retreated")
            others = [c for c in captures if _place_key(c) == pk
                      and (e["from"] is None or _ident(e["from"]) != _ident(c["to"]))]
            twin = next((c for c in others if c["when"] == e["when"]), None) or next(iter(others), None)
        else:
            twin = next((c for c in captures if _place_key(c) == pk and c["when"] == e["when"]), None)
        # When fighting ends in a capture on the same occasion, the capture alone is the statement; so is a
        # withdrawal whose new holder the same text names.
        if twin is not None and e["status"] in ("contested", "withdrew") and e["recent"] == twin["recent"]:
            if e["status"] == "withdrew" and twin["from"] is None:
                twin["from"] = e["from"]
            continue
        out.append(e)
    return out


def _fill_actors(target: dict, source: dict) -> None:
    for role in ("to", "from"):
        if target[role] is None and source[role] is not None:
            target[role] = source[role]


def _ident(actor: dict | None) -> str | None:
    return (actor or {}).get("id") or (name_key((actor or {}).get("name") or "") or None)


def _same_side(a: dict, b: dict) -> bool:
    fa, fb = _ident(a["from"]), _ident(b["from"])
    return fa is None or fb is None or fa == fb


_default: Extractor | None = None


def extract_document(doc: dict, explain: bool = False) -> dict:
    """Extract with the process-wide default Extractor (bundled gazetteer and actors)."""
    global _default
    if _default is None:
        _default = Extractor()
    return _default.extract(doc, explain=explain)

