"""The registry from (event_type, schema_version) to payload class, with upcasting on load."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from events.base import Event
from events.catalog import ALL_EVENT_TYPES
from events.upcasters import UPCASTERS


class UnknownEventType(LookupError):
    """An event type or schema version this code does not know."""


class InvalidPayload(ValueError):
    """A payload that does not match its declared event type."""


CURRENT: dict[str, type[Event]] = {cls.event_type: cls for cls in ALL_EVENT_TYPES}
"""event_type -> the class of its current schema version."""


def event_class(event_type: str) -> type[Event]:
    """The current class for an event type, or UnknownEventType."""
    try:
        return CURRENT[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def upcast(event_type: str, schema_version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Lift a stored payload from its schema version to the current one."""
    target = event_class(event_type).schema_version
    if schema_version > target or schema_version < 1:
        raise UnknownEventType(
            f"{event_type!r} schema version {schema_version} is not known (current {target})"
        )
    data = dict(payload)
    for version in range(schema_version, target):
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnknownEventType(f"no upcaster for {event_type!r} v{version}")
        data = step(data)
    return data


def load_payload(event_type: str, schema_version: int, payload: dict[str, Any]) -> Event:
    """Build the current payload object from a stored or received (type, version, payload)."""
    cls = event_class(event_type)
    try:
        return cls.model_validate(upcast(event_type, schema_version, payload))
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type} v{schema_version}: {exc}") from exc
