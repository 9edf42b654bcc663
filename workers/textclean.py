"""HTML (or plain text) from a feed item -> plain text with paragraph breaks, fast and safe on hostile input."""

from __future__ import annotations

import html
import re

_DROP = re.compile(r"<(script|style|noscript|template|svg|iframe)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BLOCK = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|table|section|article|header|footer|figure|"
                    r"figcaption|hr|pre)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]{0,2000}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_BLANKS = re.compile(r"\n\s*\n\s*(?:\n\s*)*")

MAX_CHARS = 200_000  # an item longer than this is cut: control statements sit near the top of a story


def clean(markup: str | None, limit: int = MAX_CHARS) -> str:
    """Plain text of an HTML fragment: scripts dropped, blocks turned into paragraph breaks, entities decoded."""
    if not markup:
        return ""
    text = markup[: limit * 3]
    if "<" in text:
        text = _DROP.sub(" ", text)
        text = _BLOCK.sub("\n\n", text)
        text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _BLANKS.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.strip().split("\n"))[:limit]
