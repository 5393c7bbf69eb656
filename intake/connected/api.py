"""Connected systems' HTTP API on intake: the national admin registers, rotates and suspends
them; a system (with its own key) imports its complaints in bulk and reads what was refused."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from events.base import AgencyCode, ImportStep, ShortText, Slug
from events.messages import ImportBatch, StatusUpdates
from intake.connected.deps import CallingSystem, Deps
from intake.connected.handlers import (
    ApplyStatusUpdates,
    ConnectedDeps,
    ImportComplaints,
    ListRejections,
    RegisterSystem,
    ReplayForSystem,
    RotateSystemKey,
    SetSystemActive,
    ShowSystems,
    handle,
)
from intake.connected.reconciling import LastReconciliation, Reconcile, ShowHealth
from services.platform.auth import ADMIN_ONLY, KeyRing
from services.platform.http import ERROR_SCHEMA, LIMITED
from services.platform.ratelimit import RateLimits


class Registration(BaseModel):
    """A connected system: its code, name, the agencies it speaks for, and what each of its
    status words means nationally."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    code: Slug
    name: ShortText
    agencies: list[AgencyCode] = Field(min_length=1, max_length=200)
    status_map: dict[ShortText, ImportStep] = Field(
        min_length=1,
        max_length=100,
        description="the system's status word -> filed, in_progress, follow_up, resolved, "
        'closed or rejected (e.g. {"diterima": "filed", "diproses": "in_progress"})',
    )
    reconciliation_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^https?://\S+$",
        description="the system's reconciliation endpoint (README: Connecting a regional system)",
    )


router = APIRouter(
    prefix="/v1/systems", tags=["connected systems"], responses=ERROR_SCHEMA | LIMITED
)
"""The connected systems' routes."""


def mount(app: FastAPI, deps: ConnectedDeps, keyring: KeyRing) -> None:
    """Serve the connected systems' routes on `app`, over `deps`."""
    app.state.connected, app.state.keyring = deps, keyring
    app.state.connected_limits = RateLimits(
        {"system-per-key": deps.ports.settings.agency_rate_per_key}
    )
    app.include_router(router)


@router.post("", status_code=201, dependencies=ADMIN_ONLY)
async def register(deps: Deps, body: Registration) -> dict[str, Any]:
    """Register a regional (or ministry) system; the answer carries its key, shown once."""
    command = RegisterSystem(
        body.code,
        body.name,
        tuple(body.agencies),
        dict(body.status_map),
        body.reconciliation_url,
    )
    found: dict[str, Any] = await handle(command, deps)
    return found


@router.get("/health", dependencies=ADMIN_ONLY)
async def health(deps: Deps) -> list[dict[str, Any]]:
    """The integration-health view: per system, last contact, lag, replay backlog, the
    latest reconciliation's drift, and refused steps."""
    found: list[dict[str, Any]] = await handle(ShowHealth(), deps)
    return found


@router.post("/{code}/reconcile", dependencies=ADMIN_ONLY)
async def reconcile(deps: Deps, code: Slug) -> dict[str, Any]:
    """Compare now: the system's cells (from its reconciliation endpoint) with the
    national record's; every drifting complaint is listed (also run on a schedule)."""
    found: dict[str, Any] = await handle(Reconcile(code), deps)
    return found


@router.get("", dependencies=ADMIN_ONLY)
async def systems(deps: Deps) -> list[dict[str, Any]]:
    """Every connected system (never a key)."""
    found: list[dict[str, Any]] = await handle(ShowSystems(), deps)
    return found


@router.post("/{code}/key", dependencies=ADMIN_ONLY)
async def rotate(deps: Deps, code: Slug) -> dict[str, Any]:
    """A new key for the system, shown once; the old one is refused from now on."""
    found: dict[str, Any] = await handle(RotateSystemKey(code), deps)
    return found


@router.post("/{code}/suspend", dependencies=ADMIN_ONLY)
async def suspend(deps: Deps, code: Slug) -> dict[str, Any]:
    """Refuse the system's calls (403 `suspended`) until resumed."""
    found: dict[str, Any] = await handle(SetSystemActive(code, False), deps)
    return found


@router.post("/{code}/resume", dependencies=ADMIN_ONLY)
async def resume(deps: Deps, code: Slug) -> dict[str, Any]:
    """Accept the system's calls again."""
    found: dict[str, Any] = await handle(SetSystemActive(code, True), deps)
    return found


@router.post("/{code}/imports")
async def imports(
    deps: Deps, code: Slug, body: ImportBatch, system: CallingSystem
) -> dict[str, Any]:
    """Import complaints filed in the system, each with its history (oldest step first).
    Idempotent by (system, external id, step id): re-sending anything changes nothing.
    Each refused step is named with the reason; the rest of the batch goes through, and
    the refused steps stay queryable (`GET .../rejections`)."""
    found: dict[str, Any] = await handle(ImportComplaints(system, body), deps)
    return found


@router.post("/{code}/status-updates")
async def status_updates(
    deps: Deps, code: Slug, body: StatusUpdates, system: CallingSystem
) -> dict[str, Any]:
    """Status changes (in the system's words) on complaints it holds nationally: filed
    through the backbone and disposed to one of its agencies, or imported from it.
    `rejected` hands a complaint back for re-disposition. Idempotent by step id."""
    found: dict[str, Any] = await handle(ApplyStatusUpdates(system, body), deps)
    return found


@router.get("/{code}/events")
async def replay(
    deps: Deps,
    code: Slug,
    system: CallingSystem,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    """Replay from the event store (not Kafka retention): every event of every complaint
    that concerns the system, in global order, after position `after` (0: from the
    beginning). Call again with `after` = `next_after` until `complete`."""
    found: dict[str, Any] = await handle(ReplayForSystem(system, after, limit), deps)
    return found


@router.get("/{code}/reconciliation")
async def reconciliation(deps: Deps, code: Slug, system: CallingSystem) -> dict[str, Any]:
    """The system's latest reconciliation with every drifting complaint: what its
    connector re-sends (or replays) to repair."""
    found: dict[str, Any] = await handle(LastReconciliation(code), deps)
    return found


@router.get("/{code}/rejections")
async def rejections(
    deps: Deps,
    code: Slug,
    system: CallingSystem,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The import steps refused, oldest first; page with `after` = the last position."""
    found: list[dict[str, Any]] = await handle(ListRejections(code, after, limit), deps)
    return found
