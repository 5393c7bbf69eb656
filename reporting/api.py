"""Reporting JSON API: dashboards over the read models, and the auditor's timeline."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from events.state import Status
from reporting import store
from reporting.handlers import timeline
from services.auth import Principal, authenticate, require_admin
from services.decisions import Refused
from services.http import AGENCY_CODE, ERROR_SCHEMA, TRACKING_ID
from services.runtime import Runtime


def router(rt: Runtime) -> APIRouter:
    """The reporting routes: aggregates are public; complaint rows need a key (an agency sees
    its own), digests and timelines need the national admin's."""
    api = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)

    def caller(request: Request) -> Principal:
        return authenticate(rt.keyring, request)

    Caller = Annotated[Principal, Depends(caller)]

    @api.get("/reports/agencies", tags=["dashboards"])
    async def agencies() -> dict[str, Any]:
        """Per agency: received, open, overdue now, resolved, escalations, refusals, and the
        median working days from disposition to first follow-up."""
        now = await rt.clock.refresh()
        return {"as_of": now.isoformat(), "agencies": await store.agency_performance(rt.pool, now)}

    @api.get("/reports/regions", tags=["dashboards"])
    async def regions() -> dict[str, Any]:
        """Per province: filed, open, overdue now, resolved, closed, archived, escalated."""
        now = await rt.clock.refresh()
        return {"as_of": now.isoformat(), "regions": await store.region_rollup(rt.pool, now)}

    @api.get("/reports/complaints", tags=["dashboards"])
    async def complaints(
        principal: Caller,
        status: Status | None = None,
        agency: str | None = Query(
            None,
            pattern=AGENCY_CODE,
            description="national admin only; agencies see their own",
        ),
        province: str | None = Query(None, pattern=r"^(\d{2}|unknown)$"),
        channel: str | None = Query(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """Complaints with their current status (newest first)."""
        if not principal.is_admin:
            if agency not in (None, principal.id):
                raise Refused("forbidden", "an agency sees only its own complaints", status=403)
            agency = principal.id
        total, rows = await store.complaints(
            rt.pool,
            agency=agency,
            status=status.value if status else None,
            province=province,
            channel=channel,
            limit=limit,
            offset=offset,
        )
        return {"total": total, "items": rows, "limit": limit, "offset": offset}

    @api.get("/reports/digests", tags=["audit"])
    async def digests(principal: Caller) -> dict[str, Any]:
        """Row count and digest of each read model (compare with `python -m reporting rebuild`)."""
        require_admin(principal)
        return await store.digests(rt.pool)

    @api.get("/audit/timeline/{tracking_id}", tags=["audit"])
    async def audit_timeline(
        tracking_id: Annotated[str, Path(pattern=TRACKING_ID)], principal: Caller
    ) -> dict[str, Any]:
        """Every event of a complaint: what, who, when (the national admin and auditors)."""
        require_admin(principal)
        events = await timeline(rt.store, tracking_id)
        if events is None:
            raise Refused("not_found", "no complaint with this tracking id", status=404)
        return {"tracking_id": tracking_id, "events": events}

    return api
