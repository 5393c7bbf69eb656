"""Routing HTTP API: the national admin's verification queue and commands; the registry."""

from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from events.base import RegionCode, ShortText, Slug, UtcDatetime
from events.state import Status
from routing import handlers as h
from routing.deps import Deps
from routing.domain import ArchiveReason
from routing.handlers import RoutingDeps, handle
from services.kernel.appeals import AppealOutcome
from services.platform.auth import ADMIN_ONLY, KeyRing
from services.platform.http import AGENCY_CODE, ERROR_SCHEMA, IdempotencyKey

Answer = dict[str, Any]
"""A command's answer: `duplicate` and the complaint's case file."""


class Body(BaseModel):
    """A command body: unknown fields are refused, refused values never echoed."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class VerifyBody(Body):
    """Accept the report; set what the reporter could not know."""

    category: Slug
    title: ShortText | None = None
    region_code: RegionCode | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    tags: list[Slug] = Field(default_factory=list, max_length=20)


class TagsBody(Body):
    """The complaint's priority programmes and strategic issues: the whole set."""

    tags: list[Slug] = Field(max_length=20, description="codes from GET /v1/reports/tags")


class ArchiveBody(Body):
    reason: ArchiveReason
    note: ShortText | None = None


class DeferBody(Body):
    reason: ShortText
    resume_on: date | None = None


class RequestInformationBody(Body):
    question: str = Field(min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")


class DisposeBody(Body):
    agency_code: str = Field(pattern=AGENCY_CODE)


class ExtendBody(Body):
    new_due: UtcDatetime = Field(description="the agency's new follow-up deadline")
    justification: str = Field(min_length=1, max_length=300, pattern=r"^[^\x00]*$")


class AppealDecisionBody(Body):
    outcome: AppealOutcome = Field(
        description="upheld: the closure stands, for good; reopened: a new owner takes it up"
    )
    reason: ShortText
    assign_to: str | None = Field(
        None, pattern=AGENCY_CODE, description="the agency that takes it up again (reopened)"
    )


router = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)
"""The routing routes; every one needs the national admin's key except the registry."""
admin = APIRouter(tags=["national admin"], dependencies=ADMIN_ONLY)
"""What the national admin reads (the verification queue and case files) and decides."""
registry = APIRouter(tags=["registry"])
"""The registry, public: agencies and the responsibility rules."""


def mount(app: FastAPI, deps: RoutingDeps, keyring: KeyRing) -> None:
    """Serve the routing routes on `app`, over `deps`."""
    app.state.routing, app.state.keyring = deps, keyring
    app.include_router(router)


