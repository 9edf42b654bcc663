"""Every Redis key placewatch writes lives under one prefix (PLACEWATCH_KEY_PREFIX, default "pw:").

Key map (see README, "Data in Redis"):
  {p}feeds                  hash  feed url -> JSON feed state (etag, last-modified, errors, next poll)
  {p}feeds:due              zset  feed url scored by next poll time
  {p}seen                   zset  canonical link (or item id) scored by first-seen time (trimmed after seen_ttl_days)
  {p}place:{key}:events     zset  ledger events of one place, scored by event time
  {p}place:{key}            hash  derived state of one place (holder, state, since, sources)
  {p}places                 zset  place keys by last update
  {p}place:{key}:ev         hash  (item id:event index) -> event JSON; writing it is what makes apply idempotent
  {p}place:{key}:changes    hash  change id -> change JSON (sources, denials, certainty)
  {p}alerts                 hash  alert id -> alert JSON
  {p}alerts:recent          zset  alert id scored by raise time
  {p}alerts:stream          stream live alert feed for the API (trimmed)
  {p}delivered:{a}:{r}:{c}  str   set once alert a revision r reached channel c (expires after 30 days)
  {p}dq:{a}:{r}:{c}         str   that delivery is queued (expires after 7 days)
  {p}attempts:{item}        str   how often an item crashed extraction (expires after 7 days)
  {p}lease:{feed url}       str   which poller polls that feed now (expires after 60 s)
  {p}alive:{worker}         str   worker heartbeat (expires after 3 s)
  {p}websub                 hash  WebSub subscriptions by id
  {p}article:{hash}         str   extracted article text, cached 7 days
  {p}notices                stream feed-down notices (trimmed)
  {p}delivery:failures      zset  failed deliveries (JSON) by time
  {p}dead                   list  items that crashed extraction N times (JSON with error)
  {p}watch                  hash  watched place id -> JSON (places added from CLI/API)
  {p}stats                  hash  counters (items polled, alerts sent, ...)
"""

from __future__ import annotations

import os

PREFIX = os.environ.get("PLACEWATCH_KEY_PREFIX", "pw:")


def k(*parts: object) -> str:
    """Build a namespaced key: k("place", "163808", "events") -> "pw:place:163808:events"."""
    return PREFIX + ":".join(str(p) for p in parts)


QUEUE_ITEMS = "items"
QUEUE_ALERTS = "alerts"
