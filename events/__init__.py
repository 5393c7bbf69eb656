"""The published event contract: envelope, event types, registry, upcasters, binding and fold."""

from events.base import ComplaintKind, DeadlineKind, Event, Tier
from events.catalog import *  # noqa: F403 - the catalogue is the contract
from events.catalog import ALL_EVENT_TYPES
from events.envelope import Actor, Envelope, envelope_from_record, stamp
from events.fold import evolve, replay
from events.registry import InvalidPayload, UnknownEventType, event_class, load_payload
from events.state import ComplaintState, Status

__all__ = [
    "ALL_EVENT_TYPES",
    "Actor",
    "ComplaintKind",
    "ComplaintState",
    "DeadlineKind",
    "Envelope",
    "Event",
    "InvalidPayload",
    "Status",
    "Tier",
    "UnknownEventType",
    "envelope_from_record",
    "event_class",
    "evolve",
    "load_payload",
    "replay",
    "stamp",
]
