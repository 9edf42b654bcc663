"""Parse feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into plain item dicts."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime

import feedparser

from monitor.poller import ids


class FeedParseError(ValueError):
    pass


def _iso(struct: object) -> str | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC).isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def parse(body: bytes, url: str, feed_name: str = "") -> tuple[dict, list[dict]]:
    """(feed info, items). Lenient where feedparser can be; raises FeedParseError where nothing is usable."""
    stripped = body.lstrip()[:1]
    if stripped == b"{":
        return _parse_json_feed(body, url, feed_name)
    if b"<!ENTITY" in body[:65536]:
        # No real feed declares its own entities; billion-laughs payloads do.
        raise FeedParseError("feed declares XML entities in a DOCTYPE: refused (entity expansion attack)")
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise FeedParseError(f"not a readable feed: {type(reason).__name__}: {str(reason)[:200]}")
        if not parsed.get("version") and not parsed.feed:
            raise FeedParseError("not a feed: no RSS, Atom or JSON Feed markup found (is this an HTML page?)")
    feed = parsed.feed
    warning = None
    if parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        warning = f"malformed feed read leniently: {type(reason).__name__}: {str(reason)[:160]}"
    info = {"title": feed.get("title") or feed_name or "", "link": feed.get("link") or url, "warning": warning,
            "ttl": feed.get("ttl"), "update_period": feed.get("sy_updateperiod"),
            "update_frequency": feed.get("sy_updatefrequency"),
            "hubs": [link.get("href") for link in feed.get("links", []) if link.get("rel") == "hub"],
            "self": next((link.get("href") for link in feed.get("links", []) if link.get("rel") == "self"), None)}
    items = []
    for entry in parsed.entries:
        link = entry.get("link")
        published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        content = ""
        if entry.get("content"):
            content = " ".join(c.get("value", "") for c in entry["content"])
        summary = entry.get("summary") or ""
        items.append(_item(entry.get("id"), link, entry.get("title") or "", content or summary, published, url,
                           info["title"]))
    return info, items


def _parse_json_feed(body: bytes, url: str, feed_name: str) -> tuple[dict, list[dict]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FeedParseError(f"not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedParseError("JSON without an 'items' list is not a JSON Feed")
    info = {"title": data.get("title") or feed_name, "link": data.get("home_page_url") or url, "ttl": None,
            "update_period": None, "update_frequency": None, "hubs": [h.get("url") for h in data.get("hubs", []) if
                                                                       isinstance(h, dict)], "self": data.get("feed_url")}
    items = []
    for entry in data["items"]:
        if not isinstance(entry, dict):
            continue
        text = entry.get("content_html") or entry.get("content_text") or entry.get("summary") or ""
        items.append(_item(str(entry.get("id") or "") or None, entry.get("url"), entry.get("title") or "", text,
                           entry.get("date_published") or entry.get("date_modified"), url, info["title"]))
    return info, items


def _item(guid: str | None, link: str | None, title: str, html: str, published: str | None, feed_url: str,
          feed_title: str) -> dict:
    return {
        "id": ids.item_id(guid, link, title, published),
        "link_key": ids.link_key(link),
        "link": link or "",
        "title": title,
        "html": html,
        "published": published,
        "feed": feed_url,
        "source": ids.domain(link) or ids.domain(feed_url),
        "outlet": feed_title,
    }