@admin.get("/verification-queue")
async def verification_queue(
    deps: Deps,
    status: Status | None = Query(
        None, description="filed, deferred, verified, awaiting_reporter or escalated"
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    overdue: bool = Query(False, description="only what is past the national admin's own deadline"),
) -> dict[str, Any]:
    """What waits for the national admin, oldest first: new reports to verify, verified
    ones without a clear disposition (or refused twice), and escalations to the top.
    `verify_due` is the national admin's own deadline on each (none while paused)."""
    rows = await handle(h.ListQueue(status, limit, offset, overdue), deps)
    return {"items": rows, "limit": limit, "offset": offset}


@admin.get("/complaints/{complaint_id}")
async def complaint(complaint_id: UUID, deps: Deps) -> dict[str, Any]:
    """One complaint's current state (no personal data)."""
    found: dict[str, Any] = await handle(h.ShowCaseFile(complaint_id), deps)
    return found


ON_ONE = "/complaints/{complaint_id}"


@admin.post(f"{ON_ONE}/verify")
async def verify(
    complaint_id: UUID, body: VerifyBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Verify: set category, title and privacy flags. Disposition follows automatically
    when the rules give a clear answer."""
    fields = body.model_dump() | {"tags": tuple(body.tags)}
    return await _admin(deps, h.Verify, complaint_id, key, **fields)


@admin.post(f"{ON_ONE}/archive")
async def archive(
    complaint_id: UUID, body: ArchiveBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Archive with a reason (spam, too vague, not about public service, duplicate)."""
    return await _admin(deps, h.Archive, complaint_id, key, **body.model_dump())


@admin.post(f"{ON_ONE}/defer")
async def defer(
    complaint_id: UUID, body: DeferBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Put on hold (tunda)."""
    return await _admin(deps, h.Defer, complaint_id, key, **body.model_dump())


@admin.post(f"{ON_ONE}/resume")
async def resume(complaint_id: UUID, deps: Deps, key: IdempotencyKey = None) -> Answer:
    """Back to verification, with a fresh 3-working-day clock."""
    return await _admin(deps, h.Resume, complaint_id, key)


@admin.post(f"{ON_ONE}/request-information")
async def request_information(
    complaint_id: UUID, body: RequestInformationBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Ask the reporter for more; the clocks pause until the answer."""
    return await _admin(deps, h.RequestInformation, complaint_id, key, question=body.question)


@admin.post(f"{ON_ONE}/extend")
async def extend(
    complaint_id: UUID, body: ExtendBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Extend the holding agency's follow-up deadline beyond what the extension rule
    grants on its own (at most LAPOR_MAX_EXTENSIONS of LAPOR_MAX_EXTENSION_WORKING_DAYS)."""
    return await _admin(deps, h.Extend, complaint_id, key, **body.model_dump())


@admin.post(f"{ON_ONE}/confirm-resolution")
async def confirm_resolution(complaint_id: UUID, deps: Deps, key: IdempotencyKey = None) -> Answer:
    """Confirm the agency's proposed resolution on the reporter's behalf (for a reporter
    who cannot: anonymous, without a token); the complaint closes as resolved."""
    return await _admin(deps, h.ConfirmResolution, complaint_id, key)


@admin.post(f"{ON_ONE}/appeal-decision")
async def appeal_decision(
    complaint_id: UUID, body: AppealDecisionBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Decide an appeal the national admin reviews (against a ministry or a province, or
    one a province let lie): uphold the closure, or reopen with a new owner."""
    return await _admin(deps, h.DecideAppeal, complaint_id, key, **body.model_dump())


@admin.post(f"{ON_ONE}/tags")
async def set_tags(
    complaint_id: UUID, body: TagsBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Set the national priority programmes and strategic issues the complaint belongs to
    (the whole set; `[]` clears it); the dashboards filter by them."""
    return await _admin(deps, h.SetTags, complaint_id, key, tags=tuple(body.tags))


@admin.post(f"{ON_ONE}/dispose")
async def dispose(
    complaint_id: UUID, body: DisposeBody, deps: Deps, key: IdempotencyKey = None
) -> Answer:
    """Dispose by hand to an agency (never to one that refused this complaint)."""
    return await _admin(deps, h.Dispose, complaint_id, key, **body.model_dump())


async def _admin(
    deps: RoutingDeps,
    kind: type[h.AdminCommand],
    complaint_id: UUID,
    key: str | None,
    **fields: Any,
) -> Answer:
    """Run one of the national admin's commands on a complaint (a repeated key applies once)."""
    command = kind(complaint_id=complaint_id, idempotency_key=key, **fields)
    answer: Answer = await handle(command, deps)
    return answer


@registry.get("/agencies")
async def agencies(deps: Deps) -> dict[str, Any]:
    """The agency registry: codes, names, kinds, region codes and parents (public)."""
    return {"agencies": [asdict(a) for a in deps.ports.registry]}


@registry.get("/rules")
async def rules(deps: Deps) -> dict[str, Any]:
    """The responsibility rules (category x region -> agency) and categories (public)."""
    found = deps.ports.registry
    return {"categories": sorted(found.categories), "rules": [asdict(r) for r in found.rules]}


# Included last: a router's routes are copied when it is included.
router.include_router(admin)
router.include_router(registry)
