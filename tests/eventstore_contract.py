"""The event store's contract, written once and run against every adapter of the port: the
in-memory fake (tests/unit) and PostgreSQL (tests/integration), as eventsourcing's
`tests/persistence.py` is subclassed per backend."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from events import Status, replay
from events.hashing import GENESIS, chain_hash
from services.platform.ports import ConcurrencyError, EventStore, InvalidAppend
from tests.integration.helpers import event_for


class EventStoreContract:
    """Subclass it and give a `store` fixture; `last_position` may be overridden where the
    store is shared with other tests."""

    @pytest.fixture
    def store(self) -> EventStore:
        raise NotImplementedError("a subclass gives the adapter under test")

    async def last_position(self, store: EventStore) -> int:
        return len(await store.read_all(0, limit=1_000_000))

    async def test_append_then_read_the_stream_back(self, store: EventStore) -> None:
        complaint = uuid.uuid4()
        written = [event_for(complaint, v) for v in (1, 2, 3)]
        positions = await store.append(complaint, 0, written)
        assert positions == sorted(positions) and len(positions) == 3
        assert await store.read_stream(complaint) == written
        assert await store.read_stream(complaint, from_version=2) == written[1:]
        assert await store.stream_version(complaint) == 3
        assert await store.stream_version(uuid.uuid4()) == 0
        assert replay(await store.read_stream(complaint)).status is Status.FILED

    async def test_many_streams_are_read_at_once(self, store: EventStore) -> None:
        first, second, absent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        one = [event_for(first, v) for v in (1, 2)]
        other = [event_for(second, 1)]
        await store.append(first, 0, one)
        await store.append(second, 0, other)
        assert await store.read_many([first, second, absent]) == {first: one, second: other}

    async def test_the_audited_stream_gives_position_recording_time_and_chain_hash(
        self, store: EventStore
    ) -> None:
        complaint = uuid.uuid4()
        written = [event_for(complaint, v) for v in (1, 2)]
        positions = await store.append(complaint, 0, written[:1])
        positions += await store.append(complaint, 1, written[1:])
        audited = await store.audited_stream(complaint)
        assert [a.envelope for a in audited] == written
        assert [a.global_position for a in audited] == positions
        previous = GENESIS
        for entry in audited:
            previous = chain_hash(previous, entry.envelope.to_record())
            assert entry.hash == previous.hex()
            assert entry.recorded_at.tzinfo is not None
        assert await store.audited_stream(uuid.uuid4()) == []

    async def test_a_stale_expected_version_is_refused_with_the_actual_version(
        self, store: EventStore
    ) -> None:
        complaint = uuid.uuid4()
        await store.append(complaint, 0, [event_for(complaint, 1)])
        with pytest.raises(ConcurrencyError) as refused:
            await store.append(complaint, 0, [event_for(complaint, 1)])
        assert refused.value.actual == 1 and refused.value.expected == 0
        assert "expected version 0" in str(refused.value)
        assert await store.stream_version(complaint) == 1

    async def test_events_that_do_not_fit_the_stream_are_refused(self, store: EventStore) -> None:
        complaint = uuid.uuid4()
        with pytest.raises(InvalidAppend, match="version"):
            await store.append(complaint, 0, [event_for(complaint, 2)])
        with pytest.raises(InvalidAppend, match="belongs to"):
            await store.append(complaint, 0, [event_for(uuid.uuid4(), 1)])
        with pytest.raises(InvalidAppend):
            await store.append(complaint, 0, [])
        assert await store.read_stream(complaint) == []

    async def test_an_event_id_or_tracking_id_is_stored_once(self, store: EventStore) -> None:
        first, second = uuid.uuid4(), uuid.uuid4()
        filing = event_for(first, 1)
        await store.append(first, 0, [filing])
        reused_id = event_for(second, 1).model_copy(update={"event_id": filing.event_id})
        with pytest.raises(InvalidAppend):
            await store.append(second, 0, [reused_id])
        same_tracking = event_for(second, 1).model_copy(update={"payload": filing.payload})
        with pytest.raises(InvalidAppend):
            await store.append(second, 0, [same_tracking])
        assert await store.stream_version(second) == 0

    async def test_fifty_concurrent_writers_get_one_winner_per_version_and_no_gap(
        self, store: EventStore
    ) -> None:
        complaint = uuid.uuid4()
        wins: dict[int, list[int]] = {}

        async def writer(number: int) -> None:
            while True:
                current = await store.stream_version(complaint)
                try:
                    await store.append(complaint, current, [event_for(complaint, current + 1)])
                except ConcurrencyError:
                    await asyncio.sleep(0)
                    continue
                wins.setdefault(current + 1, []).append(number)
                return

        await asyncio.gather(*(writer(n) for n in range(50)))
        stream = await store.read_stream(complaint)
        assert [e.version for e in stream] == list(range(1, 51))
        assert all(len(winners) == 1 for winners in wins.values())
        assert sorted(w for winners in wins.values() for w in winners) == list(range(50))

    async def test_read_all_returns_committed_events_in_global_order(
        self, store: EventStore
    ) -> None:
        start = await self.last_position(store)
        a, b = uuid.uuid4(), uuid.uuid4()
        await store.append(a, 0, [event_for(a, 1)])
        await store.append(b, 0, [event_for(b, 1), event_for(b, 2)])
        await store.append(a, 1, [event_for(a, 2)])
        mine = [
            s
            for s in await store.read_all(start, limit=10_000)
            if s.envelope.complaint_id in (a, b)
        ]
        assert [(s.envelope.complaint_id, s.envelope.version) for s in mine] == [
            (a, 1),
            (b, 1),
            (b, 2),
            (a, 2),
        ]
        assert [s.global_position for s in mine] == sorted(s.global_position for s in mine)

    async def test_events_and_tracking_ids_can_be_looked_up(self, store: EventStore) -> None:
        complaint = uuid.uuid4()
        filing = event_for(complaint, 1)
        assert not await store.has_event(filing.event_id)
        await store.append(complaint, 0, [filing])
        assert await store.has_event(filing.event_id)
        tracking = filing.payload.tracking_id  # type: ignore[attr-defined]
        assert await store.find_by_tracking_id(tracking) == complaint
        assert await store.find_by_tracking_id("lpr-0000-0000-0000") is None
        assert await store.tracking_ids([complaint, uuid.uuid4()]) == {complaint: tracking}

    async def test_an_append_joins_a_transaction_and_is_lost_with_it(
        self, store: EventStore
    ) -> None:
        kept, lost = uuid.uuid4(), uuid.uuid4()
        async with store.transaction() as tx:
            await store.append(kept, 0, [event_for(kept, 1)], tx=tx)
        with pytest.raises(RuntimeError, match="after the append"):
            async with store.transaction() as tx:
                await store.append(lost, 0, [event_for(lost, 1)], tx=tx)
                raise RuntimeError("something failed after the append")
        assert await store.stream_version(kept) == 1
        assert await store.stream_version(lost) == 0
        assert await store.read_stream(lost) == []
