"""Modality: did the change happen, will it, was it tried, is it denied, and who says so.

Each function looks only at the sentence and the trigger's position, so it can be tested on its own.
"""

from __future__ import annotations

import re

from workers.extract import lexicon as lx

_CLAUSE_BREAK = re.compile(r"[;:(\u2013\u2014]|,\s+(?:but|while|whereas|although|though|after|before|as|and|which|when|"
                           r"following|since|until|having)\b|\b(?:but|while|whereas|after|before|since|until|following)\b")


def _cue(section: str, key: str) -> re.Pattern:
    return re.compile(rf"(?<![\w']){lx.alternation(lx.words(section, key))}(?![\w])", re.I)


FUTURE = _cue("modality", "future")
ATTEMPT = _cue("modality", "attempt")
NEGATION = _cue("modality", "negation")
DENIAL = _cue("modality", "denial")
REPORT = _cue("modality", "report")
HEDGE = _cue("modality", "hedge")
NEUTRAL = _cue("modality", "neutral")
HISTORY = _cue("modality", "history")
_BASE_FORM = re.compile(r"^(?:capture|seize|take|retake|recapture|regain|liberate|occupy|overrun|enter|storm|win|free|"
                        r"withdraw|retreat|pull|leave|abandon|lose|fall|hold|control|surround|encircle|besiege|attack|"
                        r"advance|clear|drive|push|expel|quit|vacate|flee|reach)\b", re.I)
_INFINITIVE_TO = re.compile(r"\bto\s+(?:\w+ly\s+)?$", re.I)
_ACHIEVED_TO = re.compile(r"\b(?:helped|managed|succeeded\s+in|was\s+able|were\s+able)\s+(?:to\s+)?$", re.I)
_STATIC_TO = re.compile(r"\b(?:due|close|next|according|thanks|owing|up)\s+to\s+$", re.I)


def clause_before(sentence: str, trig_start: int, limit: int = 90) -> str:
    """The part of the trigger's clause that stands before it (at most `limit` characters)."""
    window = sentence[max(0, trig_start - limit):trig_start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    return window[breaks[-1].end():] if breaks else window


def mood(sentence: str, trig_start: int, trigger: str) -> str:
    """'fact', 'future' (anticipated), 'attempt' (contested) or 'negated' for the trigger at trig_start."""
    before = clause_before(sentence, trig_start)
    near = before[-40:]
    if NEGATION.search(near) and not re.search(r"\bnot\s+only\b", near, re.I):
        after = re.split(r"[;.]", sentence[trig_start + len(trigger):trig_start + len(trigger) + 120])[0]
        if re.search(r"\buntil\b", after, re.I):
            return "fact"  # "did not take the city until 10 September": it did, then
        return "negated"
    if ATTEMPT.search(before):
        return "attempt"
    base = bool(_BASE_FORM.match(trigger)) and not re.match(r"\w+(?:ed|en|ook|ell|eft|ught|ran|rew)\b", trigger, re.I)
    if _ACHIEVED_TO.search(before):
        return "fact"  # "helped to liberate", "managed to take": it happened
    if _INFINITIVE_TO.search(before) and not _STATIC_TO.search(before) and base:
        return "future"
    future = [m for m in FUTURE.finditer(before) if m.group(0).lower() != "to"]
    if future:
        return "future"
    return "fact"


def apply(status: str, mood_: str) -> str | None:
    """The status a trigger's mood turns it into; None drops the statement."""
    if mood_ == "fact":
        return status
    if mood_ == "negated":
        return None
    if status in ("captured", "withdrew"):
        return "anticipated" if mood_ == "future" else "contested"
    if status == "contested" and mood_ == "future":
        return "anticipated"
    return status


def certainty(sentence: str, trig_start: int, is_title: bool) -> str:
    """'denied', 'claimed' or 'asserted' for a statement in this sentence."""
    if DENIAL.search(sentence):
        return "denied"
    if HEDGE.search(sentence):
        return "claimed"
    reports = list(REPORT.finditer(sentence))
    if not reports:
        return "asserted"
    if is_title and not re.search(r"\b(?:says?|claims?|source|sources|official|officials|reports?)\b", sentence, re.I):
        return "asserted"  # a headline in the writer's own voice
    for report in reports:
        # The speaker stands just before the reporting verb ("X said"), or just after ("according to X", "said X").
        around = sentence[max(0, report.start() - 80):min(len(sentence), report.end() + 60)]
        if NEUTRAL.search(around):
            continue
        if report.group(0).lower() in ("reported", "reports") and re.search(r"\b(?:was|were|is|are|been|no|not)\s+$",
                                                                          sentence[:report.start()], re.I) \
                and not re.match(r"\s+to\s+have\b", sentence[report.end():]):
            continue  # "fighting was reported": the writer's statement; "are reported to have taken": hearsay
        return "claimed"
    return "asserted"


def historical(sentence: str, trig_start: int, trig_end: int) -> bool:
    """True when words around the trigger mark it as past history ("first captured", "weeks ago")."""
    before = clause_before(sentence, trig_start, 40).split(",")[-1]  # "who first took it in 2012, retook it": not history
    after = sentence[trig_end:trig_end + 80].lstrip(" ,")  # "retreated from the capital, Kyiv, weeks ago"
    after = re.split(r"[;,:]", after)[0]
    # "two days ago" is recent: timex dates it. Weeks, months and years ago are history.
    return bool(HISTORY.search(before) or re.search(r"\b(?:(?:weeks|months|years|decades)\s+ago|last year|years? earlier|"
                                                   r"in the past)\b", after, re.I))
