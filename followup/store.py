"""followup's own table: the complaints each agency holds, and the next deadline to watch."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from events.base import DeadlineKind
from events.state import ComplaintState
from followup.domain import holder, next_due
from routing.registry import Registry

_UPSERT = """
INSERT INTO followup_cases (complaint_id, tracking_id, holder, agency_code, unit_code, status,
                            title, follow_up_due, next_due, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (complaint_id) DO UPDATE SET
    holder = excluded.holder, agency_code = excluded.agency_code, unit_code = excluded.unit_code,
    status = excluded.status, title = excluded.title, follow_up_due = excluded.follow_up_due,
    next_due = excluded.next_due, version = excluded.version
WHERE followup_cases.version < excluded.version
"""


async def keep_case(conn: asyncpg.Connection, state: ComplaintState, registry: Registry) -> None:
    """Track the complaint while it is open; forget it once it has ended."""
    if state.complaint_id is None:
        return
    if not state.is_open:
        await conn.execute("DELETE FROM followup_cases WHERE complaint_id = $1", state.complaint_id)
        return
    await conn.execute(
        _UPSERT,
        state.complaint_id,
        state.tracking_id or "",
        holder(state, registry),
        state.agency_code,
        state.unit_code,
        state.status.value,
        state.title or "",
        state.deadlines.get(DeadlineKind.FOLLOW_UP),
        next_due(state),
        state.version,
    )


async def held_by(pool: asyncpg.Pool, agency: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """The complaints an agency holds now (its own and its work units'), oldest deadline first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT complaint_id, tracking_id, agency_code, unit_code, status, title, "
            "follow_up_due FROM followup_cases WHERE holder = $1 "
            "ORDER BY follow_up_due NULLS LAST, complaint_id LIMIT $2 OFFSET $3",
            agency,
            limit,
            offset,
        )
    return [dict(r) for r in rows]


async def due(pool: asyncpg.Pool, now: datetime, limit: int = 500) -> list[UUID]:
    """Complaints with a deadline that has passed."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT complaint_id FROM followup_cases WHERE next_due < $1 "
            "ORDER BY next_due LIMIT $2",
            now,
            limit,
        )
    return [r["complaint_id"] for r in rows]
