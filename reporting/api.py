"""Reporting JSON API: dashboards over the read models, and the auditor's timeline."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query

from events.state import Status
from reporting import checkpoints_api
from reporting.audit import ComplaintAsOf, DashboardsAsOf, Timeline
from reporting.dashboards import Drilldown, Overview, Performance
from reporting.deps import Deps, RowReader, TimelineReader
from reporting.handlers import AgencyReport, Digests, ListComplaints, RegionReport, handle
from reporting.ports import ReportingDeps
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.kernel.tags import tag_catalogue
from services.platform.auth import Auditor, KeyRing, Principal
from services.platform.http import AGENCY_CODE, ERROR_SCHEMA, TRACKING_ID

router = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)
"""The reporting routes: aggregates are public; complaint rows need a key (an agency sees its
own, a province its regencies' and cities' too, the national readers all); digests need the
national admin's or an auditor's, timelines also an oversight body's."""
dashboards = APIRouter(tags=["dashboards"])
"""Aggregates (public) and complaint rows (an agency sees its own)."""
audit = APIRouter(tags=["audit"])
"""What the national admin and auditors read: digests and timelines (oversight bodies read
timelines too)."""
as_of = APIRouter(prefix="/audit", tags=["audit"])
"""Any past instant, rebuilt from the log (the national admin and auditors)."""


def mount(app: FastAPI, deps: ReportingDeps, keyring: KeyRing) -> None:
    """Serve the reporting routes on `app`, over `deps`."""
    app.state.reporting, app.state.keyring = deps, keyring
    app.include_router(router)
    app.include_router(checkpoints_api.router)


def readable_agencies(principal: Principal, registry: Registry) -> tuple[str, ...] | None:
    """Whose complaint rows a caller reads: every agency's (None) for the national admin,
    oversight and auditors; a province's own and everything under it; an agency's own (and
    its work units')."""
    if principal.is_admin or principal.role in ("oversight", "auditor"):
        return None
    return tuple(registry.with_descendants(principal.id))


TAG = Query(
    None,
    pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
    description="only the complaints with this priority programme or strategic issue tag",
)


INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
"""An ISO 8601 instant with its offset (no bare dates, no epoch numbers)."""


