"""The CloudEvents 1.0 Kafka protocol binding (binary content mode) for complaint events.

The Kafka value is the event's data (the payload as JSON); the context attributes travel as
`ce_*` headers. Key = the complaint id, so one complaint's events stay on one partition, in order.
Extension attributes carry the rest of the envelope: `ce_schemaversion`, `ce_sequence` (the
stream version, as in the CloudEvents sequence extension), `ce_correlationid`, `ce_causationid`,
`ce_actorrole`, `ce_actorid`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from events.envelope import Envelope
from events.registry import InvalidPayload, UnknownEventType

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = list[tuple[str, bytes]]


class DecodeError(ValueError):
    """A Kafka record that is not a valid complaint event; the message says why."""


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What goes on the wire: key, value and headers."""

    key: bytes
    value: bytes
    headers: Headers


def encode(envelope: Envelope, source: str) -> KafkaRecord:
    """Encode an envelope as a binary-mode CloudEvent Kafka record."""
    return encode_record(envelope.to_record(), source)


def encode_record(record: dict[str, Any], source: str) -> KafkaRecord:
    """Encode a stored event (its JSON form) without re-validating it.

    The relay forwards what the store holds, whatever schema version it was written with;
    consumers upcast on decode. A row that this code could no longer validate must not stop
    the publication of everything behind it.
    """
    attributes: dict[str, str] = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(record["event_id"]),
        "ce_source": source,
        "ce_type": str(record["event_type"]),
        "ce_subject": str(record["complaint_id"]),
        "ce_time": str(record["occurred_at"]),
        "ce_schemaversion": str(record["schema_version"]),
        "ce_sequence": str(record["version"]),
        "ce_correlationid": str(record["correlation_id"]),
        "ce_actorrole": str(record["actor"]["role"]),
        "ce_actorid": str(record["actor"]["id"]),
    }
    if record.get("causation_id") is not None:
        attributes["ce_causationid"] = str(record["causation_id"])
    headers = [("content-type", CONTENT_TYPE.encode())]
    headers += [(name, value.encode()) for name, value in attributes.items()]
    body = json.dumps(record["payload"], separators=(",", ":"), ensure_ascii=False).encode()
    return KafkaRecord(key=str(record["complaint_id"]).encode(), value=body, headers=headers)


def _header_map(headers: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers or ():
        if isinstance(value, bytes | bytearray):
            try:
                found[name] = bytes(value).decode()
            except UnicodeDecodeError as exc:
                raise DecodeError(f"header {name!r} is not UTF-8") from exc
        elif value is not None:
            found[name] = str(value)
    return found


def _required(attrs: dict[str, str], name: str) -> str:
    if name not in attrs:
        raise DecodeError(f"missing header {name!r}")
    return attrs[name]


def decode(key: bytes | None, value: bytes | None, headers: Any) -> Envelope:
    """Decode a binary-mode CloudEvent Kafka record into an envelope, or raise DecodeError."""
    attrs = _header_map(headers)
    if _required(attrs, "ce_specversion") != SPEC_VERSION:
        raise DecodeError(f"unsupported ce_specversion {attrs['ce_specversion']!r}")
    content_type = attrs.get("content-type", CONTENT_TYPE)
    if not content_type.startswith(CONTENT_TYPE):
        raise DecodeError(f"unsupported content-type {content_type!r}")
    try:
        payload = json.loads(value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise DecodeError("body must be a JSON object")
    subject = _required(attrs, "ce_subject")
    if key is not None and key.decode(errors="replace") != subject:
        raise DecodeError("record key does not match ce_subject")
    try:
        return Envelope.model_validate(
            {
                "event_id": _required(attrs, "ce_id"),
                "event_type": _required(attrs, "ce_type"),
                "schema_version": int(attrs.get("ce_schemaversion", "1")),
                "complaint_id": subject,
                "version": int(_required(attrs, "ce_sequence")),
                "occurred_at": datetime.fromisoformat(_required(attrs, "ce_time")),
                "actor": {
                    "role": _required(attrs, "ce_actorrole"),
                    "id": _required(attrs, "ce_actorid"),
                },
                "correlation_id": UUID(_required(attrs, "ce_correlationid")),
                "causation_id": attrs.get("ce_causationid"),
                "payload": payload,
            }
        )
    except (ValidationError, UnknownEventType, InvalidPayload, ValueError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"{type(exc).__name__}: {exc}") from exc
