"""The event store against the real PostgreSQL: appends, conflicts, reads, chains, migrations."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from events import Status, replay
from services.eventstore import ConcurrencyError, EventStore, InvalidAppend
from services.migrate import load_migrations, migrate
from tests.integration.helpers import event_for

pytestmark = pytest.mark.integration


async def test_append_then_read_the_stream_back(store: EventStore):
    complaint = uuid.uuid4()
    written = [event_for(complaint, v) for v in (1, 2, 3)]
    positions = await store.append(complaint, 0, written)
    assert positions == sorted(positions) and len(positions) == 3
    assert await store.read_stream(complaint) == written
    assert await store.stream_version(complaint) == 3
    assert replay(await store.read_stream(complaint)).status is Status.FILED


async def test_a_stale_expected_version_is_refused_with_the_actual_version(store: EventStore):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, 1)])
    with pytest.raises(ConcurrencyError) as refused:
        await store.append(complaint, 0, [event_for(complaint, 1)])
    assert refused.value.actual == 1 and refused.value.expected == 0
    assert "expected version 0" in str(refused.value)
    assert await store.stream_version(complaint) == 1


async def test_events_that_do_not_fit_the_stream_are_refused(store: EventStore):
    complaint = uuid.uuid4()
    with pytest.raises(InvalidAppend, match="version"):
        await store.append(complaint, 0, [event_for(complaint, 2)])
    with pytest.raises(InvalidAppend, match="belongs to"):
        await store.append(complaint, 0, [event_for(uuid.uuid4(), 1)])
    with pytest.raises(InvalidAppend):
        await store.append(complaint, 0, [])
    assert await store.read_stream(complaint) == []


async def test_fifty_concurrent_writers_get_one_winner_per_version_and_no_gap(store: EventStore):
    complaint = uuid.uuid4()
    wins: dict[int, list[int]] = {}
    conflicts = 0

    async def writer(number: int) -> None:
        nonlocal conflicts
        while True:
            current = await store.stream_version(complaint)
            try:
                await store.append(complaint, current, [event_for(complaint, current + 1)])
            except ConcurrencyError:
                conflicts += 1
                continue
            wins.setdefault(current + 1, []).append(number)
            return

    await asyncio.gather(*(writer(n) for n in range(50)))
    stream = await store.read_stream(complaint)
    assert [e.version for e in stream] == list(range(1, 51))
    assert all(len(winners) == 1 for winners in wins.values())
    assert sorted(w for winners in wins.values() for w in winners) == list(range(50))
    assert conflicts > 0  # they really raced
    assert await store.verify_chains(complaint) == []


async def test_read_all_returns_committed_events_in_global_order(store: EventStore):
    start = await _max_position(store)
    a, b = uuid.uuid4(), uuid.uuid4()
    await store.append(a, 0, [event_for(a, 1)])
    await store.append(b, 0, [event_for(b, 1), event_for(b, 2)])
    await store.append(a, 1, [event_for(a, 2)])
    mine = [
        s for s in await store.read_all(start, limit=10_000) if s.envelope.complaint_id in (a, b)
    ]
    assert [(s.envelope.complaint_id, s.envelope.version) for s in mine] == [
        (a, 1),
        (b, 1),
        (b, 2),
        (a, 2),
    ]
    assert [s.global_position for s in mine] == sorted(s.global_position for s in mine)


async def test_a_tampered_event_row_is_detected(store: EventStore):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2, 3)])
    assert await store.verify_chains(complaint) == []
    async with store.pool.acquire() as conn:
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{message}', $1::jsonb) "
            "WHERE complaint_id = $2 AND version = 2",
            json.dumps("diubah diam-diam"),
            complaint,
        )
    [broken] = await store.verify_chains(complaint)
    assert broken.complaint_id == complaint and broken.version == 2
    assert "hash" in broken.reason
    assert complaint in {b.complaint_id for b in await store.verify_chains()}
    async with store.pool.acquire() as conn:  # leave the shared database intact for later tests
        await conn.execute("DELETE FROM outbox WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM events WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM streams WHERE complaint_id = $1", complaint)


async def test_a_deleted_event_row_is_detected(store: EventStore):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2, 3)])
    async with store.pool.acquire() as conn:
        await conn.execute("DELETE FROM events WHERE complaint_id = $1 AND version = 3", complaint)
    [broken] = await store.verify_chains(complaint)
    assert broken.version == 3 and "head" in broken.reason
    async with store.pool.acquire() as conn:
        await conn.execute("DELETE FROM outbox WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM events WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM streams WHERE complaint_id = $1", complaint)


async def test_migrations_apply_once_and_are_idempotent(store: EventStore):
    async with store.pool.acquire() as conn:
        assert await migrate(conn) == []  # already applied by the session fixture
        applied = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in applied] == [m.version for m in load_migrations()]


async def _max_position(store: EventStore) -> int:
    async with store.pool.acquire() as conn:
        return int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))


async def test_anchors_catch_history_rewritten_with_recomputed_hashes(store: EventStore):
    """A writer who recomputes the whole chain fools `verify_chains`, not an external anchor."""
    from events.hashing import GENESIS, chain_hash
    from services.eventstore import check_anchors, row_record, stream_heads

    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2)])
    anchors = {k: v for k, v in (await stream_heads(store.pool)).items() if k == str(complaint)}
    assert await check_anchors(store.pool, anchors) == []

    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{message}', '\"ditulis ulang\"') "
            "WHERE complaint_id = $1 AND version = 2",
            complaint,
        )
        previous = GENESIS
        for row in await conn.fetch(
            "SELECT * FROM events WHERE complaint_id = $1 ORDER BY version", complaint
        ):
            digest = chain_hash(previous, row_record(row))
            await conn.execute(
                "UPDATE events SET prev_hash = $3, hash = $4 "
                "WHERE complaint_id = $1 AND version = $2",
                complaint,
                row["version"],
                previous,
                digest,
            )
            previous = digest
        await conn.execute(
            "UPDATE streams SET last_hash = $2 WHERE complaint_id = $1", complaint, previous
        )
    assert await store.verify_chains(complaint) == []  # the forger recomputed everything
    [broken] = await check_anchors(store.pool, anchors)
    assert broken.complaint_id == complaint and "rewritten" in broken.reason
    async with store.pool.acquire() as conn:  # leave the shared database intact
        for table in ("outbox", "events", "streams"):
            await conn.execute(f"DELETE FROM {table} WHERE complaint_id = $1", complaint)
