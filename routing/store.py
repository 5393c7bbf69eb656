"""routing's own table: what waits for the national admin (kept from the complaint events), in
PostgreSQL, and its in-memory fake for unit tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from events.state import ComplaintState
from routing.domain import national_admin_due, on_national_admin_list
from services.platform.db import fetch_dicts
from services.platform.ports import Transaction


@dataclass(frozen=True)
class SentItem:
    """A work item as it was put on its queue."""

    work_item_id: UUID
    queue: str
    complaint_id: UUID
    body: bytes


PutBack = Callable[[list[SentItem]], Awaitable[None]]


@dataclass(frozen=True)
class QueuePage:
    """Which page of the queue: of one status (or all), and only the overdue ones with
    `overdue_at` (what the national admin should have done by then)."""

    status: str | None
    limit: int
    offset: int
    overdue_at: datetime | None = None


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
        national_admin_due(state),  # the national admin's own clock (column verify_due)
        state.filed_at,
        state.version,
    )


def _before(due: datetime | None, instant: datetime) -> bool:
    return due is not None and due < instant


class QueueTable:
    """The national admin's queue in `routing_queue`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Put the complaint in the queue, update it, or take it out (in the consumer's
        transaction)."""
        if state.complaint_id is None:
            return
        if not on_national_admin_list(state):
            await tx.execute(
                "DELETE FROM routing_queue WHERE complaint_id = $1", state.complaint_id
            )
            return
        await tx.execute(_UPSERT, *_row(state))

    async def list(self, page: QueuePage) -> list[dict[str, Any]]:
        """The queue, oldest first (the order the 3-working-day clock runs out)."""
        return await fetch_dicts(
            self.pool,
            "SELECT * FROM routing_queue WHERE ($1::text IS NULL OR status = $1) "
            "AND ($4::timestamptz IS NULL OR verify_due < $4) "
            "ORDER BY filed_at, complaint_id LIMIT $2 OFFSET $3",
            page.status,
            page.limit,
            page.offset,
            page.overdue_at,
        )


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


class WorkItemLog:
    """Every work item sent (`work_items`), and whether the broker lost the queues since this
    keeper last put them back (`broker_resets`, counted by the relay)."""

    def __init__(self, pool: asyncpg.Pool, keeper: str) -> None:
        self.pool = pool
        self.keeper = keeper

    async def remember(self, tx: Transaction, item: SentItem) -> None:
        """Log a work item in the consumer's transaction (a re-sent one is logged once)."""
        await tx.execute(
            "INSERT INTO work_items (work_item_id, queue, complaint_id, body) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (work_item_id) DO NOTHING",
            item.work_item_id,
            item.queue,
            item.complaint_id,
            item.body,
        )

    async def restore_if_lost(self, put_back: PutBack) -> int:
        """When the broker was reset since this keeper last looked, hand every logged work item,
        in order, to `put_back`; returns how many. One keeper at a time (row lock)."""
        async with self.pool.acquire() as conn, conn.transaction():
            resets = await conn.fetchval("SELECT resets FROM broker_resets")
            await conn.execute(
                "INSERT INTO queue_keepers (keeper, resets_seen) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING",
                self.keeper,
                resets,  # a new keeper starts in step: nothing was lost on its watch
            )
            seen = await conn.fetchval(
                "SELECT resets_seen FROM queue_keepers WHERE keeper = $1 FOR UPDATE", self.keeper
            )
            if seen >= resets:
                return 0
            restored, after = 0, 0
            while True:
                rows = await conn.fetch(
                    "SELECT position, work_item_id, queue, complaint_id, body FROM work_items "
                    "WHERE position > $1 ORDER BY position LIMIT 1000",
                    after,
                )
                if not rows:
                    break
                items = [
                    SentItem(r["work_item_id"], r["queue"], r["complaint_id"], r["body"])
                    for r in rows
                ]
                await put_back(items)
                restored, after = restored + len(rows), rows[-1]["position"]
            await conn.execute(
                "UPDATE queue_keepers SET resets_seen = $2 WHERE keeper = $1", self.keeper, resets
            )
            return restored


class InMemoryWorkItemLog:
    """The same log in a list (unit tests); `resets` is moved by the test."""

    def __init__(self) -> None:
        self.items: list[SentItem] = []
        self.resets = 0
        self.seen = 0

    async def remember(self, tx: Transaction, item: SentItem) -> None:
        """Log a work item once."""
        if all(i.work_item_id != item.work_item_id for i in self.items):
            self.items.append(item)

    async def restore_if_lost(self, put_back: PutBack) -> int:
        """Hand every logged item to `put_back` when a reset was not seen yet."""
        if self.seen >= self.resets:
            return 0
        await put_back(list(self.items))
        self.seen = self.resets
        return len(self.items)


class InMemoryQueue:
    """The same queue in a dict (unit tests)."""

    def __init__(self) -> None:
        self.rows: dict[Any, dict[str, Any]] = {}

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Put the complaint in the queue, update it, or take it out."""
        if state.complaint_id is None:
            return
        if not on_national_admin_list(state):
            self.rows.pop(state.complaint_id, None)
            return
        known = self.rows.get(state.complaint_id)
        if known is None or known["version"] < state.version:
            self.rows[state.complaint_id] = dict(zip(_FIELDS, _row(state), strict=True))

    async def list(self, page: QueuePage) -> list[dict[str, Any]]:
        """The queue, oldest first."""
        status, overdue_at = page.status, page.overdue_at
        rows = [
            r
            for r in self.rows.values()
            if (status is None or r["status"] == status)
            and (
                overdue_at is None or (r["verify_due"] is not None and r["verify_due"] < overdue_at)
            )
        ]
        rows.sort(key=lambda r: (r["filed_at"], str(r["complaint_id"])))
        return rows[page.offset : page.offset + page.limit]
