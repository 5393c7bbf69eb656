"""The event store on PostgreSQL: optimistic appends with an outbox, stream and global reads,
the per-complaint hash-chain check and the outbox reads of the relay. The only module that
writes SQL on the `events`, `streams` and `outbox` tables.
Kept in one module: the event store is the only owner of SQL on those tables
(ADR 0001), so every statement on them stands here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg

from events.base import format_time
from events.catalog import ComplaintFiled
from events.envelope import Actor, Envelope
from events.hashing import GENESIS, chain_hash
from events.registry import load_payload
from services.platform.ports import (
    Anchors,
    AuditedEvent,
    BrokenChain,
    ConcurrencyError,
    InvalidAppend,
    StoredEvent,
    Transaction,
    check_append,
)

_COLUMNS = (
    "event_id, event_type, schema_version, complaint_id, version, occurred_at, actor, "
    "correlation_id, causation_id, payload"
)

ALL_EVENTS_QUERY = f"SELECT {_COLUMNS} FROM events ORDER BY complaint_id, version"
"""Every stored event, grouped by complaint in version order (rebuilds, and their raw limit)."""

_INSERT = """
WITH stream AS (
    INSERT INTO streams (complaint_id, version, last_hash) VALUES ($1, $2, $3)
    ON CONFLICT (complaint_id) DO UPDATE
        SET version = excluded.version, last_hash = excluded.last_hash
        WHERE streams.version = $4
), inserted AS (
    INSERT INTO events (complaint_id, version, event_id, event_type, schema_version, occurred_at,
                        actor, correlation_id, causation_id, payload, prev_hash, hash)
    SELECT $1, * FROM unnest($5::int[], $6::uuid[], $7::text[], $8::int[], $9::timestamptz[],
                             $10::jsonb[], $11::uuid[], $12::uuid[], $13::jsonb[], $14::bytea[],
                             $15::bytea[])
    RETURNING global_position, version
)
INSERT INTO outbox (global_position, complaint_id, version)
SELECT global_position, $1, version FROM inserted ORDER BY version
RETURNING global_position
"""


def row_record(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The stored row in the JSON form that was hashed when it was appended."""
    causation = row["causation_id"]
    return {
        "event_id": str(row["event_id"]),
        "event_type": row["event_type"],
        "schema_version": row["schema_version"],
        "complaint_id": str(row["complaint_id"]),
        "version": row["version"],
        "occurred_at": format_time(row["occurred_at"]),
        "actor": row["actor"],
        "correlation_id": str(row["correlation_id"]),
        "causation_id": None if causation is None else str(causation),
        "payload": row["payload"],
    }


def envelope_from_row(row: asyncpg.Record) -> Envelope:
    """An envelope from a stored row, fast: the row's columns were validated when appended and
    come typed from the database, so only the payload goes through the registry (and its
    upcasters), as it must."""
    payload = load_payload(row["event_type"], row["schema_version"], row["payload"])
    actor = row["actor"]
    return Envelope.model_construct(
        event_id=row["event_id"],
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        complaint_id=row["complaint_id"],
        version=row["version"],
        occurred_at=row["occurred_at"].astimezone(UTC),
        actor=_actor(actor["role"], actor["id"]),
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        payload=payload,
    )


@lru_cache(maxsize=4096)
def _actor(role: str, actor_id: str) -> Actor:
    # Few distinct actors act on many events; Actor is frozen, so one instance can be shared.
    return Actor.model_construct(role=role, id=actor_id)


