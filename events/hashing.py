"""The canonical JSON form of a stored event and the per-complaint SHA-256 hash chain."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = bytes(32)
"""The `previous hash` of a stream's first event."""

HASHED_FIELDS = (
    "event_id",
    "event_type",
    "schema_version",
    "complaint_id",
    "version",
    "occurred_at",
    "actor",
    "correlation_id",
    "causation_id",
    "payload",
)


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8: one byte form for one event."""
    subset = {name: record.get(name) for name in HASHED_FIELDS}
    return json.dumps(subset, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous: bytes, record: dict[str, Any]) -> bytes:
    """SHA-256 over the previous event's hash and this event's canonical form."""
    return hashlib.sha256(previous + canonical_json(record)).digest()
