"""The log's signed checkpoints over HTTP (auditors and the national admin): to keep them
outside the system and check the log against them later."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reporting.audit import CheckpointKey, ListCheckpoints
from reporting.deps import Deps
from reporting.handlers import handle
from services.platform.auth import Auditor
from services.platform.http import ERROR_SCHEMA

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=ERROR_SCHEMA)
"""`GET /v1/audit/checkpoints` and the key that signs them (mounted with reporting's routes)."""


@router.get("/checkpoints")
async def checkpoints(
    reader: Auditor,
    deps: Deps,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Signed checkpoints, oldest first; page with `after` = the last `position` seen."""
    found: list[dict[str, Any]] = await handle(ListCheckpoints(after, limit), deps)
    return found


@router.get("/checkpoints/public-key")
async def signing_key(reader: Auditor, deps: Deps) -> dict[str, str]:
    """The Ed25519 public key (hex) every checkpoint must be signed with."""
    found: dict[str, str] = await handle(CheckpointKey(), deps)
    return found
