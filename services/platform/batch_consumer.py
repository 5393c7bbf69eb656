"""The complaint-events consumer every service uses: a fetched batch applied in one transaction
with the per-complaint checkpoints, so each event takes effect once, in stream order, with any
event the topic skipped filled in from the store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from events.envelope import Envelope
from services.platform.consumer import (
    DUPLICATES,
    GAPS_FILLED,
    DeadLetteringConsumer,
    decode_record,
)
from services.platform.eventstore import read_streams
from services.platform.settings import PlatformSettings


@dataclass(frozen=True)
class Batch:
    """What a batch handler gets: the events to apply now, per complaint in version order
    (including any the topic skipped, taken from the store), and the touched complaints' whole
    streams as stored now (read once, in the batch's transaction)."""

    events: list[Envelope]
    streams: dict[UUID, list[Envelope]]


BatchHandler = Callable[[Batch, asyncpg.Connection], Awaitable[None]]
"""Applies a batch through the connection of the transaction that also records its events as
applied."""


def batch_event_consumer(
    settings: PlatformSettings,
    bootstrap: str,
    *,
    name: str,
    pool: asyncpg.Pool,
    handle: BatchHandler,
    lock_key: int | None = None,
) -> DeadLetteringConsumer[Envelope]:
    """A complaint-events consumer that applies each fetched batch in one transaction, with the
    per-complaint checkpoints moved in that same transaction (each event takes effect once).

    With `lock_key`, each batch first takes that advisory lock shared, so that a writer taking
    it exclusively (a full rebuild) runs alone, without deadlocking against the checkpoints.
    """

    async def apply_batch(envelopes: list[Envelope]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            if lock_key is not None:
                await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", lock_key)
            last = await _lock_positions(conn, name, {e.complaint_id for e in envelopes})
            fresh = [e for e in envelopes if e.version > last[e.complaint_id]]
            DUPLICATES.labels(name).inc(len(envelopes) - len(fresh))
            if not fresh:
                return
            top: dict[UUID, int] = {}
            for e in fresh:
                top[e.complaint_id] = max(top.get(e.complaint_id, 0), e.version)
            streams = await read_streams(conn, sorted(top))
            events = [
                e
                for complaint, stream in streams.items()
                for e in stream
                if last[complaint] < e.version <= top[complaint]
            ]
            GAPS_FILLED.labels(name).inc(max(0, len(events) - len(fresh)))
            await handle(Batch(events, streams), conn)
            await _advance_positions(conn, name, top)

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


async def _lock_positions(
    conn: asyncpg.Connection, consumer: str, complaints: set[UUID]
) -> dict[UUID, int]:
    """The last applied version per complaint, row-locked until the batch commits."""
    ids = sorted(complaints)
    await conn.execute(
        "INSERT INTO consumer_positions (consumer, complaint_id, version) "
        "SELECT $1, unnest($2::uuid[]), 0 ON CONFLICT DO NOTHING",
        consumer,
        ids,
    )
    # Locked in id order: two members applying overlapping batches cannot deadlock.
    rows = await conn.fetch(
        "SELECT complaint_id, version FROM consumer_positions WHERE consumer = $1 "
        "AND complaint_id = ANY($2::uuid[]) ORDER BY complaint_id FOR UPDATE",
        consumer,
        ids,
    )
    return {r["complaint_id"]: r["version"] for r in rows}


async def _advance_positions(conn: asyncpg.Connection, consumer: str, top: dict[UUID, int]) -> None:
    """Record the batch's events as applied, in the batch's transaction."""
    await conn.execute(
        "UPDATE consumer_positions p SET version = n.version FROM "
        "unnest($2::uuid[], $3::int[]) AS n(complaint_id, version) "
        "WHERE p.consumer = $1 AND p.complaint_id = n.complaint_id",
        consumer,
        list(top),
        list(top.values()),
    )
