"""The log's signed checkpoints over HTTP (auditors and the national admin): to keep them
outside the system and check the log against them later."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.platform.auth import KeyRing, caller_of
from services.platform.checkpoints import CheckpointTable
from services.platform.http import ERROR_SCHEMA


def router(table: CheckpointTable, keyring: KeyRing, public_key: str) -> APIRouter:
    """`GET /v1/audit/checkpoints` and the key that signs them."""
    api = APIRouter(prefix="/v1/audit", tags=["audit"], responses=ERROR_SCHEMA)
    Reader = caller_of(keyring, ("national_admin", "auditor"))

    @api.get("/checkpoints")
    async def checkpoints(
        reader: Reader,  # type: ignore[valid-type]
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """Signed checkpoints, oldest first; page with `after` = the last `position` seen."""
        return await table.listed(after, limit)

    @api.get("/checkpoints/public-key")
    async def signing_key(reader: Reader) -> dict[str, str]:  # type: ignore[valid-type]
        """The Ed25519 public key (hex) every checkpoint must be signed with."""
        return {"algorithm": "Ed25519", "public_key": public_key}

    return api
