"""The batched complaint-events consumer: a fetched batch applied in one transaction with the
per-complaint checkpoints (reporting's projections use it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

from events.envelope import Envelope
from services.consumer import (
    DUPLICATES,
    AppliedVersions,
    DeadLetteringConsumer,
    decode_record,
)
from services.settings import PlatformSettings

BatchHandler = Callable[[list[Envelope], asyncpg.Connection], Awaitable[None]]
"""Applies the new events of a batch (in stream order per complaint) through the connection of
the transaction that also records them as applied. Gaps are not filled: a batch handler reads
what it needs from the event store (the record of truth), as the projections do."""


def batch_event_consumer(
    settings: PlatformSettings,
    bootstrap: str,
    *,
    name: str,
    applied: AppliedVersions,
    handle: BatchHandler,
    lock_key: int | None = None,
) -> DeadLetteringConsumer[Envelope]:
    """A complaint-events consumer that applies each fetched batch in one transaction, with the
    per-complaint checkpoints moved in that same transaction (each event takes effect once).

    With `lock_key`, each batch first takes that advisory lock shared, so that a writer taking
    it exclusively (a full rebuild) runs alone, without deadlocking against the checkpoints.
    """

    async def apply_batch(envelopes: list[Envelope]) -> None:
        ids = sorted({e.complaint_id for e in envelopes})
        async with applied.pool.acquire() as conn, conn.transaction():
            if lock_key is not None:
                await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", lock_key)
            await conn.execute(
                "INSERT INTO consumer_positions (consumer, complaint_id, version) "
                "SELECT $1, unnest($2::uuid[]), 0 ON CONFLICT DO NOTHING",
                name,
                ids,
            )
            # Locked in id order: two members applying overlapping batches cannot deadlock.
            rows = await conn.fetch(
                "SELECT complaint_id, version FROM consumer_positions WHERE consumer = $1 "
                "AND complaint_id = ANY($2::uuid[]) ORDER BY complaint_id FOR UPDATE",
                name,
                ids,
            )
            last = {r["complaint_id"]: r["version"] for r in rows}
            fresh = sorted(
                (e for e in envelopes if e.version > last[e.complaint_id]),
                key=lambda e: (e.complaint_id, e.version),
            )
            DUPLICATES.labels(name).inc(len(envelopes) - len(fresh))
            if not fresh:
                return
            await handle(fresh, conn)
            top: dict[UUID, int] = {}
            for e in fresh:
                top[e.complaint_id] = max(top.get(e.complaint_id, 0), e.version)
            await conn.execute(
                "UPDATE consumer_positions p SET version = n.version FROM "
                "unnest($2::uuid[], $3::int[]) AS n(complaint_id, version) "
                "WHERE p.consumer = $1 AND p.complaint_id = n.complaint_id",
                name,
                list(top),
                list(top.values()),
            )

    async def apply_one(envelope: Envelope) -> None:
        await apply_batch([envelope])

    return DeadLetteringConsumer(
        settings,
        bootstrap,
        name=name,
        topics=[settings.events_topic],
        decode=decode_record,
        handle=apply_one,
        handle_batch=apply_batch,
    )
