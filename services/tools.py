"""Operator tools that read the event store: the tamper check."""

from __future__ import annotations

from services.db import create_pool
from services.eventstore import EventStore
from services.infra import ensure_infra
from services.settings import PlatformSettings


async def verify_all(settings: PlatformSettings) -> int:
    """Print every broken chain; return the exit code (0 all intact, 1 something broken)."""
    pool = await create_pool(ensure_infra(settings).database_url, max_size=2)
    try:
        broken = await EventStore(pool).verify_chains()
        async with pool.acquire() as conn:
            total = await conn.fetchval("SELECT count(*) FROM streams")
    finally:
        await pool.close()
    for fault in broken:
        print(f"BROKEN complaint {fault.complaint_id} at version {fault.version}: {fault.reason}")
    print(f"{total} complaint streams checked, {len(broken)} broken")
    return 1 if broken else 0
