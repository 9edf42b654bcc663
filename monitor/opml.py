"""OPML import and export of the feed list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr


class OPMLError(ValueError):
    pass


def parse(data: bytes) -> list[dict]:
    """Feeds in an OPML document: [{url, name}], nested outlines included. Entities are not expanded."""
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise OPMLError("OPML with a DOCTYPE or entities is refused (entity expansion attacks)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise OPMLError(f"not valid OPML: {error}") from None
    if root.tag != "opml":
        raise OPMLError(f"not OPML: the root element is <{root.tag}>")
    feeds = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url and url.startswith(("http://", "https://")):
            feeds.append({"url": url, "name": outline.get("title") or outline.get("text") or ""})
    return feeds


def render(feeds: list[dict]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head><title>placewatch feeds</title></head>",
             "  <body>"]
    for feed in feeds:
        name = feed.get("name") or feed["url"]
        attrs = f"text={quoteattr(name)} title={quoteattr(name)} xmlUrl={quoteattr(feed['url'])}"
        lines.append(f'    <outline type="rss" {attrs}/>')
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
