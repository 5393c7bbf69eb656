"""The event envelope: who did what to which complaint, when, and at which place in its stream."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    field_serializer,
    model_validator,
)

from events.base import Event, UtcDatetime, format_time
from events.registry import UnknownEventType, load_payload

ActorRole = Literal[
    "reporter",
    "channel",
    "national_admin",
    "agency",
    "work_unit",
    "ombudsman",
    "system",
    "connected_system",
]


class Actor(BaseModel):
    """Who caused an event: a role and an identifier (an agency code, a channel, `scheduler`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    role: ActorRole
    id: str = Field(min_length=1, max_length=128)


class Envelope(BaseModel):
    """One event of a complaint's stream, as stored in the event store and sent on Kafka."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    event_id: UUID
    event_type: str
    schema_version: int = Field(ge=1)
    complaint_id: UUID
    version: int = Field(ge=1, description="position in the complaint's stream, from 1")
    occurred_at: UtcDatetime
    actor: Actor
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: SerializeAsAny[Event]

    @model_validator(mode="before")
    @classmethod
    def _load_payload(cls, data: Any) -> Any:
        """Decode a dict payload through the registry, upcasting it to the current version."""
        if isinstance(data, dict) and isinstance(data.get("payload"), dict):
            try:
                event = load_payload(
                    str(data.get("event_type")), int(data.get("schema_version", 1)), data["payload"]
                )
            except UnknownEventType as exc:
                raise ValueError(str(exc)) from exc
            data = {**data, "payload": event, "schema_version": event.schema_version}
        return data

    @model_validator(mode="after")
    def _type_matches_payload(self) -> Envelope:
        if (self.event_type, self.schema_version) != (
            self.payload.event_type,
            self.payload.schema_version,
        ):
            raise ValueError(
                f"envelope says {self.event_type} v{self.schema_version}, payload is "
                f"{self.payload.event_type} v{self.payload.schema_version}"
            )
        return self

    @field_serializer("occurred_at")
    def _occurred_at_text(self, value: datetime) -> str:
        return format_time(value)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready dict form (the one hashed and stored)."""
        return self.model_dump(mode="json")


def stamp(
    events: Iterable[Event],
    *,
    complaint_id: UUID,
    expected_version: int,
    actor: Actor,
    occurred_at: datetime,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    event_ids: Sequence[UUID] | None = None,
) -> list[Envelope]:
    """Wrap a decision's payloads as the next envelopes of a stream, after `expected_version`.

    `event_ids` gives stable ids (an idempotent command's retry gets the same ones)."""
    correlation = correlation_id or uuid4()
    return [
        Envelope(
            event_id=event_ids[offset - 1] if event_ids else uuid4(),
            event_type=event.event_type,
            schema_version=event.schema_version,
            complaint_id=complaint_id,
            version=expected_version + offset,
            occurred_at=occurred_at,
            actor=actor,
            correlation_id=correlation,
            causation_id=causation_id,
            payload=event,
        )
        for offset, event in enumerate(events, start=1)
    ]


def envelope_from_record(record: dict[str, Any]) -> Envelope:
    """Rebuild an envelope from its stored or transmitted dict form (upcasting old payloads)."""
    return Envelope.model_validate(record)
