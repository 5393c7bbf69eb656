"""The AsyncAPI 3.0 description of the topics, generated from the event models.

`python -m events.asyncapi > docs/asyncapi.json` (or `make asyncapi`) regenerates it; a unit test
fails when the committed file is out of date.
"""

from __future__ import annotations

import json
from typing import Any

from events.catalog import ALL_EVENT_TYPES
from events.envelope import Actor

CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 Kafka binding, binary content mode: context attributes as "
    "headers, the event payload as the JSON message value, key = complaint id.",
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_subject",
        "ce_time",
        "ce_schemaversion",
        "ce_sequence",
        "ce_correlationid",
        "ce_actorrole",
        "ce_actorid",
    ],
    "properties": {
        "content-type": {"const": "application/json"},
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "event id, unique"},
        "ce_source": {"type": "string", "description": "e.g. urn:lapor:event-store"},
        "ce_type": {"type": "string", "description": "the event type, e.g. complaint.filed"},
        "ce_subject": {"type": "string", "format": "uuid", "description": "the complaint id"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_schemaversion": {"type": "string", "description": "payload schema version"},
        "ce_sequence": {
            "type": "string",
            "description": "position of the event in its complaint's stream, from 1; consumers "
            "skip what they have applied (delivery is at-least-once)",
        },
        "ce_correlationid": {"type": "string", "format": "uuid"},
        "ce_causationid": {"type": "string", "format": "uuid"},
        "ce_actorrole": {"enum": list(Actor.model_fields["role"].annotation.__args__)},  # type: ignore[union-attr]
        "ce_actorid": {"type": "string"},
    },
}

DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original message's headers, plus where it came from and why.",
    "required": [
        "dlq_reason",
        "dlq_stage",
        "dlq_consumer",
        "dlq_topic",
        "dlq_partition",
        "dlq_offset",
    ],
    "properties": {
        "dlq_reason": {"type": "string", "description": "why it could not be used"},
        "dlq_stage": {"enum": ["decode", "apply"]},
        "dlq_consumer": {"type": "string", "description": "consumer group that set it aside"},
        "dlq_topic": {"type": "string"},
        "dlq_partition": {"type": "string"},
        "dlq_offset": {"type": "string"},
        "dlq_at": {"type": "string", "description": "Unix time, seconds"},
    },
}


def document(prefix: str = "lapor") -> dict[str, Any]:
    """The AsyncAPI document for a deployment whose topics start with `prefix`."""
    messages: dict[str, Any] = {}
    for cls in ALL_EVENT_TYPES:
        messages[cls.__name__] = {
            "name": cls.event_type,
            "title": cls.__name__,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": cls.model_json_schema(mode="serialization"),
            "x-schema-version": cls.schema_version,
        }
    messages["DeadLetter"] = {
        "name": "dead-letter",
        "title": "A message that could not be decoded or applied",
        "summary": "The original key and value, unchanged, with the reason in the headers.",
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "payload": {"description": "the original message value, byte for byte"},
    }
    events_channel = f"{prefix}.complaint-events.v1"
    dead_letter_channel = f"{prefix}.dead-letter.v1"
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "lapor backbone: complaint event topics",
            "version": "1",
            "description": "Every complaint event, in order per complaint (key = complaint id), "
            "published from the PostgreSQL event store by the outbox relay. Delivery is "
            "at-least-once: skip an event whose (ce_subject, ce_sequence) you already applied.",
        },
        "channels": {
            "complaintEvents": {
                "address": events_channel,
                "messages": {
                    name: {"$ref": f"#/components/messages/{name}"}
                    for name in messages
                    if name != "DeadLetter"
                },
            },
            "deadLetter": {
                "address": dead_letter_channel,
                "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            },
        },
        "operations": {
            "publishComplaintEvents": {
                "action": "send",
                "channel": {"$ref": "#/channels/complaintEvents"},
                "summary": "The outbox relay publishes every appended event.",
            },
            "consumeComplaintEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/complaintEvents"},
                "summary": "Services, projections and auditors consume every event.",
            },
            "publishDeadLetters": {
                "action": "send",
                "channel": {"$ref": "#/channels/deadLetter"},
                "summary": "Any consumer sets aside what it cannot decode or apply.",
            },
        },
        "components": {
            "messages": messages,
            "schemas": {
                "CloudEventHeaders": CE_HEADERS,
                "DeadLetterHeaders": DEAD_LETTER_HEADERS,
            },
        },
    }


def render(prefix: str = "lapor") -> str:
    """The document as stable, pretty JSON (a valid AsyncAPI file)."""
    return json.dumps(document(prefix), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
