"""Reporting use cases over the ports: the dashboards' queries and open data
(COMMAND_HANDLERS, with the auditor's from `reporting.audit`), and projecting batches of
complaint events into the read models (EVENT_HANDLERS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from events.catalog import ALL_EVENT_TYPES
from events.envelope import Envelope
from reporting import dashboards, open_data
from reporting.audit import AUDIT_HANDLERS
from reporting.dashboards import Drilldown, Overview, Performance
from reporting.ports import ReportingDeps
from services.platform.batch_consumer import Batch
from services.platform.dispatch import Handler, dispatcher
from services.platform.ports import Transaction


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


async def overview(cmd: Overview, deps: ReportingDeps) -> dict[str, Any]:
    """The national overview and its trends."""
    now = await deps.ports.clock.refresh()
    return await dashboards.overview(deps.scoring, deps.read_models, now, cmd.tag)


async def performance(cmd: Performance, deps: ReportingDeps) -> dict[str, Any]:
    """The performance index per agency or province, ranked."""
    ports = deps.ports
    now = await ports.clock.refresh()
    return await dashboards.performance(
        deps.scoring, ports.registry, deps.read_models, cmd.by, now, cmd.tag
    )


async def drilldown(cmd: Drilldown, deps: ReportingDeps) -> dict[str, Any]:
    """One level of the drill-down."""
    ports = deps.ports
    now = await ports.clock.refresh()
    return await dashboards.drilldown(deps.scoring, ports.registry, deps.read_models, cmd, now)


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
    min_cell = deps.settings.open_data_min_cell
    rows = await open_data.aggregates(deps.read_models, cmd.dimension, min_cell)
    return {"dimension": cmd.dimension, "min_cell": min_cell, "rows": rows}


async def export_open_data(cmd: ExportOpenData, deps: ReportingDeps) -> Path:
    """Today's package under `<var dir>/open-data/<day>/`, `latest` pointing at it."""
    ports = deps.ports
    now = await ports.clock.refresh()
    out = open_data.package_root(ports.settings.var_dir)
    return await open_data.export(
        deps.read_models, ports.store, _zone(deps), out, deps.settings.open_data_min_cell, now
    )


COMMAND_HANDLERS: dict[type, Handler[ReportingDeps]] = {
    AgencyReport: agency_report,
    RegionReport: region_report,
    ListComplaints: list_complaints,
    Digests: read_digests,
    **AUDIT_HANDLERS,
    Overview: overview,
    Performance: performance,
    Drilldown: drilldown,
    OpenComplaints: open_page,
    OpenTimeline: open_timeline,
    OpenAggregates: open_aggregates,
    ExportOpenData: export_open_data,
}
"""Every reporting query, by its command."""


handle = dispatcher(COMMAND_HANDLERS)
"""Run one of reporting's queries."""


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
