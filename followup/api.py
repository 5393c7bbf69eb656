"""Followup HTTP API: an agency's queue and replies; the demo clock for the national admin."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from events.messages import AgencyReply
from followup.deps import CaseWorker, Deps, Limits
from followup.handlers import (
    AdvanceClock,
    FollowupDeps,
    ListHeld,
    ReplyAsAgency,
    ShowToAgency,
    handle,
)
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.platform.auth import ADMIN_ONLY, KeyRing, Principal
from services.platform.http import AGENCY_CODE, ERROR_SCHEMA, IdempotencyKey
from services.platform.ratelimit import RateLimits


class Advance(BaseModel):
    """How far to move the platform clock (demo and tests only)."""

    # Strict: `false` is not 0 days (the schema says number and integer, so does the check).
    model_config = ConfigDict(extra="forbid", strict=True)

    days: float = Field(0, ge=0, le=400)
    working_days: int = Field(0, ge=0, le=250, description="counted on the Indonesian calendar")


def unit_of(principal: Principal) -> str | None:
    """The work unit a unit liaison acts for (None for anyone else)."""
    return principal.id if principal.role == "unit" else None


def acting_agency(principal: Principal, agency: str | None, registry: Registry) -> str:
    """The agency a request acts for: its own (a unit's: the agency above it), or (national
    admin) the one it names."""
    if principal.role == "unit":
        return registry.queue_owner(principal.id)
    if not principal.is_admin:
        return principal.id
    if not agency:
        raise invalid("agency_required", "say which agency", "agency")
    return agency


router = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)
"""The followup routes; every one needs an agency's or the national admin's key, except
reading the platform clock."""
agency_routes = APIRouter(
    prefix="/agency",
    tags=["agencies"],
    responses={429: {"description": "too many requests: retry after `Retry-After` seconds"}},
)
"""An agency's queue, case files and replies. Case files (which carry contacts) and replies
count against the caller's key: a leaked key cannot sweep every contact at once."""
clock_routes = APIRouter(prefix="/clock", tags=["clock"])
"""The platform clock: anyone reads it; the national admin moves it (not in production)."""


def mount(app: FastAPI, deps: FollowupDeps, keyring: KeyRing) -> None:
    """Serve the followup routes on `app`, over `deps`."""
    app.state.followup, app.state.keyring = deps, keyring
    app.state.followup_limits = RateLimits(
        {"agency-per-key": deps.ports.settings.agency_rate_per_key}
    )
    app.include_router(router)


@agency_routes.get("/queue")
async def queue(
    principal: CaseWorker,
    deps: Deps,
    agency: str | None = Query(
        None, pattern=AGENCY_CODE, description="national admin only: whose queue"
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """The complaints the calling agency holds now (its work units' included); a unit
    liaison's: those forwarded to its unit."""
    who = acting_agency(principal, agency, deps.ports.registry)
    unit = unit_of(principal)
    items = await handle(ListHeld(who, limit, offset, unit), deps)
    return {"agency": who, "unit": unit, "items": items}


@agency_routes.get("/complaints/{complaint_id}")
async def complaint(
    complaint_id: UUID, principal: CaseWorker, deps: Deps, limits: Limits
) -> dict[str, Any]:
    """The case file of a complaint disposed to the caller (404 for any other). The
    reporter's contact is included only when the complaint is not anonymous."""
    limits.hit("agency-per-key", principal.id)
    agency = None if principal.is_admin else acting_agency(principal, None, deps.ports.registry)
    found: dict[str, Any] = await handle(
        ShowToAgency(agency, complaint_id, unit_of(principal)), deps
    )
    return found


@agency_routes.post("/complaints/{complaint_id}/replies")
async def reply(
    complaint_id: UUID,
    body: AgencyReply,
    principal: CaseWorker,
    deps: Deps,
    limits: Limits,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Acknowledge, forward to a work unit, post a follow-up, propose a resolution, ask the
    reporter, ask for an extension, or refuse ("not our authority"); a reviewing province
    upholds or reopens an appeal (`uphold_closure`, `reopen` with `assign_to`); the
    Ombudsman reports (`interim_findings`, `final_findings` with `outcome`). Only on
    complaints the caller holds; a unit liaison only on those forwarded to its unit, and
    not to forward, refuse or decide."""
    if principal.is_admin:
        raise Refused("forbidden", "agency replies come from agencies", kind=RefusalKind.FORBIDDEN)
    limits.hit("agency-per-key", principal.id)
    agency = acting_agency(principal, None, deps.ports.registry)
    command = ReplyAsAgency(agency, complaint_id, body, key, unit_of(principal))
    outcome = await handle(command, deps)
    if outcome.duplicate:
        return {"duplicate": True}  # nothing about the complaint's state: it may be elsewhere
    return {
        "duplicate": outcome.duplicate,
        "status": outcome.state.status.value,
        "version": outcome.state.version,
        "events": [e.event_type for e in outcome.appended],
    }


@clock_routes.get("")
async def show_clock(deps: Deps) -> dict[str, Any]:
    """The platform time every service uses (real time plus the demo offset)."""
    clock = deps.ports.clock
    now = await clock.refresh(force=True)
    return {"now": now.isoformat(), "offset_seconds": clock.offset.total_seconds()}


@clock_routes.post("/advance", dependencies=ADMIN_ONLY)
async def advance(body: Advance, deps: Deps) -> dict[str, Any]:
    """Move time forward (national admin; development and test only) so that deadlines
    expire now: the deadline scan escalates and closes what is due."""
    new_now = await handle(AdvanceClock(body.days, body.working_days), deps)
    return {"now": new_now.isoformat(), "offset_seconds": deps.ports.clock.offset.total_seconds()}


# Included last: a router's routes are copied when it is included.
router.include_router(agency_routes)
router.include_router(clock_routes)
