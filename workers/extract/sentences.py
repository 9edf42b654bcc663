"""Split text into sentences with character offsets, keeping a headline as a sentence of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with closing quotes) before whitespace and an upper-case letter, digit or quote,
# or at a blank line. Abbreviations and initials ("U.S.", "Apr. 26", "Mr. Smith") do not end one.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z•\-–])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Maj|Capt|Sgt|St|Mt|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
    r"approx|Approx|vs|etc|al|Rep|Sen|Gov|Prof|Inc|Co|Corp|Ltd|Jr|Sr|U\.S|U\.N|U\.K|e\.g|i\.e)|\b[A-Z])\.$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset of text within the source field
    field: str  # "title" or "text"
    index: int  # position in the document, title first

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split(text: str, field: str = "text", first_index: int = 0) -> list[Sentence]:
    """Sentences of text; offsets point into text."""
    out: list[Sentence] = []
    start = 0
    pieces: list[tuple[int, int]] = []
    for match in _BOUNDARY.finditer(text):
        candidate = text[start:match.start()]
        if match.group(0).strip() == "" and _ABBREVIATIONS.search(candidate.rstrip()):
            continue
        pieces.append((start, match.start()))
        start = match.end()
    pieces.append((start, len(text)))
    pieces = [cut for begin, end in pieces for cut in _bounded(text, begin, end)]
    for begin, end in pieces:
        chunk = text[begin:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        offset = begin + (len(chunk) - len(chunk.lstrip()))
        out.append(Sentence(stripped, offset, field, first_index + len(out)))
    return out


MAX_SENTENCE = 1000  # characters; real sentences are far shorter, and rules scan each one several times


def _bounded(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    """A run without sentence punctuation (a pasted table, a feed with none) cut at spaces into pieces of at most
    MAX_SENTENCE characters, so the time per document stays proportional to its length."""
    out = []
    while end - begin > MAX_SENTENCE:
        cut = text.rfind(" ", begin + MAX_SENTENCE // 2, begin + MAX_SENTENCE)
        cut = cut if cut > begin else begin + MAX_SENTENCE
        out.append((begin, cut))
        begin = cut
    out.append((begin, end))
    return out


def split_document(title: str, text: str) -> list[Sentence]:
    """The title (if any) as sentence 0, then the body's sentences."""
    head = [Sentence(title.strip(), len(title) - len(title.lstrip()), "title", 0)] if title and title.strip() else []
    return head + split(text or "", "text", len(head))
