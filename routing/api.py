"""Routing HTTP API: the national admin's verification queue and commands; the registry."""

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from events.base import RegionCode, ShortText, Slug
from events.fold import replay
from events.state import Status
from routing import domain, store
from routing.domain import ArchiveReason
from routing.handlers import Routing
from services.auth import Principal, authenticate, require_admin
from services.case_file import case_file
from services.commands import Decide
from services.decisions import Refused
from services.http import ERROR_SCHEMA

KeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[A-Za-z0-9._:-]{1,128}$")
]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class Verify(Command):
    """Accept the report; set what the reporter could not know."""

    category: Slug
    title: ShortText | None = None
    region_code: RegionCode | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    tags: list[Slug] = Field(default_factory=list, max_length=20)


class Archive(Command):
    reason: ArchiveReason
    note: ShortText | None = None


class Defer(Command):
    reason: ShortText
    resume_on: date | None = None


class RequestInformation(Command):
    question: str = Field(min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")


class Dispose(Command):
    agency_code: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,62}$")


def router(routing: Routing) -> APIRouter:
    """The routing routes; every one needs the national admin's key except the registry."""
    rt = routing.rt
    api = APIRouter(prefix="/v1", responses=ERROR_SCHEMA)

    def admin(request: Request) -> Principal:
        principal = authenticate(rt.keyring, request)
        require_admin(principal)
        return principal

    Admin = Annotated[Principal, Depends(admin)]

    async def run(complaint_id: UUID, decide: Decide, key: str | None) -> dict[str, Any]:
        outcome = await routing.admin_command(complaint_id, decide, key)
        stream = await rt.store.read_stream(complaint_id)
        return {"duplicate": outcome.duplicate, "complaint": case_file(outcome.state, stream)}

    @api.get("/verification-queue", tags=["national admin"])
    async def verification_queue(
        _: Admin,
        status: Status | None = Query(
            None, description="filed, deferred, verified, awaiting_reporter or escalated"
        ),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """What waits for the national admin, oldest first: new reports to verify, verified
        ones without a clear disposition (or refused twice), and escalations to the top."""
        rows = await store.list_queue(
            rt.pool, status=status.value if status else None, limit=limit, offset=offset
        )
        return {"items": rows, "limit": limit, "offset": offset}

    @api.get("/complaints/{complaint_id}", tags=["national admin"])
    async def complaint(complaint_id: UUID, _: Admin) -> dict[str, Any]:
        """One complaint's current state (no personal data)."""
        stream = await rt.store.read_stream(complaint_id)
        if not stream:
            raise Refused("not_found", "no such complaint", status=404)
        return case_file(replay(stream), stream)

    @api.post("/complaints/{complaint_id}/verify", tags=["national admin"])
    async def verify(
        complaint_id: UUID, body: Verify, _: Admin, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Verify: set category, title and privacy flags. Disposition follows automatically
        when the rules give a clear answer."""
        return await run(
            complaint_id,
            lambda s: domain.decide_verify(
                s,
                registry=rt.registry,
                title=body.title,
                category=body.category,
                region_code=body.region_code,
                anonymous=body.anonymous,
                confidential=body.confidential,
                tags=tuple(body.tags),
            ),
            key,
        )

    @api.post("/complaints/{complaint_id}/archive", tags=["national admin"])
    async def archive(
        complaint_id: UUID, body: Archive, _: Admin, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Archive with a reason (spam, too vague, not about public service, duplicate)."""
        return await run(
            complaint_id, lambda s: domain.decide_archive(s, body.reason, body.note), key
        )

    @api.post("/complaints/{complaint_id}/defer", tags=["national admin"])
    async def defer(
        complaint_id: UUID, body: Defer, _: Admin, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Put on hold (tunda)."""
        return await run(
            complaint_id, lambda s: domain.decide_defer(s, body.reason, body.resume_on), key
        )

    @api.post("/complaints/{complaint_id}/resume", tags=["national admin"])
    async def resume(complaint_id: UUID, _: Admin, key: KeyHeader = None) -> dict[str, Any]:
        """Back to verification, with a fresh 3-working-day clock."""
        return await run(
            complaint_id, lambda s: domain.decide_resume(s, rt.clock.now(), rt.policy), key
        )

    @api.post("/complaints/{complaint_id}/request-information", tags=["national admin"])
    async def request_information(
        complaint_id: UUID, body: RequestInformation, _: Admin, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Ask the reporter for more; the clocks pause until the answer."""
        return await run(
            complaint_id, lambda s: domain.decide_request_information(s, body.question), key
        )

    @api.post("/complaints/{complaint_id}/dispose", tags=["national admin"])
    async def dispose(
        complaint_id: UUID, body: Dispose, _: Admin, key: KeyHeader = None
    ) -> dict[str, Any]:
        """Dispose by hand to an agency (never to one that refused this complaint)."""
        return await run(
            complaint_id,
            lambda s: domain.decide_dispose(
                s,
                agency_code=body.agency_code,
                registry=rt.registry,
                now=rt.clock.now(),
                policy=rt.policy,
            ),
            key,
        )

    @api.get("/agencies", tags=["registry"])
    async def agencies() -> dict[str, Any]:
        """The agency registry: codes, names, kinds, region codes and parents (public)."""
        return {"agencies": [_asdict(a) for a in rt.registry]}

    @api.get("/rules", tags=["registry"])
    async def rules() -> dict[str, Any]:
        """The responsibility rules (category x region -> agency) and categories (public)."""
        return {
            "categories": sorted(rt.registry.categories),
            "rules": [_asdict(r) for r in rt.registry.rules],
        }

    return api


def _asdict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
