"""followup's own table: the complaints each agency holds, and the next deadline to watch, in
PostgreSQL, and its in-memory fake for unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

import asyncpg

from events.base import DeadlineKind
from events.state import ComplaintState
from followup.deadlines import next_due
from followup.domain import holder
from services.kernel.registry import Registry
from services.platform.db import fetch_dicts
from services.platform.ports import Transaction

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


_FIELDS = [
    "complaint_id",
    "tracking_id",
    "holder",
    "agency_code",
    "unit_code",
    "status",
    "title",
    "follow_up_due",
    "next_due",
    "version",
]


def _row(state: ComplaintState, registry: Registry, zone: tzinfo) -> tuple[Any, ...]:
    return (
        state.complaint_id,
        state.tracking_id or "",
        holder(state, registry),
        state.agency_code,
        state.unit_code,
        state.status.value,
        state.title or "",
        state.deadlines.get(DeadlineKind.FOLLOW_UP),
        next_due(state, zone),
        state.version,
    )


class CaseTable:
    """The open complaints, who holds each, and its next deadline, in `followup_cases`."""

    def __init__(self, pool: asyncpg.Pool, registry: Registry, zone: tzinfo = UTC) -> None:
        self.pool = pool
        self.registry = registry
        self.zone = zone

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Track the complaint while it is open; forget it once it has ended."""
        if state.complaint_id is None:
            return
        if not state.is_open:
            await tx.execute(
                "DELETE FROM followup_cases WHERE complaint_id = $1", state.complaint_id
            )
            return
        await tx.execute(_UPSERT, *_row(state, self.registry, self.zone))

    async def held_by(
        self, agency: str, limit: int, offset: int, unit: str | None = None
    ) -> list[dict[str, Any]]:
        """The complaints an agency holds now (its own and its units'; with `unit`, only
        those forwarded to that unit), oldest deadline first."""
        return await fetch_dicts(
            self.pool,
            "SELECT complaint_id, tracking_id, agency_code, unit_code, status, title, "
            "follow_up_due FROM followup_cases WHERE holder = $1 "
            "AND ($4::text IS NULL OR unit_code = $4) "
            "ORDER BY follow_up_due NULLS LAST, complaint_id LIMIT $2 OFFSET $3",
            agency,
            limit,
            offset,
            unit,
        )

    async def due(self, now: datetime, limit: int = 500) -> list[UUID]:
        """Complaints with a deadline that has passed."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT complaint_id FROM followup_cases WHERE next_due < $1 "
                "ORDER BY next_due LIMIT $2",
                now,
                limit,
            )
        return [r["complaint_id"] for r in rows]


class InMemoryCases:
    """The same table in a dict (unit tests)."""

    def __init__(self, registry: Registry, zone: tzinfo = UTC) -> None:
        self.registry = registry
        self.zone = zone
        self.rows: dict[UUID, dict[str, Any]] = {}

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Track the complaint while it is open; forget it once it has ended."""
        if state.complaint_id is None:
            return
        if not state.is_open:
            self.rows.pop(state.complaint_id, None)
            return
        known = self.rows.get(state.complaint_id)
        if known is None or known["version"] < state.version:
            self.rows[state.complaint_id] = dict(
                zip(_FIELDS, _row(state, self.registry, self.zone), strict=True)
            )

    async def held_by(
        self, agency: str, limit: int, offset: int, unit: str | None = None
    ) -> list[dict[str, Any]]:
        """The complaints an agency holds now (with `unit`: forwarded to it), oldest first."""
        rows = [
            r
            for r in self.rows.values()
            if r["holder"] == agency and (unit is None or r["unit_code"] == unit)
        ]
        rows.sort(
            key=lambda r: (
                r["follow_up_due"] is None,
                r["follow_up_due"] or 0,
                str(r["complaint_id"]),
            )
        )
        hidden = ("holder", "next_due", "version")
        return [
            {k: v for k, v in r.items() if k not in hidden} for r in rows[offset : offset + limit]
        ]

    async def due(self, now: datetime, limit: int = 500) -> list[UUID]:
        """Complaints with a deadline that has passed."""
        rows = [r for r in self.rows.values() if r["next_due"] is not None and r["next_due"] < now]
        rows.sort(key=lambda r: r["next_due"])
        return [r["complaint_id"] for r in rows[:limit]]
