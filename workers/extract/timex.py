"""Time expressions: find them in a sentence and resolve them against the publication date.

Resolved values are ISO strings at the precision the text gives: "2016-12-04", "2016-12" or "2016".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"], 1)}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}

_MONTH = r"(?P<month>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_PATTERNS = [
    ("dmy", re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    ("mdy", re.compile(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")),
    ("dm", re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![a-z])", re.I)),
    ("md", re.compile(rf"\b{_MONTH}\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?![:\d])", re.I)),
    ("slash", re.compile(r"(?<![\d/])(?P<day>[0-3]?\d)/(?P<month>[01]?\d)(?:/(?P<year>(?:20)?\d\d))?(?![\d/])")),
    ("my", re.compile(rf"\b(?:in\s+|since\s+|of\s+)?{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    ("last_month", re.compile(rf"\b(?P<rel>last|this|next)\s+{_MONTH}(?![a-z])", re.I)),
    ("month_last_year", re.compile(rf"\bin\s+{_MONTH}\s+(?P<rel>last|this)\s+year\b", re.I)),
    ("in_month", re.compile(rf"\b(?:in|since|by|during|early|late|mid-?|until|from)\s+(?:early\s+|late\s+|mid-?)?{_MONTH}(?![a-z])", re.I)),
    ("year", re.compile(r"\b(?:in|since|by|during|of|from|until)\s+(?:early\s+|late\s+|mid-?)?(?P<year>(?:19|20)\d\d)\b", re.I)),
    ("weekday", re.compile(r"\b(?:on\s+|last\s+|this\s+|early\s+|late\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("relday", re.compile(r"\b(?P<rel>yesterday|today|tonight|overnight|this morning|last night|the previous day|the day before|earlier today)\b", re.I)),
    ("ago", re.compile(r"\b(?P<n>a|an|one|two|three|four|five|six|several|a few|few|\d+)\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b", re.I)),
    ("lastunit", re.compile(r"\b(?P<rel>last|this|past)\s+(?P<unit>week|month|year|weekend)\b", re.I)),
    ("bare_year", re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")),
]
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "several": 3, "a few": 3, "few": 3}


@dataclass(frozen=True)
class TimeExpr:
    start: int
    end: int
    text: str
    value: str  # ISO date, "YYYY-MM" or "YYYY"
    kind: str


def _parse_published(published: str | None) -> date | None:
    if not published:
        return None
    try:
        return datetime.fromisoformat(str(published).replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(str(published)[:10])
        except ValueError:
            return None


def _month_before(month: int, ref: date, strictly: bool = False) -> str:
    """The most recent given month on or before ref's month (strictly before when asked)."""
    year = ref.year if (month < ref.month or (month == ref.month and not strictly)) else ref.year - 1
    return f"{year:04d}-{month:02d}"


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _resolve(kind: str, m: re.Match, ref: date) -> str | None:
    g = m.groupdict()
    month = MONTHS.get((g.get("month") or "").lower().rstrip(".")) if g.get("month") and not g["month"].isdigit() else (
        int(g["month"]) if g.get("month") else None)
    if kind in ("dmy", "mdy", "iso"):
        return _day(int(g["year"]), month, int(g["day"]))
    if kind in ("dm", "md", "slash"):
        if not month or not 1 <= month <= 12:
            return None
        day = int(g["day"])
        if g.get("year"):
            year = int(g["year"]) if len(g["year"]) == 4 else 2000 + int(g["year"])
            return _day(year, month, day)
        year = ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1
        return _day(year, month, day)
    if kind == "my":
        return f"{int(g['year']):04d}-{month:02d}"
    if kind == "last_month":
        rel = g["rel"].lower()
        if rel == "last":
            return _month_before(month, ref, strictly=True)
        if rel == "next":
            return None
        return f"{ref.year:04d}-{month:02d}"
    if kind == "month_last_year":
        return f"{ref.year - (1 if g['rel'].lower() == 'last' else 0):04d}-{month:02d}"
    if kind == "in_month":
        return _month_before(month, ref)
    if kind in ("year", "bare_year"):
        year = int(g["year"])
        return str(year) if 1900 <= year <= ref.year else None
    if kind == "weekday":
        delta = (ref.weekday() - WEEKDAYS[g["weekday"].lower()]) % 7
        return (ref - timedelta(days=delta)).isoformat()
    if kind == "relday":
        rel = g["rel"].lower()
        back = 1 if rel in ("yesterday", "last night", "the previous day", "the day before") else 0
        return (ref - timedelta(days=back)).isoformat()
    if kind == "ago":
        n = _NUMBERS.get(g["n"].lower()) or int(g["n"]) if g["n"].isdigit() else _NUMBERS.get(g["n"].lower(), 1)
        unit = g["unit"].lower().rstrip("s")
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
        when = ref - timedelta(days=days)
        return when.isoformat() if unit in ("day", "week") else (f"{when:%Y-%m}" if unit == "month" else str(when.year))
    if kind == "lastunit":
        unit, rel = g["unit"].lower(), g["rel"].lower()
        if unit in ("week", "weekend"):
            return (ref - timedelta(days=7 if rel == "last" else 0)).isoformat()
        if unit == "month":
            first = ref.replace(day=1)
            prev = first - timedelta(days=1) if rel == "last" else first
            return f"{prev:%Y-%m}"
        return str(ref.year - (1 if rel == "last" else 0))
    return None


def find(text: str, published: str | None) -> list[TimeExpr]:
    """Every time expression in text that resolves against the publication date, in text order."""
    ref = _parse_published(published)
    if ref is None:
        return []
    found: list[TimeExpr] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if kind == "slash" and not re.search(r"\b(?:on|of|between|and|from|\()\s*$", text[max(0, m.start() - 12):m.start()]):
                continue  # a bare "3/4" is more often a fraction or a score than a date
            if kind == "md" and m.group("month").lower() == "may":
                continue  # "may 3" is too often the verb
            value = _resolve(kind, m, ref)
            if value:
                found.append(TimeExpr(m.start(), m.end(), m.group(0), value, kind))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda t: t.start)


def is_recent(value: str | None, published: str | None, days: int = 7) -> bool:
    """True when the time is within `days` before publication (a month or year counts if it overlaps)."""
    ref = _parse_published(published)
    if value is None or ref is None:
        return True
    if len(value) == 4:
        return int(value) >= ref.year
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:7])
        window_start = ref - timedelta(days=days)
        return (year, month) >= (window_start.year, window_start.month)
    try:
        when = date.fromisoformat(value)
    except ValueError:
        return True
    return -1 <= (ref - when).days <= days
