"""Every Redis key placewatch writes lives under one prefix (PLACEWATCH_KEY_PREFIX, default "pw:").

Key map (see README, "Data in Redis"):
  {p}feeds                  hash  feed url -> JSON feed state (etag, last-modified, errors, next poll)
  {p}feeds:due              zset  feed url scored by next poll time
  {p}seen                   zset  item id scored by first-seen time (trimmed after seen_ttl_days)
  {p}item:{id}              hash  item metadata kept for evidence links (expires with seen)
  {p}place:{key}:events     zset  ledger events of one place, scored by event time
  {p}place:{key}            hash  derived state of one place (holder, state, since, sources)
  {p}places                 zset  place keys by last update
  {p}applied                set   (item id, event index) pairs already applied to the ledger
  {p}alerts                 hash  alert id -> alert JSON
  {p}alerts:recent          zset  alert id scored by raise time
  {p}alerts:stream          stream live alert feed for the API (trimmed)
  {p}delivered              set   (alert id, revision, channel) already delivered
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