class PostgresEventStore:
    """Append and read complaint streams; the only writer of `events` and `outbox`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A connection inside a transaction: appends and vault writes given it commit together."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def append(
        self,
        complaint_id: UUID,
        expected_version: int,
        events: Sequence[Envelope],
        *,
        tx: Transaction | None = None,
    ) -> list[int]:
        """Append events after `expected_version` in one transaction with their outbox rows.

        Raises ConcurrencyError when the stream is not at `expected_version`; returns the
        global positions given to the events. With `tx`, the append joins the caller's open
        transaction (so that other writes commit or roll back with it).
        """
        check_append(complaint_id, expected_version, events)
        if tx is not None:
            return await self._append(tx, complaint_id, expected_version, events)
        async with self.pool.acquire() as own, own.transaction():
            return await self._append(own, complaint_id, expected_version, events)

    async def _append(
        self,
        conn: asyncpg.Connection,
        complaint_id: UUID,
        expected_version: int,
        events: Sequence[Envelope],
    ) -> list[int]:
        records = [e.to_record() for e in events]
        row = await conn.fetchrow(
            "SELECT version, last_hash FROM streams WHERE complaint_id = $1 FOR UPDATE",
            complaint_id,
        )
        current = 0 if row is None else row["version"]
        if current != expected_version:
            raise ConcurrencyError(complaint_id, expected_version, current)
        previous = GENESIS if row is None else bytes(row["last_hash"])
        prev_hashes, hashes = [], []
        for record in records:
            digest = chain_hash(previous, record)
            prev_hashes.append(previous)
            hashes.append(digest)
            previous = digest
        try:
            positions = await conn.fetch(
                _INSERT,
                complaint_id,
                expected_version + len(events),
                previous,
                expected_version,
                [r["version"] for r in records],
                [e.event_id for e in events],
                [r["event_type"] for r in records],
                [r["schema_version"] for r in records],
                [e.occurred_at for e in events],
                [r["actor"] for r in records],
                [e.correlation_id for e in events],
                [e.causation_id for e in events],
                [r["payload"] for r in records],
                prev_hashes,
                hashes,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_event_id_key":
                raise InvalidAppend(f"an event id of this batch is already stored: {exc}") from exc
            if exc.constraint_name == "events_tracking_id_idx":
                raise InvalidAppend("this tracking id is already in use") from exc
            raise ConcurrencyError(complaint_id, expected_version, None) from exc
        return [r["global_position"] for r in positions]

    async def read_stream(self, complaint_id: UUID, from_version: int = 1) -> list[Envelope]:
        """One complaint's events in version order (payloads upcast to the current version)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE complaint_id = $1 AND version >= $2 "
                "ORDER BY version",
                complaint_id,
                from_version,
            )
        return [envelope_from_row(r) for r in rows]

    async def read_many(self, complaint_ids: Sequence[UUID]) -> dict[UUID, list[Envelope]]:
        """Several complaints' whole streams in one query."""
        async with self.pool.acquire() as conn:
            return await read_streams(conn, list(complaint_ids))

    async def audited_stream(self, complaint_id: UUID) -> list[AuditedEvent]:
        """One complaint's events with their global position, recording time and hash."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT global_position, recorded_at, hash, {_COLUMNS} FROM events "
                "WHERE complaint_id = $1 ORDER BY version",
                complaint_id,
            )
        return [
            AuditedEvent(
                r["global_position"], r["recorded_at"], bytes(r["hash"]).hex(), envelope_from_row(r)
            )
            for r in rows
        ]

    async def has_event(self, event_id: UUID) -> bool:
        """Whether an event with this id is stored (idempotent commands check it first)."""
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT 1 FROM events WHERE event_id = $1", event_id))

    async def find_by_tracking_id(self, tracking_id: str) -> UUID | None:
        """The complaint a tracking id belongs to (indexed on the filing event)."""
        async with self.pool.acquire() as conn:
            found: UUID | None = await conn.fetchval(
                "SELECT complaint_id FROM events WHERE event_type = $1 "
                "AND payload->>'tracking_id' = $2",
                ComplaintFiled.event_type,
                tracking_id,
            )
        return found

    async def tracking_ids(self, complaint_ids: Sequence[UUID]) -> dict[UUID, str]:
        """Tracking ids of some complaints (as filed), to name them the way people know them."""
        if not complaint_ids:
            return {}
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT complaint_id, payload->>'tracking_id' AS tracking_id FROM events "
                "WHERE complaint_id = ANY($1::uuid[]) AND event_type = $2",
                list(complaint_ids),
                ComplaintFiled.event_type,
            )
        return {r["complaint_id"]: r["tracking_id"] for r in rows}

    async def stream_version(self, complaint_id: UUID) -> int:
        """The version a complaint's stream is at (0 if it has no events)."""
        async with self.pool.acquire() as conn:
            version = await conn.fetchval(
                "SELECT version FROM streams WHERE complaint_id = $1", complaint_id
            )
        return int(version or 0)

    async def last_position(self) -> int:
        """The global position of the latest committed event (0 for an empty store)."""
        async with self.pool.acquire() as conn:
            found = await conn.fetchval("SELECT max(global_position) FROM events")
        return int(found or 0)

    async def read_all(
        self, from_position: int = 0, limit: int = 1000, settled_s: float = 0.0
    ) -> list[StoredEvent]:
        """Committed events with a global position above `from_position`, in global order.

        For replay, rebuild and audit. Positions are given at insert and become visible at
        commit, so a live follower must not use this alone; it consumes the Kafka topic, which
        the outbox relay feeds without gaps. With `settled_s`, the page stops before the first
        event recorded (its transaction started) less than that long ago: a reader resuming
        after the last position it got then misses nothing that commits later with a lower
        position, since appends commit well within that time.
        """
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT global_position, recorded_at >= now() - make_interval(secs => $3) "
                f"AS fresh, {_COLUMNS} FROM events WHERE global_position > $1 "
                "ORDER BY global_position LIMIT $2",
                from_position,
                limit,
                settled_s,
            )
        settled = []
        for row in rows:
            if settled_s and row["fresh"]:
                break
            settled.append(StoredEvent(row["global_position"], envelope_from_row(row)))
        return settled

    async def verify_chains(self, complaint_id: UUID | None = None) -> list[BrokenChain]:
        """Recompute every hash chain (or one complaint's); return where it breaks."""
        broken: list[BrokenChain] = []
        query = (
            f"SELECT {_COLUMNS}, prev_hash, hash FROM events "
            + ("WHERE complaint_id = $1 " if complaint_id else "")
            + "ORDER BY complaint_id, version"
        )
        args = (complaint_id,) if complaint_id else ()
        current: UUID | None = None
        expected_prev, expected_version, skip = GENESIS, 1, False
        async with self.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor(query, *args, prefetch=2000):
                if row["complaint_id"] != current:
                    current, expected_prev, expected_version, skip = (
                        row["complaint_id"],
                        GENESIS,
                        1,
                        False,
                    )
                if skip:
                    continue
                reason = _chain_fault(row, expected_prev, expected_version)
                if reason:
                    broken.append(BrokenChain(row["complaint_id"], row["version"], reason))
                    skip = True  # report the first break of each complaint
                    continue
                expected_prev, expected_version = bytes(row["hash"]), expected_version + 1
            tails = await conn.fetch(
                "SELECT s.complaint_id, s.version, s.last_hash, e.hash FROM streams s "
                "LEFT JOIN events e ON e.complaint_id = s.complaint_id AND e.version = s.version "
                + ("WHERE s.complaint_id = $1" if complaint_id else ""),
                *args,
            )
        seen = {b.complaint_id for b in broken}
        for tail in tails:
            if tail["complaint_id"] in seen:
                continue
            if tail["hash"] is None or bytes(tail["hash"]) != bytes(tail["last_hash"]):
                broken.append(
                    BrokenChain(tail["complaint_id"], tail["version"], "stream head does not match")
                )
        return broken

    async def stream_heads(self) -> Anchors:
        """Every complaint's current (version, hash): an anchor for an auditor to keep elsewhere."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT complaint_id, version, last_hash FROM streams")
        return {str(r["complaint_id"]): (r["version"], bytes(r["last_hash"]).hex()) for r in rows}

    async def check_anchors(self, anchors: Anchors) -> list[BrokenChain]:
        """Check that every anchored (complaint, version) still has the hash recorded then.

        A chain alone cannot catch someone who rewrites an event and recomputes every later
        hash; heads kept outside the database can: the rewritten event changes the anchored hash.
        """
        broken = []
        async with self.pool.acquire() as conn:
            for complaint, (version, digest) in anchors.items():
                stored = await conn.fetchval(
                    "SELECT hash FROM events WHERE complaint_id = $1 AND version = $2",
                    UUID(complaint),
                    version,
                )
                if stored is None:
                    broken.append(BrokenChain(UUID(complaint), version, "anchored event is gone"))
                elif bytes(stored).hex() != digest:
                    broken.append(
                        BrokenChain(
                            UUID(complaint), version, "history was rewritten after the anchor"
                        )
                    )
        return broken


async def read_streams(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, list[Envelope]]:
    """Whole streams of some complaints, from the event store (the record of truth)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE complaint_id = ANY($1::uuid[]) "
        "ORDER BY complaint_id, version",
        ids,
    )
    streams: dict[UUID, list[Envelope]] = {}
    for row in rows:
        streams.setdefault(row["complaint_id"], []).append(envelope_from_row(row))
    return streams


