"""Reporting use cases: apply batches of complaint events to the read models, rebuild them,
and the auditor's timeline."""

from __future__ import annotations

from typing import Any

import asyncpg

from events.base import format_time
from reporting import store
from services.batch_consumer import Batch
from services.eventstore import EventStore
from services.workdays import WorkingCalendar


def consumer_name(prefix: str) -> str:
    """The reporting consumer's group and checkpoint name."""
    return f"{prefix}-reporting"


class Projector:
    """Applies batches of events to the read models."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    async def apply(self, batch: Batch, conn: asyncpg.Connection) -> None:
        """The batch handler of the live consumer: the touched complaints' rows from their
        whole streams."""
        await store.apply_batch(conn, batch.streams, self.calendar)


async def timeline(event_store: EventStore, tracking_id: str) -> list[dict[str, Any]] | None:
    """Every event of a complaint: what, who, when, with the full payload (auditors only)."""
    complaint_id = await event_store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        return None
    return [
        {
            "version": e.version,
            "occurred_at": format_time(e.occurred_at),
            "event_type": e.event_type,
            "schema_version": e.schema_version,
            "actor": {"role": e.actor.role, "id": e.actor.id},
            "event_id": str(e.event_id),
            "causation_id": str(e.causation_id) if e.causation_id else None,
            "payload": e.payload.model_dump(mode="json"),
        }
        for e in await event_store.read_stream(complaint_id)
    ]
