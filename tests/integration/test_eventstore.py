"""The event store against the real PostgreSQL: appends, conflicts, reads, chains, migrations."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from services.platform.eventstore import PostgresEventStore
from services.platform.migrate import load_migrations, migrate
from services.platform.ports import ConcurrencyError
from tests.eventstore_contract import EventStoreContract
from tests.integration.helpers import bypass_append_only, event_for

pytestmark = pytest.mark.integration


class TestPostgresEventStore(EventStoreContract):
    """The shared contract, against the real PostgreSQL."""

    @pytest.fixture
    def store(self, pool) -> PostgresEventStore:  # type: ignore[no-untyped-def]
        return PostgresEventStore(pool)

    async def last_position(self, store: PostgresEventStore) -> int:  # type: ignore[override]
        return await _max_position(store)

    async def test_a_conflict_is_found_by_fifty_racing_writers_and_chains_hold(
        self, store: PostgresEventStore
    ) -> None:
        complaint = uuid.uuid4()
        conflicts = 0

        async def writer() -> None:
            nonlocal conflicts
            while True:
                current = await store.stream_version(complaint)
                try:
                    await store.append(complaint, current, [event_for(complaint, current + 1)])
                except ConcurrencyError:
                    conflicts += 1
                    continue
                return

        await asyncio.gather(*(writer() for _ in range(50)))
        assert conflicts > 0  # they really raced
        assert await store.verify_chains(complaint) == []


async def test_a_tampered_event_row_is_detected(store: PostgresEventStore):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2, 3)])
    assert await store.verify_chains(complaint) == []
    async with store.pool.acquire() as conn:
        await bypass_append_only(conn)  # what only a superuser can do
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
        await bypass_append_only(conn)  # what only a superuser can do
        await conn.execute("DELETE FROM outbox WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM events WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM streams WHERE complaint_id = $1", complaint)


async def test_a_deleted_event_row_is_detected(store: PostgresEventStore):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2, 3)])
    async with store.pool.acquire() as conn:
        await bypass_append_only(conn)  # what only a superuser can do
        await conn.execute("DELETE FROM events WHERE complaint_id = $1 AND version = 3", complaint)
    [broken] = await store.verify_chains(complaint)
    assert broken.version == 3 and "head" in broken.reason
    async with store.pool.acquire() as conn:
        await bypass_append_only(conn)  # what only a superuser can do
        await conn.execute("DELETE FROM outbox WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM events WHERE complaint_id = $1", complaint)
        await conn.execute("DELETE FROM streams WHERE complaint_id = $1", complaint)


async def test_migrations_apply_once_and_are_idempotent(store: PostgresEventStore):
    async with store.pool.acquire() as conn:
        assert await migrate(conn) == []  # already applied by the session fixture
        applied = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in applied] == [m.version for m in load_migrations()]


async def _max_position(store: PostgresEventStore) -> int:
    async with store.pool.acquire() as conn:
        return int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))


async def test_anchors_catch_history_rewritten_with_recomputed_hashes(store: PostgresEventStore):
    """A writer who recomputes the whole chain fools `verify_chains`, not an external anchor."""
    from events.hashing import GENESIS, chain_hash
    from services.platform.eventstore import row_record

    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2)])
    anchors = {k: v for k, v in (await store.stream_heads()).items() if k == str(complaint)}
    assert await store.check_anchors(anchors) == []

    async with store.pool.acquire() as conn, conn.transaction():
        await bypass_append_only(conn)  # what only a superuser can do
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
    [broken] = await store.check_anchors(anchors)
    assert broken.complaint_id == complaint and "rewritten" in broken.reason
    async with store.pool.acquire() as conn:  # leave the shared database intact
        await bypass_append_only(conn)  # what only a superuser can do
        for table in ("outbox", "events", "streams"):
            await conn.execute(f"DELETE FROM {table} WHERE complaint_id = $1", complaint)


async def test_the_log_refuses_update_delete_and_truncate(store: PostgresEventStore):
    """What the services (and anyone on their connection) can do to a stored event: nothing."""
    import asyncpg

    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2)])
    for statement in (
        "UPDATE events SET event_type = 'complaint.forged' WHERE complaint_id = $1",
        "DELETE FROM events WHERE complaint_id = $1",
    ):
        async with store.pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, complaint)
    async with store.pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE events CASCADE")
    assert [e.version for e in await store.read_stream(complaint)] == [1, 2]
    assert await store.verify_chains(complaint) == []
