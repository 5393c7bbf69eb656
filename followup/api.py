"""Followup HTTP API: an agency's queue and replies; the demo clock for the national admin."""

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from followup import store
from followup.handlers import AgencyReply, Followup
from services.auth import Principal, authenticate, require_admin
from services.clock import advance_clock
from services.decisions import Refused
from services.http import AGENCY_CODE, ERROR_SCHEMA

KeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[A-Za-z0-9._:-]{1,128}$")
]


class Advance(BaseModel):
    """How far to move the platform clock (demo and tests only)."""

    model_config = ConfigDict(extra="forbid")

    days: float = Field(0, ge=0, le=400)
    working_days: int = Field(0, ge=0, le=250, description="counted on the Indonesian calendar")


def router(followup: Followup) -> APIRouter:
    """The followup routes; every one needs an agency's or the national admin's key."""
    rt = followup.rt
    api = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)

    def caller(request: Request) -> Principal:
        return authenticate(rt.keyring, request)

    Caller = Annotated[Principal, Depends(caller)]

    def acting_agency(principal: Principal, agency: str | None) -> str:
        if principal.is_admin:
            if not agency:
                raise Refused("agency_required", "say which agency", field="agency", status=422)
            return agency
        return principal.id

    @api.get("/agency/queue", tags=["agencies"])
    async def queue(
        principal: Caller,
        agency: str | None = Query(
            None, pattern=AGENCY_CODE, description="national admin only: whose queue"
        ),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """The complaints the calling agency holds now (its work units' included)."""
        who = acting_agency(principal, agency)
        return {"agency": who, "items": await store.held_by(rt.pool, who, limit, offset)}

    @api.get("/agency/complaints/{complaint_id}", tags=["agencies"])
    async def complaint(complaint_id: UUID, principal: Caller) -> dict[str, Any]:
        """The case file of a complaint disposed to the caller (404 for any other). The
        reporter's contact is included only when the complaint is not anonymous."""
        return await followup.agency_view(
            None if principal.is_admin else principal.id, complaint_id
        )

    @api.post("/agency/complaints/{complaint_id}/replies", tags=["agencies"])
    async def reply(
        complaint_id: UUID, body: AgencyReply, principal: Caller, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Acknowledge, forward to a work unit, post a follow-up, propose a resolution, or
        refuse ("not our authority"). Only on complaints disposed to the caller."""
        if principal.is_admin:
            raise Refused("forbidden", "agency replies come from agencies", status=403)
        outcome = await followup.agency_reply(principal.id, complaint_id, body, key)
        if outcome.duplicate:
            return {"duplicate": True}  # nothing about the complaint's state: it may be elsewhere
        return {
            "duplicate": outcome.duplicate,
            "status": outcome.state.status.value,
            "version": outcome.state.version,
            "events": [e.event_type for e in outcome.appended],
        }

    @api.get("/clock", tags=["clock"])
    async def clock() -> dict[str, Any]:
        """The platform time every service uses (real time plus the demo offset)."""
        now = await rt.clock.refresh(force=True)
        return {"now": now.isoformat(), "offset_seconds": rt.clock.offset.total_seconds()}

    @api.post("/clock/advance", tags=["clock"])
    async def advance(body: Advance, principal: Caller) -> dict[str, Any]:
        """Move time forward (national admin; development and test only) so that deadlines
        expire now: the deadline scan escalates and closes what is due."""
        require_admin(principal)
        if not rt.settings.adjustable_clock:
            raise Refused("clock_fixed", "the clock is not adjustable here", status=403)
        now = await rt.clock.refresh(force=True)
        target = now + timedelta(days=body.days)
        if body.working_days:
            target = rt.policy.calendar.add_working_days(target, body.working_days)
        new_now = await advance_clock(rt.pool, target - now)
        await rt.clock.refresh(force=True)
        return {"now": new_now.isoformat(), "offset_seconds": rt.clock.offset.total_seconds()}

    return api
