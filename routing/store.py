"""routing's own table: what waits for the national admin (kept from the complaint events)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from events.base import DeadlineKind
from events.state import ComplaintState
from routing.domain import awaits_national_admin

_UPSERT = """
INSERT INTO routing_queue (complaint_id, tracking_id, status, kind, title, category, region_code,
                           channel, refused_by, verify_due, filed_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (complaint_id) DO UPDATE SET
    status = excluded.status, title = excluded.title, category = excluded.category,
    region_code = excluded.region_code, refused_by = excluded.refused_by,
    verify_due = excluded.verify_due, version = excluded.version
WHERE routing_queue.version < excluded.version
"""


async def keep_queue(conn: asyncpg.Connection, state: ComplaintState) -> None:
    """Put the complaint in the national admin's queue, update it, or take it out."""
    if state.complaint_id is None:
        return
    if not awaits_national_admin(state):
        await conn.execute("DELETE FROM routing_queue WHERE complaint_id = $1", state.complaint_id)
        return
    await conn.execute(
        _UPSERT,
        state.complaint_id,
        state.tracking_id or "",
        state.status.value,
        state.kind.value if state.kind else "complaint",
        state.title or "",
        state.category,
        state.region_code,
        state.channel or "",
        list(state.refused_by),
        state.deadlines.get(DeadlineKind.VERIFICATION),
        state.filed_at,
        state.version,
    )


async def list_queue(
    pool: asyncpg.Pool, *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The queue, oldest first (the order the 3-working-day clock runs out)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM routing_queue WHERE ($1::text IS NULL OR status = $1) "
            "ORDER BY filed_at, complaint_id LIMIT $2 OFFSET $3",
            status,
            limit,
            offset,
        )
    return [dict(r) for r in rows]


async def queued(pool: asyncpg.Pool, complaint_id: UUID) -> bool:
    """Whether a complaint is in the queue."""
    async with pool.acquire() as conn:
        return bool(
            await conn.fetchval("SELECT 1 FROM routing_queue WHERE complaint_id = $1", complaint_id)
        )
