"""Reporting use cases over the ports: the dashboards' queries, the auditor's timeline
(COMMAND_HANDLERS), and projecting batches of complaint events into the read models
(EVENT_HANDLERS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from events.base import format_time
from events.catalog import ALL_EVENT_TYPES
from events.envelope import Envelope
from services.kernel.refusals import RefusalKind, Refused
from services.platform.batch_consumer import Batch
from services.platform.dispatch import Handler, dispatch
from services.platform.ports import EventStore, Ports, Transaction


class ReadModels(Protocol):
    """The read models (`reporting.store`: PostgreSQL; `reporting.memory`: in memory)."""

    async def apply(self, tx: Transaction, streams: dict[UUID, list[Envelope]]) -> None:
        """Recompute the rows of the touched complaints."""
        ...

    async def complaints(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """How many rows match, and one page of them."""
        ...

    async def agency_performance(self, now: datetime) -> list[dict[str, Any]]:
        """Per-agency performance as of `now`."""
        ...

    async def region_rollup(self, now: datetime) -> list[dict[str, Any]]:
        """Per-province rollup as of `now`."""
        ...

    async def digests(self) -> dict[str, dict[str, Any]]:
        """Row count and digest per table."""
        ...


@dataclass
class ReportingDeps:
    """What reporting's handlers run over."""

    ports: Ports
    read_models: ReadModels


def consumer_name(prefix: str) -> str:
    """The reporting consumer's group and checkpoint name."""
    return f"{prefix}-reporting"


@dataclass(frozen=True)
class AgencyReport:
    """Per agency: received, open, overdue now, resolved, escalations, refusals, follow-up."""


@dataclass(frozen=True)
class RegionReport:
    """Per province: filed, open, overdue now, resolved, closed, archived, escalated."""


@dataclass(frozen=True)
class ListComplaints:
    """One page of the complaints read model."""

    agencies: tuple[str, ...] | None = None  # None: every agency
    status: str | None = None
    province: str | None = None
    channel: str | None = None
    limit: int = 100
    offset: int = 0
    source: str | None = None  # a connected system's code: only what it imported


@dataclass(frozen=True)
class Digests:
    """Row count and digest of each read model."""


@dataclass(frozen=True)
class Timeline:
    """Every event of one complaint (auditors)."""

    tracking_id: str


async def agency_report(cmd: AgencyReport, deps: ReportingDeps) -> dict[str, Any]:
    """The agencies dashboard, as of the platform time."""
    now = await deps.ports.clock.refresh()
    rows = await deps.read_models.agency_performance(now)
    return {"as_of": now.isoformat(), "agencies": rows}


async def region_report(cmd: RegionReport, deps: ReportingDeps) -> dict[str, Any]:
    """The regions dashboard, as of the platform time."""
    now = await deps.ports.clock.refresh()
    return {"as_of": now.isoformat(), "regions": await deps.read_models.region_rollup(now)}


async def list_complaints(cmd: ListComplaints, deps: ReportingDeps) -> dict[str, Any]:
    """Complaints with their current status, newest first."""
    total, rows = await deps.read_models.complaints(
        agencies=None if cmd.agencies is None else list(cmd.agencies),
        status=cmd.status,
        province=cmd.province,
        channel=cmd.channel,
        limit=cmd.limit,
        offset=cmd.offset,
        source=cmd.source,
    )
    return {"total": total, "items": rows, "limit": cmd.limit, "offset": cmd.offset}


async def read_digests(cmd: Digests, deps: ReportingDeps) -> dict[str, dict[str, Any]]:
    """Row count and digest of each read model (compare with a rebuild's)."""
    return await deps.read_models.digests()


async def timeline(cmd: Timeline, deps: ReportingDeps) -> list[dict[str, Any]]:
    """Every event of a complaint: what, who, when, with the full payload (auditors only)."""
    return await timeline_of(deps.ports.store, cmd.tracking_id)


async def timeline_of(store: EventStore, tracking_id: str) -> list[dict[str, Any]]:
    """The auditor's timeline straight from an event store (the API and the CLI both)."""
    complaint_id = await store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        raise Refused("not_found", "no complaint with this tracking id", kind=RefusalKind.NOT_FOUND)
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
        for e in await store.read_stream(complaint_id)
    ]


COMMAND_HANDLERS: dict[type, Handler[ReportingDeps]] = {
    AgencyReport: agency_report,
    RegionReport: region_report,
    ListComplaints: list_complaints,
    Digests: read_digests,
    Timeline: timeline,
}
"""Every reporting query, by its command."""


async def handle(command: object, deps: ReportingDeps) -> Any:
    """Run one of reporting's queries."""
    return await dispatch(COMMAND_HANDLERS, command, deps)


async def project_streams(
    streams: dict[UUID, list[Envelope]], tx: Transaction, deps: ReportingDeps
) -> None:
    """Whatever the event, the touched complaints' rows are recomputed from their whole
    streams, with the same pure projection as a rebuild."""
    await deps.read_models.apply(tx, streams)


EVENT_HANDLERS = dict.fromkeys(ALL_EVENT_TYPES, project_streams)
"""Reporting projects every event type the same way (see `reporting.projection`)."""


async def on_batch(batch: Batch, tx: Transaction, deps: ReportingDeps) -> None:
    """The live consumer's batch handler."""
    await project_streams(batch.streams, tx, deps)
