"""Operator and auditor tools that read the event store: the tamper check and its anchors."""

from __future__ import annotations

from dataclasses import dataclass

from services.db import create_pool
from services.eventstore import BrokenChain, EventStore, check_anchors, stream_heads
from services.infra import ensure_infra
from services.settings import PlatformSettings

Anchors = dict[str, tuple[int, str]]


@dataclass(frozen=True)
class VerifyReport:
    """What `verify` found: the breaks, and the current heads (new anchors)."""

    broken: list[BrokenChain]
    heads: Anchors


async def verify_all(settings: PlatformSettings, anchors: Anchors | None = None) -> VerifyReport:
    """Check every hash chain, and the anchors if given."""
    pool = await create_pool(ensure_infra(settings).database_url, max_size=2)
    try:
        broken = await EventStore(pool).verify_chains()
        if anchors:
            broken += await check_anchors(pool, anchors)
        return VerifyReport(broken, await stream_heads(pool))
    finally:
        await pool.close()
