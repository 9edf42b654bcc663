"""Stable item ids and canonical links, so a replayed or re-fetched item is recognised as the same item."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_", "ocid", "cmpid", "at_medium", "at_campaign", "ito", "xtor")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def canonical_link(link: str | None) -> str | None:
    """The link without tracking parameters, fragment, default port or trailing slash; scheme and host lower-cased."""
    if not link:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, host, path, urlencode(query), ""))


def item_id(guid: str | None, link: str | None, title: str | None, date: str | None) -> str:
    """GUID if there is one, else the canonical link, else a hash of title and date.

    A GUID is taken together with the item's link (or title): some feeds reuse one GUID for different stories,
    and those must stay different items. A feed that changes a story's GUID is caught by the link key instead."""
    if guid and guid.strip():
        return "g" + _digest(guid.strip() + "\n" + (canonical_link(link) or (title or "").strip()))
    canon = canonical_link(link)
    if canon:
        return "l" + _digest(canon)
    return "t" + _digest(f"{(title or '').strip()}\n{(date or '').strip()}")


def link_key(link: str | None) -> str | None:
    """Cross-feed identity: two feeds carrying the same article share this key."""
    canon = canonical_link(link)
    return "l" + _digest(canon) if canon else None


def domain(link: str | None) -> str:
    """The outlet's registrable-ish domain (host without www.), used to tell independent sources apart."""
    if not link:
        return ""
    host = (urlsplit(link).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
