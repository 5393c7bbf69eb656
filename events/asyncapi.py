"""The AsyncAPI 3.0 description of every topic, generated from the topic catalogue and the
event models.

`python -m events.asyncapi > docs/asyncapi.json` (or `make asyncapi`) regenerates it; a unit test
fails when the committed file is out of date.
"""

from __future__ import annotations

import json
from typing import Any

from events.catalog import ALL_EVENT_TYPES
from events.envelope import Actor
from events.topics import (
    FOREVER,
    PERSONAL_DATA,
    SERVICE_MESSAGES,
    TOPICS,
    Message,
    Topic,
    address,
)

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


def _event_messages() -> dict[str, Any]:
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
    return messages


def _service_message(message: Message) -> dict[str, Any]:
    assert message.model is not None
    described: dict[str, Any] = {
        "name": message.name,
        "title": message.title,
        "summary": message.summary,
        "contentType": "application/json",
        "payload": message.model.model_json_schema(mode="serialization"),
        "x-kafka-key": message.kafka_key,
    }
    if message.headers:
        described["headers"] = {"type": "object", "properties": message.headers}
    return described


PERSONAL_DATA_HOURS = 72
"""The default of LAPOR_PERSONAL_DATA_RETENTION_HOURS, shown in the document."""


def _kafka_binding(topic: Topic) -> dict[str, Any]:
    """The topic's configuration (Kafka channel binding 0.5.0): its retention, and why."""
    config: dict[str, Any] = topic.retention.config(PERSONAL_DATA_HOURS)
    kept = {
        "cleanup.policy": [config["cleanup.policy"]],
        "retention.ms": int(config["retention.ms"]),
    }
    if "retention.bytes" in config:
        kept["retention.bytes"] = int(config["retention.bytes"])
    return {
        "topicConfiguration": kept,
        "x-retention": f"{_kept(topic.retention.keep)}: {topic.retention.why}",
        "bindingVersion": "0.5.0",
    }


def _kept(keep: str | int) -> str:
    if keep == FOREVER:
        return "kept forever"
    if keep == PERSONAL_DATA:
        return "kept for LAPOR_PERSONAL_DATA_RETENTION_HOURS (72 by default)"
    return f"kept {keep} days"


def document(prefix: str = "lapor") -> dict[str, Any]:
    """Every topic of a deployment whose topic names start with `prefix`."""
    messages = _event_messages()
    event_names = [name for name in messages if name != "DeadLetter"]
    messages |= {m.component: _service_message(m) for m in SERVICE_MESSAGES}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        names = topic.messages or tuple(event_names)
        channel: dict[str, Any] = {"address": address(prefix, topic.name)}
        if topic.parameters:
            channel["parameters"] = topic.parameters
        channel["bindings"] = {"kafka": _kafka_binding(topic)}
        channel["messages"] = {n: {"$ref": f"#/components/messages/{n}"} for n in names}
        channels[topic.channel] = channel
        for op in topic.operations:
            operations[op.id] = {
                "action": op.action,
                "channel": {"$ref": f"#/channels/{topic.channel}"},
                "summary": op.summary,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "lapor backbone: topics",
            "version": "1",
            "description": "Channels publish submissions on the intake topic and read results; "
            "every complaint event is published in order per complaint; each agency consumes its "
            "own queue and replies on the agency-replies topic. Delivery is at-least-once "
            "everywhere: every message carries an id to de-duplicate by.",
        },
        "channels": channels,
        "operations": operations,
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
    return json.dumps(document(prefix), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
