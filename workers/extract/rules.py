"""The grammar of control statements: each rule is a regex with a trigger and a place slot.

A rule says which status its trigger means and where the actors sit relative to it:
  subject_role  the actor before the trigger is "to" (took Y), "from" (withdrew from Y) or nothing
  by / to / from phrases after the slot fill the other roles ("was captured by X", "fell to X", "from X")
Rules are tried in order; when two rules claim the same place in a sentence, the earlier one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.extract import lexicon as lx
from workers.extract.places import NAME_SEQ, SLOT

_AUX = r"(?:(?:has|have|had)\s+been|was|were|is|are|being|been|got|get|gets)"
_ADV = (r"(?:(?:now|finally|reportedly|also|fully|completely|officially|briefly|quickly|later|then|subsequently|"
        r"eventually|largely|mostly|effectively|entirely|totally|swiftly|again|allegedly|purportedly|since|"
        r"recently|just|already|apparently)\s+)")
_PLACE_NOUNS = lx.alternation(lx.words("places", "nouns"))


@dataclass(frozen=True)
class Rule:
    name: str
    status: str
    pattern: re.Pattern
    subject_role: str | None  # "to", "from" or None
    needs_subject: bool = False  # ambiguous verbs (left, fled) count only with an armed actor as subject
    modal: bool = True  # whether modality cues before the trigger can change the status
    confidence: float = 0.85
    anchor_words: tuple[str, ...] = ()  # words every match contains, where they cannot be read off the trigger

    @property
    def probe(self) -> re.Pattern:
        """The trigger alone: a cheap test that tells whether the full pattern can match a sentence at all."""
        return _probe(self.pattern.pattern)

    @property
    def slot_first(self) -> bool:
        """True when the place stands before the trigger ("Y was captured"): matched backwards from the trigger."""
        return self.pattern.pattern.startswith("(?P<slot>")

    def finditer(self, text: str, pos: int = 0) -> list[re.Match]:
        """Matches in text (from pos, for rules whose trigger comes first). Slot-first rules are tried only at word
        starts just before each trigger, not at every position of the sentence (that scan dominated long articles)."""
        if not self.slot_first:
            return list(self.pattern.finditer(text, pos))
        out: list[re.Match] = []
        previous_end = 0
        for trig in _probe(self.pattern.pattern).finditer(text):
            # the place stands after the previous trigger of this rule, and within 200 characters
            lo = max(previous_end, trig.start() - 200)
            previous_end = trig.end()
            for start in _WORD_STARTS.finditer(text, lo, trig.start()):
                m = self.pattern.match(text, start.start())
                if m and m.start("trig") < trig.end() and trig.start() < m.end("trig"):
                    if not out or m.start() >= out[-1].end():
                        out.append(m)
                    break
        return out

    @property
    def anchors(self) -> frozenset[str] | None:
        """First words of every trigger phrase (None when they cannot be listed): a set test before any regex."""
        return frozenset(self.anchor_words) if self.anchor_words else _anchors(self.probe.pattern)


def _r(text: str) -> re.Pattern:
    return re.compile(text)


_PROBES: dict[str, re.Pattern] = {}
_WORD_STARTS = re.compile(r"(?<![\w'’\-])(?:[A-Z\u00C0-\u00DE\"“‘'`]|the\b|it\b|a\b|an\b|both\b|all\b|these\b|those\b|\d)")
_ANCHORS: dict[str, frozenset[str] | None] = {}


_STOP = frozenset("in a an the of has had have was were is are to on from out back by and or as at it its for with into over "
                  "up off s one".split())


def _anchors(probe: str) -> frozenset[str] | None:
    """A word set that every sentence the trigger can match contains at least one of (None: cannot tell)."""
    if probe not in _ANCHORS:
        text = probe.replace("(?i:", "").replace("(?:", "").replace(")", "").replace("(", "")
        words: set[str] | None = set()
        for alternative in text.split("|"):
            tokens = [t.replace("\\", "") for t in re.split(r"\\s\+|\\s|\\ | |-|‑", alternative.strip()) if t]
            plain = [t.lower() for t in tokens if re.fullmatch(r"[a-z']+", t.lower()) and t.lower() not in _STOP]
            if not plain or any(not re.fullmatch(r"[A-Za-z'\\]+", t) for t in tokens):
                words = None
                break
            words.add(plain[0])
        _ANCHORS[probe] = frozenset(words) if words is not None else None
    return _ANCHORS[probe]


_WORD = re.compile(r"[a-z']+")


def sentence_words(text: str) -> frozenset[str]:
    """The lower-case words of a sentence, hyphenated words split, for anchor tests."""
    return frozenset(_WORD.findall(text.lower()))



def _probe(pattern: str) -> re.Pattern:
    """Compile the (?P<trig>...) group of a pattern on its own, case-insensitively (cached)."""
    if pattern not in _PROBES:
        start = pattern.index("(?P<trig>") + len("(?P<trig>")
        depth, i = 1, start
        while depth:
            char = pattern[i]
            if char == "\\":
                i += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            i += 1
        _PROBES[pattern] = re.compile(pattern[start:i - 1], re.I)
    return _PROBES[pattern]


def _words(section: str, key: str) -> str:
    return lx.alternation(lx.words(section, key))


CAP_ACTIVE = _words("capture", "active")
CAP_PASSIVE = _words("capture", "passive")
FELL = _words("capture", "fell")
NOUN = _words("capture", "noun")
LOST = _words("capture", "lost")
WD_ACTIVE = _words("withdraw", "active")
DRIVEN = _words("withdraw", "driven")
DROVE = _words("withdraw", "drove")
CLEARED = _words("withdraw", "cleared")
C_NOUNS = _words("contest", "nouns")
C_VERBS = _words("contest", "verbs")
PARTIAL = _words("contest", "partial")
TOWARD = _words("anticipate", "toward")
HOLD_ACTIVE = _words("hold", "active")
_I = "(?i:{})"  # case-insensitive trigger inside a case-sensitive pattern (names need their capitals)
_HOLDER = r"(?P<holder>(?:[A-Z][\w'’]*\s+){0,3}[A-Za-z][\w'’]*|[a-z]+)"
_OBJ = r"(?P<obj>[^,.;:]{2,80}?)"
# "the port city of", "the strategic town of": a place noun introducing the slot of the held forms
_NOUN_OF = rf"(?:(?:[a-z]+\s+){{0,2}}(?i:{_PLACE_NOUNS})\s+of\s+(?:the\s+)?)?"

RULES: list[Rule] = [
    # --- withdrawals named with who forced them (before the plain forms, which they contain) ---
    Rule("forced_to_withdraw", "withdrew", _r(
        rf"\b{_I.format('forced|compelled|made')}\s+{_OBJ}\s+to\s+(?P<trig>{_I.format('retreat|withdraw|pull out|pull back|flee|leave|abandon|vacate')})"
        rf"\s+(?:from\s+|out\s+of\s+)?(?P<slot>{SLOT})"), None, modal=False, confidence=0.8),
    Rule("drove_out", "captured", _r(
        rf"\b(?P<trig>{_I.format('drove|drive|drives|driving|expelled|expel|chased|chase|kicked')})\s+{_OBJ}\s+(?:back\s+)?"
        rf"(?:out\s+of|from|out\s+from|away\s+from)\s+(?P<slot>{SLOT})"), "to", confidence=0.8),
    Rule("dislodged", "withdrew", _r(
        rf"\b(?P<trig>{_I.format(DROVE)})\s+(?!back\b|out\b|away\b){_OBJ}\s+(?:back\s+)?(?:out\s+of|from|out\s+from)\s+(?P<slot>{SLOT})"),
        None, confidence=0.8),
    Rule("driven_out", "withdrew", _r(
        rf"(?:\b{_AUX}\s+{_ADV}?)?\b(?P<trig>{_I.format(DRIVEN)})(?:\s+back)?\s+(?:out\s+of|from|out\s+from|away\s+from)\s+"
        rf"(?P<slot>{SLOT})"), "from", confidence=0.85),
    Rule("cleared_of", "withdrew", _r(
        rf"\b(?P<trig>{_I.format(CLEARED)})\s+(?P<slot>{SLOT})\s+of\s+{_OBJ}(?=[,.;:]|\s+(?:on|in|after|and|killing)\b|$)"),
        None, confidence=0.75),
    Rule("clearing_of", "withdrew", _r(
        rf"\b(?P<trig>{_I.format('clearing|clearance|liberation')})\s+of\s+(?P<slot>{SLOT})"), None, confidence=0.7),
    # --- captures ---
    Rule("lost_to", "captured", _r(
        rf"\b(?P<trig>{_I.format(LOST)})\s+(?:(?:full|complete|all|the)\s+)?(?P<slot>{SLOT})(?=\s+to\s+)"), "from",
        confidence=0.85),
    Rule("lost", "withdrew", _r(rf"\b(?P<trig>{_I.format(LOST)})\s+(?:(?:full|complete|the)\s+)?(?P<slot>{SLOT})"),
         "from", needs_subject=True, confidence=0.75),
    Rule("passive_capture", "captured", _r(
        rf"(?P<slot>{SLOT})\s+(?:\([^()]*\)\s+)?(?:,[^,]{{1,60}},\s+)?{_AUX}\s+{_ADV}?(?P<trig>{_I.format(CAP_PASSIVE)})\b"
        rf"(?!\s+(?:in|on|at|near|during)\s+(?:fighting|clashes|the\s+battle))"), None, confidence=0.85),
    # A relative clause with the place first: "the town the rebels captured last week", "the village he helped
    # to liberate". The actor between them is the new holder.
    Rule("relative_capture", "captured", _r(
        rf"(?P<slot>{SLOT})\s+(?:that\s+|which\s+)?(?P<holder>they|he|she|we|(?:the\s+)?[A-Za-z][\w\-]+(?:\s+[a-z]+)?)\s+"
        rf"(?:had\s+|have\s+|has\s+)?(?:helped\s+(?:to\s+)?)?"
        rf"(?P<trig>{_I.format('liberated|liberate|captured|recaptured|retook|seized|took over|overran|freed')})\b"
        rf"(?!\s+(?:the|a|an|it|them|control|[A-Z]))"), None, confidence=0.65),
    # Headlines drop the auxiliary: "Nuclear plant seized", "Kidal retaken by the army".
    Rule("headline_passive", "captured", _r(
        rf"^(?P<slot>{SLOT})\s+(?P<trig>{_I.format('seized|captured|retaken|recaptured|liberated|overrun|taken|freed')})\b"
        rf"(?=\s*(?:$|[.!:;,]|\s+(?:by|from|after|as|amid)\b))"), None, confidence=0.75),
    Rule("fell", "captured", _r(
        rf"(?P<slot>{SLOT})\s+(?:,[^,]{{1,60}},\s+)?(?:has\s+|had\s+|have\s+)?{_ADV}?(?P<trig>{_I.format(FELL)})\b"
        rf"(?!\s+(?:by|in\s+(?:value|price)|from\s+\d|to\s+\d|\d|silent|quiet|ill|apart|short|behind|asleep))"),
        None, confidence=0.8),
    # "Russia claims capture of Y", "the army announced the recapture of Y": the one who claims it took it
    Rule("claimed_noun", "captured", _r(
        rf"\b(?:claims?|claimed|claiming|announces?|announced|announcing|confirms?|confirmed|completes?|completed)\s+"
        rf"(?:the\s+)?(?:full\s+|complete\s+)?(?P<trig>{_I.format(NOUN)})\s+of\s+(?P<slot>{SLOT})"), "to", confidence=0.75),
    Rule("capture_noun", "captured", _r(
        rf"\b(?P<trig>{_I.format(NOUN)})\s+of\s+(?P<slot>{SLOT})"), None, confidence=0.75),
    Rule("name_capture", "captured", _r(
        rf"(?P<slot>{NAME_SEQ})\s+(?P<trig>capture|recapture|takeover|fall|liberation)\b(?!\s+of)"), None, confidence=0.7),
    Rule("came_under", "captured", _r(
        rf"(?P<slot>{SLOT})\s+{_ADV}?(?P<trig>{_I.format('came under|has come under|fell under|falls under|returned to|was returned to')})"
        rf"\s+(?:the\s+)?(?:full\s+|complete\s+)?(?P<holder>[\w\-]+\s+)?(?:control|rule)"), None, confidence=0.8),
    Rule("occupied_adjective", "held", _r(
        rf"(?<![A-Za-z])(?:(?i:the|in|of|from|into|to|across|annexed|besieged|occupied)\s+)(?P<trig>{_I.format('occupied|annexed|besieged|rebel-held')})\s+"
        rf"{_NOUN_OF}(?P<slot>{SLOT})"), None, modal=False, confidence=0.7),
    Rule("including", "captured", _r(
        rf"(?<![-‑])\b(?P<trig>{_I.format(CAP_ACTIVE)})\s+(?:(?:the\s+)?control\s+(?:of|over)\s+)?"
        rf"(?:several|a\s+number\s+of|many|some|dozens\s+of|a\s+series\s+of|the|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+"
        rf"(?:[a-z\-]+\s+){{0,2}}?(?:localities|villages|towns|areas|positions|settlements|districts|hamlets|locations)\b"
        rf"[^.;]{{0,120}}?\b(?:including|namely|such\s+as|among\s+them|notably)\s*:?\s+(?P<slot>{SLOT})"), "to", confidence=0.8),
    Rule("recovered_include", "captured", _r(
        rf"\b(?:locations|villages|localities|areas|towns|positions|places|settlements)\s+"
        rf"(?P<trig>recovered|captured|retaken|seized|taken|liberated|regained|freed)\s+(?:include|included|includes|are|were|comprise)\s+"
        rf"(?P<slot>{SLOT})"), None, confidence=0.75),
    Rule("active_capture", "captured", _r(
        rf"(?<![-‑])\b(?P<trig>{_I.format(CAP_ACTIVE)})\s+(?:(?:the\s+)?[“\"‘]?(?:full\s+|complete\s+|total\s+|effective\s+)?"
        rf"control[”\"’]?\s+(?:of|over)\s+)?"  # quotes too: took “complete control” of
        rf"(?:(?:full|complete|total|effective|back|the\s+rest\s+of|all\s+of|the\s+whole\s+of|the\s+entire)\s+)?"
        rf"(?P<slot>{SLOT})"), "to", confidence=0.85),
    # "Security forces ended the siege at the hotel": the attackers held it until then; now the subject does.
    Rule("ended_siege", "captured", _r(
        rf"\b(?P<trig>{_I.format('ended the siege|ending the siege|end the siege|ends the siege')})\s+(?:at|of|on|in)\s+"
        rf"(?P<slot>{SLOT})"), "to", confidence=0.7),
    # --- withdrawals ---
    Rule("withdrew", "withdrew", _r(
        rf"\b(?P<trig>{_I.format(WD_ACTIVE + '|withdrawal from|retreat from|pullout from|pull-out from|exit from')})\s+"
        rf"(?:from\s+|out\s+of\s+)?(?P<slot>{SLOT})"), "from", needs_subject=True, confidence=0.8),
    # "until Russian forces withdrew.", "before they retreated to their base in Y": the place left is the one this
    # sentence named before (an empty slot stands for it); Y is only where they went.
    Rule("withdrew_implicit", "withdrew", _r(
        rf"\b(?P<trig>{_I.format('withdrew|retreated|pulled out|pulled back|fell back|have withdrawn|had withdrawn|has withdrawn|retreat|retreats|withdraw|withdraws|pull out|pulls out')})"
        rf"(?P<slot>)(?=\s*(?:[.;,]|$|\s+to\s+|\s+(?:on|overnight|yesterday|today|after|later|again)\b))"),
        "from", needs_subject=True, confidence=0.6),
    # --- held ---
    Rule("held_adjective", "held", _r(
        rf"\b{_HOLDER}\s*[-‑–]\s*(?P<trig>{_I.format('held|controlled|occupied|run|dominated|besieged')})\s+"
        rf"{_NOUN_OF}(?P<slot>{SLOT})"), None, modal=False, confidence=0.8),
    Rule("held_by", "held", _r(
        rf"(?P<slot>{SLOT})\s*,?\s+(?:which\s+|that\s+)?(?:(?:is|was|are|were|remains|remained|has\s+been|had\s+been|have\s+been)\s+)?"
        rf"(?:still\s+|now\s+|firmly\s+|largely\s+|long\s+)?(?P<trig>{_I.format('held by|controlled by|occupied by|in the hands of|under the control of|under control of')})"),
        None, modal=False, confidence=0.8),
    Rule("under_control", "held", _r(
        rf"(?P<slot>{SLOT})\s*,?\s+(?:which\s+|that\s+)?(?:(?:is|was|are|were|remains|remained|has\s+been|had\s+been|have\s+been)\s+)?"
        rf"(?:still\s+|now\s+|firmly\s+|largely\s+|entirely\s+)?(?:under|in)\s+(?:(?:full|complete|total|firm|effective)\s+)?"
        rf"(?!(?:full|complete|total|firm|effective|the|his|her)\s)(?P<holder>[\w\-’']+(?:\s+[A-Z][\w\-]+)?)\s+(?P<trig>control|occupation|rule|hands)\b"),
        None, modal=False, confidence=0.75),
    Rule("occupation_of", "held", _r(
        rf"\b(?!(?:full|complete|total|firm|effective|the|their|its|in|under|of|for|over|taken|took|gained|regained|lost)\s)"
        rf"(?P<holder>[\w\-’']+(?:\s+[A-Z][\w\-]+)?)\s+(?P<trig>occupation|control)\s+of\s+(?P<slot>{SLOT})"),
        None, modal=False, confidence=0.7),
    Rule("holds", "held", _r(
        rf"\b(?P<trig>(?i:(?:remains?|remained|is|are|was|were|still|firmly|now)\s+in\s+(?:full\s+|complete\s+|total\s+|firm\s+|effective\s+)?"
        rf"control\s+(?:of|over))|{_I.format(HOLD_ACTIVE)})\s+(?P<slot>{SLOT})"), "to", needs_subject=True,
         confidence=0.7, anchor_words=("control", "controls", "controlled", "controlling", "holds", "holding", "hold",
                                       "occupies", "occupying")),
    # --- anticipated ---
    Rule("toward", "anticipated", _r(rf"\b(?P<trig>{_I.format(TOWARD)})\s+(?P<slot>{SLOT})"), "to", confidence=0.7),
    # --- contested ---
    Rule("partial", "contested", _r(rf"\b(?P<trig>{_I.format(PARTIAL)})\s+(?:the\s+)?(?P<slot>{SLOT})"), "to",
         confidence=0.7),
    Rule("contest_noun", "contested", _r(
        rf"\b(?P<trig>{_I.format(C_NOUNS)})\s+(?:(?:has|have|had|is|are|was|were)\s+)?"
        rf"(?:(?:spilled|spread|moved|raged|raging|erupted|broke\s+out|intensified|continued|continues|continue|resumed|escalated|"
        rf"rages|reached|reaches|taking\s+place|underway|ongoing|went\s+on|launched|reported)\s+)?"
        rf"(?:(?:with|against|between)\s+[^,.;]{{1,80}}?\s+)?"
        rf"(?i:for|in|over|around|inside|near|at|on|against|into|across|outside|of|to)\s+"
        rf"(?:(?:the\s+)?control\s+(?:of|over)\s+|the\s+(?:outskirts\s+of|streets\s+of|cent(?:re|er)\s+of|heart\s+of|edge\s+of|suburbs\s+of)\s+)?"
        rf"(?P<slot>{SLOT})"), "to", confidence=0.7),
    Rule("contest_verb", "contested", _r(
        rf"\b(?P<trig>{_I.format(C_VERBS)})\s+(?:(?:the|a)\s+(?:outskirts|cent(?:re|er)|heart|edge|streets|gates|suburbs|"
        rf"outer\s+districts|eastern\s+part|western\s+part|northern\s+part|southern\s+part)\s+of\s+)?(?P<slot>{SLOT})"), "to",
        confidence=0.7),
]

