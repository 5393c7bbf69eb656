"""routing's own table: what waits for the national admin (kept from the complaint events), in
PostgreSQL, and its in-memory fake for unit tests."""

from __future__ import annotations

from typing import Any

import asyncpg

from events.base import DeadlineKind
from events.state import ComplaintState
from routing.domain import awaits_national_admin
from services.platform.ports import Transaction

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


def _row(state: ComplaintState) -> tuple[Any, ...]:
    return (
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


class QueueTable:
    """The national admin's queue in `routing_queue`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Put the complaint in the queue, update it, or take it out (in the consumer's
        transaction)."""
        if state.complaint_id is None:
            return
        if not awaits_national_admin(state):
            await tx.execute(
                "DELETE FROM routing_queue WHERE complaint_id = $1", state.complaint_id
            )
            return
        await tx.execute(_UPSERT, *_row(state))

    async def list(self, *, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        """The queue, oldest first (the order the 3-working-day clock runs out)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM routing_queue WHERE ($1::text IS NULL OR status = $1) "
                "ORDER BY filed_at, complaint_id LIMIT $2 OFFSET $3",
                status,
                limit,
                offset,
            )
        return [dict(r) for r in rows]


_FIELDS = [
    "complaint_id",
    "tracking_id",
    "status",
    "kind",
    "title",
    "category",
    "region_code",
    "channel",
    "refused_by",
    "verify_due",
    "filed_at",
    "version",
]


class InMemoryQueue:
    """The same queue in a dict (unit tests)."""

    def __init__(self) -> None:
        self.rows: dict[Any, dict[str, Any]] = {}

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Put the complaint in the queue, update it, or take it out."""
        if state.complaint_id is None:
            return
        if not awaits_national_admin(state):
            self.rows.pop(state.complaint_id, None)
            return
        known = self.rows.get(state.complaint_id)
        if known is None or known["version"] < state.version:
            self.rows[state.complaint_id] = dict(zip(_FIELDS, _row(state), strict=True))

    async def list(self, *, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        """The queue, oldest first."""
        rows = [r for r in self.rows.values() if status is None or r["status"] == status]
        rows.sort(key=lambda r: (r["filed_at"], str(r["complaint_id"])))
        return rows[offset : offset + limit]
