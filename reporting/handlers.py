"""Reporting use cases over the ports: the dashboards' queries, the auditor's timeline
(COMMAND_HANDLERS), and projecting batches of complaint events into the read models
(EVENT_HANDLERS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from events.base import format_time
from events.catalog import ALL_EVENT_TYPES
from events.envelope import Envelope
from reporting import dashboards, open_data
from reporting.as_of import complaint_as_of, dashboards_as_of
from reporting.dashboards import Drilldown, Overview, Performance
from services.kernel.refusals import RefusalKind, Refused
from services.platform.batch_consumer import Batch
from services.platform.dispatch import Handler, dispatch
from services.platform.ports import AuditedEvent, EventStore, Ports, Transaction
from services.platform.settings import KeyHolder


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

    async def group_counts(self, now: datetime, **query: Any) -> list[dict[str, Any]]:
        """Per group (`by`: province, agency, unit or None for all), the counts the
        performance index is made of; `province`, `agency`, `unit` narrow them."""
        ...

    async def trends(
        self, period: str, since: datetime, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Filed and resolved per `period` (week or month), from `since` on (with `tag`)."""
        ...

    async def publishable(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """The rows open data may show (neither confidential nor anonymous), one page:
        `limit`, `offset`, and optionally `category`, `province`, `status`."""
        ...

    async def status_counts(self, column: str) -> list[tuple[str, str, int]]:
        """(value of `column`, status, complaints) over every complaint."""
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
    unit: str | None = None
    overdue_at: datetime | None = None  # only those past a deadline at this instant
    tag: str | None = None  # a priority programme or strategic issue


@dataclass(frozen=True)
class Digests:
    """Row count and digest of each read model."""


@dataclass(frozen=True)
class Timeline:
    """Every event of one complaint (auditors)."""

    tracking_id: str


@dataclass(frozen=True)
class ComplaintAsOf:
    """One complaint's state at a past instant (auditors)."""

    tracking_id: str
    at: datetime


@dataclass(frozen=True)
class DashboardsAsOf:
    """The dashboards at a past instant (auditors)."""

    at: datetime


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
        unit=cmd.unit,
        overdue_at=cmd.overdue_at,
        tag=cmd.tag,
    )
    return {"total": total, "items": rows, "limit": cmd.limit, "offset": cmd.offset}


async def read_digests(cmd: Digests, deps: ReportingDeps) -> dict[str, dict[str, Any]]:
    """Row count and digest of each read model (compare with a rebuild's)."""
    return await deps.read_models.digests()


async def timeline(cmd: Timeline, deps: ReportingDeps) -> list[dict[str, Any]]:
    """Every event of a complaint: what, who, when, with the full payload (auditors only)."""
    return await timeline_of(deps.ports.store, cmd.tracking_id, deps.ports.settings.holders)


async def timeline_of(
    store: EventStore, tracking_id: str, holders: Mapping[str, list[KeyHolder]] | None = None
) -> list[dict[str, Any]]:
    """The auditor's timeline straight from an event store (the API and the CLI both): each
    event with when it happened and when it was recorded, its place in the log, its chain hash,
    and the named person who held the actor's key then (where known)."""
    complaint_id = await store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        raise Refused("not_found", "no complaint with this tracking id", kind=RefusalKind.NOT_FOUND)
    audited = await store.audited_stream(complaint_id)
    return [_timeline_entry(event, holders or {}) for event in audited]


def _timeline_entry(audited: AuditedEvent, holders: Mapping[str, list[KeyHolder]]) -> dict:
    e = audited.envelope
    return {
        "version": e.version,
        "occurred_at": format_time(e.occurred_at),
        "recorded_at": format_time(audited.recorded_at),
        "global_position": audited.global_position,
        "hash": audited.hash,
        "event_type": e.event_type,
        "schema_version": e.schema_version,
        "actor": {
            "role": e.actor.role,
            "id": e.actor.id,
            "person": holder_at(holders, f"{e.actor.role}:{e.actor.id}", e.occurred_at),
        },
        "event_id": str(e.event_id),
        "causation_id": str(e.causation_id) if e.causation_id else None,
        "payload": e.payload.model_dump(mode="json"),
    }


def holder_at(holders: Mapping[str, list[KeyHolder]], key: str, at: datetime) -> str | None:
    """The person who held `key` at `at`: the latest holder whose `since` is not after it."""
    held = [h for h in holders.get(key, []) if h.since <= at]
    return max(held, key=lambda h: h.since).person if held else None