async def every_event(
    conn: asyncpg.Connection, *, prefetch: int = 10_000
) -> AsyncIterator[Envelope]:
    """Every stored event, grouped by complaint in version order (a rebuild's cursor; `conn`
    must be inside a transaction)."""
    async for row in conn.cursor(ALL_EVENTS_QUERY, prefetch=prefetch):
        yield envelope_from_row(row)


_RELAY_COLUMNS = ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))


async def outbox_batch(
    conn: asyncpg.Connection, limit: int, query_timeout: float
) -> list[asyncpg.Record]:
    """The oldest outbox rows with their events (position, global_position and the stored row)."""
    return list(
        await conn.fetch(
            f"SELECT o.position, e.global_position, {_RELAY_COLUMNS} FROM outbox o "
            "JOIN events e ON e.global_position = o.global_position "
            "ORDER BY o.position LIMIT $1",
            limit,
            timeout=query_timeout,
        )
    )


async def delete_outbox(
    conn: asyncpg.Connection, positions: list[int], query_timeout: float
) -> None:
    """Forget outbox rows once the broker acknowledged their events."""
    await conn.execute(
        "DELETE FROM outbox WHERE position = ANY($1::bigint[])", positions, timeout=query_timeout
    )


async def history_batch(
    conn: asyncpg.Connection, after: int, limit: int, query_timeout: float
) -> list[asyncpg.Record]:
    """Stored rows after a global position, in global order (the relay's replay)."""
    return list(
        await conn.fetch(
            f"SELECT e.global_position, {_RELAY_COLUMNS} FROM events e "
            "WHERE e.global_position > $1 ORDER BY e.global_position LIMIT $2",
            after,
            limit,
            timeout=query_timeout,
        )
    )


def _chain_fault(row: asyncpg.Record, expected_prev: bytes, expected_version: int) -> str | None:
    if row["version"] != expected_version:
        return f"version {expected_version} is missing"
    if bytes(row["prev_hash"]) != expected_prev:
        return "previous hash does not match the event before"
    if chain_hash(expected_prev, row_record(row)) != bytes(row["hash"]):
        return "event content does not match its hash"
    return None