def instant(text: str) -> datetime:
    """The `at` parameter as an aware datetime (422 naming `at` when it is no real instant)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise invalid("invalid_instant", f"{text!r} is not an instant", "at") from None


@dashboards.get("/reports/agencies")
async def agencies(deps: Deps) -> dict[str, Any]:
    """Per agency: received, open, overdue now, resolved, escalations, refusals, and the
    median working days from disposition to first follow-up."""
    report: dict[str, Any] = await handle(AgencyReport(), deps)
    return report


@dashboards.get("/reports/regions")
async def regions(deps: Deps) -> dict[str, Any]:
    """Per province: filed, open, overdue now, resolved, closed, archived, escalated."""
    report: dict[str, Any] = await handle(RegionReport(), deps)
    return report


@dashboards.get("/reports/tags")
async def tags() -> dict[str, Any]:
    """The national priority programmes and strategic issues complaints are tagged with
    (by the national admin: routing `POST /v1/complaints/{id}/tags`)."""
    return {"tags": [{"code": code} | tag for code, tag in tag_catalogue().items()]}


@dashboards.get("/reports/overview")
async def overview(deps: Deps, tag: str | None = TAG) -> dict[str, Any]:
    """The national overview: filed, open, overdue, resolved, median working days to
    first follow-up, the share resolved within the deadline, satisfaction, and filed and
    resolved per week and per month (the dashboard page's first view)."""
    found: dict[str, Any] = await handle(Overview(tag), deps)
    return found


@dashboards.get("/reports/performance")
async def performance(
    deps: Deps,
    by: str = Query("agency", pattern="^(agency|province)$"),
    tag: str | None = TAG,
) -> dict[str, Any]:
    """The performance index (0-100) and grade (Baik, Sedang, Kurang) of every agency or
    province, best first, with its components and the formula in force."""
    found: dict[str, Any] = await handle(Performance(by, tag), deps)
    return found


@dashboards.get("/reports/drilldown")
async def drilldown(
    deps: Deps,
    province: str | None = Query(None, pattern=r"^(\d{2}|unknown)$"),
    agency: str | None = Query(None, pattern=AGENCY_CODE),
    unit: str | None = Query(None, pattern=AGENCY_CODE),
    tag: str | None = TAG,
) -> dict[str, Any]:
    """One level of the drill-down (national, a province, an agency in it, a work unit):
    its totals and index, and each group one level down."""
    found: dict[str, Any] = await handle(Drilldown(province, agency, unit, tag), deps)
    return found


@dashboards.get("/reports/complaints")
async def complaints(
    deps: Deps,
    principal: RowReader,
    status: Status | None = None,
    agency: str | None = Query(
        None,
        pattern=AGENCY_CODE,
        description="one agency's rows: any for the national readers; a province its own "
        "or one under it; an agency its own",
    ),
    province: str | None = Query(None, pattern=r"^(\d{2}|unknown)$"),
    channel: str | None = Query(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    source: str | None = Query(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="only complaints imported from this connected system",
    ),
    unit: str | None = Query(None, pattern=AGENCY_CODE, description="one work unit's"),
    overdue: bool = Query(False, description="only those past a deadline now"),
    tag: str | None = TAG,
) -> dict[str, Any]:
    """Complaints with their current status (newest first); imported ones carry the
    connected system they came from (`source_system`)."""
    readable = readable_agencies(principal, deps.ports.registry)
    if agency is not None and readable is not None and agency not in readable:
        raise Refused(
            "forbidden",
            "an agency sees only its own complaints (a province: also those under it)",
            field="agency",
            kind=RefusalKind.FORBIDDEN,
        )
    agencies = (agency,) if agency is not None else readable
    overdue_at = await deps.ports.clock.refresh() if overdue else None
    query = ListComplaints(
        agencies,
        status.value if status else None,
        province,
        channel,
        limit,
        offset,
        source,
        unit,
        overdue_at,
        tag,
    )
    page: dict[str, Any] = await handle(query, deps)
    return page


@audit.get("/reports/digests")
async def digests(deps: Deps, _: Auditor) -> dict[str, Any]:
    """Row count and digest of each read model (compare with `python -m services rebuild`)."""
    found: dict[str, Any] = await handle(Digests(), deps)
    return found


@audit.get("/audit/timeline/{tracking_id}")
async def audit_timeline(
    deps: Deps,
    tracking_id: Annotated[str, Path(pattern=TRACKING_ID)],
    _: TimelineReader,
) -> dict[str, Any]:
    """Every event of a complaint: what, who, when (the national admin, oversight bodies
    and auditors; no reporter's contact is in it)."""
    return {"tracking_id": tracking_id, "events": await handle(Timeline(tracking_id), deps)}


AT = Query(
    description="the instant, ISO 8601 with its offset (e.g. 2026-03-01T00:00Z)",
    pattern=INSTANT,
    max_length=40,
)


@as_of.get("/complaints/{tracking_id}")
async def complaint_then(
    deps: Deps,
    tracking_id: Annotated[str, Path(pattern=TRACKING_ID)],
    _: Auditor,
    at: str = AT,
) -> dict[str, Any]:
    """The complaint's state as it stood at `at`: the fold of the events that had happened
    by then (404 if it had not been filed yet). No reporter's contact."""
    found: dict[str, Any] = await handle(ComplaintAsOf(tracking_id, instant(at)), deps)
    return found


@as_of.get("/dashboards")
async def dashboards_then(deps: Deps, _: Auditor, at: str = AT) -> dict[str, Any]:
    """The agencies' and regions' dashboards and the counts by status as they read at `at`,
    rebuilt from the log up to that instant (it reads the whole log: minutes on millions
    of events)."""
    found: dict[str, Any] = await handle(DashboardsAsOf(instant(at)), deps)
    return found


# Included last: a router's routes are copied when it is included.
router.include_router(dashboards)
router.include_router(audit)
router.include_router(as_of)