async def complaint_then(cmd: ComplaintAsOf, deps: ReportingDeps) -> dict[str, Any]:
    """One complaint as it stood at an instant."""
    return await complaint_as_of(deps.ports.store, cmd.tracking_id, cmd.at)


async def dashboards_then(cmd: DashboardsAsOf, deps: ReportingDeps) -> dict[str, Any]:
    """The dashboards as they read at an instant, rebuilt from the log."""
    ports = deps.ports
    return await dashboards_as_of(
        ports.store, ports.policy.calendar, cmd.at, ports.settings, ports.registry
    )


async def overview(cmd: Overview, deps: ReportingDeps) -> dict[str, Any]:
    """The national overview and its trends."""
    now = await deps.ports.clock.refresh()
    return await dashboards.overview(deps.ports.settings, deps.read_models, now, cmd.tag)


async def performance(cmd: Performance, deps: ReportingDeps) -> dict[str, Any]:
    """The performance index per agency or province, ranked."""
    ports = deps.ports
    now = await ports.clock.refresh()
    return await dashboards.performance(
        ports.settings, ports.registry, deps.read_models, cmd.by, now, cmd.tag
    )


async def drilldown(cmd: Drilldown, deps: ReportingDeps) -> dict[str, Any]:
    """One level of the drill-down."""
    ports = deps.ports
    now = await ports.clock.refresh()
    return await dashboards.drilldown(ports.settings, ports.registry, deps.read_models, cmd, now)


@dataclass(frozen=True)
class OpenComplaints:
    """One page of the open complaints (anyone)."""

    limit: int = 100
    offset: int = 0
    category: str | None = None
    province: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class OpenTimeline:
    """One open complaint's public steps (anyone)."""

    tracking_id: str


@dataclass(frozen=True)
class OpenAggregates:
    """Counts of every complaint by a dimension and status, small cells withheld (anyone)."""

    dimension: str


@dataclass(frozen=True)
class ExportOpenData:
    """Write today's open-data package; answers with its folder."""


def _zone(deps: ReportingDeps) -> Any:
    return deps.ports.policy.calendar.zone


async def open_page(cmd: OpenComplaints, deps: ReportingDeps) -> dict[str, Any]:
    """The open rows: codes, statuses and days of complaints neither confidential nor
    anonymous."""
    filters = {"category": cmd.category, "province": cmd.province, "status": cmd.status}
    total, rows = await open_data.open_complaints(
        deps.read_models, _zone(deps), limit=cmd.limit, offset=cmd.offset, **filters
    )
    return {"total": total, "items": rows, "limit": cmd.limit, "offset": cmd.offset}


async def open_timeline(cmd: OpenTimeline, deps: ReportingDeps) -> dict[str, Any]:
    """An open complaint's public steps."""
    steps = await open_data.timeline_of(deps.ports.store, cmd.tracking_id, _zone(deps))
    return {"tracking_id": cmd.tracking_id, "steps": steps}


async def open_aggregates(cmd: OpenAggregates, deps: ReportingDeps) -> dict[str, Any]:
    """Counts by dimension and status, with the small cells withheld."""
    min_cell = deps.ports.settings.open_data_min_cell
    rows = await open_data.aggregates(deps.read_models, cmd.dimension, min_cell)
    return {"dimension": cmd.dimension, "min_cell": min_cell, "rows": rows}


async def export_open_data(cmd: ExportOpenData, deps: ReportingDeps) -> Path:
    """Today's package under `<var dir>/open-data/<day>/`, `latest` pointing at it."""
    ports = deps.ports
    now = await ports.clock.refresh()
    out = open_data.package_root(ports.settings.var_dir)
    return await open_data.export(
        deps.read_models, ports.store, _zone(deps), out, ports.settings.open_data_min_cell, now
    )


COMMAND_HANDLERS: dict[type, Handler[ReportingDeps]] = {
    AgencyReport: agency_report,
    RegionReport: region_report,
    ListComplaints: list_complaints,
    Digests: read_digests,
    Timeline: timeline,
    ComplaintAsOf: complaint_then,
    DashboardsAsOf: dashboards_then,
    Overview: overview,
    Performance: performance,
    Drilldown: drilldown,
    OpenComplaints: open_page,
    OpenTimeline: open_timeline,
    OpenAggregates: open_aggregates,
    ExportOpenData: export_open_data,
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
