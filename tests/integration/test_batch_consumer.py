"""The batched complaint-events consumer (reporting's): each event takes effect once, whatever
is re-delivered, and one bad event is dead-lettered alone while the rest of its batch applies."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer

from events.binding import encode
from services.platform import kafka
from services.platform.batch_consumer import Batch, batch_event_consumer
from tests.integration.helpers import event_for, eventually, running
from tests.integration.test_dead_letter import read_dead_letters

pytestmark = pytest.mark.integration


async def test_batches_apply_each_event_once_and_set_aside_only_the_culprit(
    platform_settings, infra, pool, store
):
    name = f"batch-{uuid.uuid4().hex[:6]}"
    # Own topics: other tests' consumers read the session's complaint-events topic from the start.
    platform_settings = platform_settings.model_copy(update={"topic_prefix": name})
    complaints = [uuid.uuid4() for _ in range(20)]
    culprit = complaints[7]
    applied: list[tuple[uuid.UUID, int]] = []
    batch_sizes: list[int] = []

    async def handle(batch: Batch, conn) -> None:
        envelopes = batch.events
        assert set(batch.streams) == {e.complaint_id for e in envelopes}
        if any(e.complaint_id == culprit for e in envelopes):
            raise RuntimeError("cannot project this complaint")
        batch_sizes.append(len(envelopes))
        # A row per applied event, in the consumer's transaction: rolled back with it.
        await conn.executemany(
            "INSERT INTO test_batch_applied (consumer, complaint_id, version) VALUES ($1, $2, $3)",
            [(name, e.complaint_id, e.version) for e in envelopes],
        )
        applied.extend((e.complaint_id, e.version) for e in envelopes)

    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS test_batch_applied (consumer text, complaint_id uuid, "
            "version int, PRIMARY KEY (consumer, complaint_id, version))"
        )
    consumer = batch_event_consumer(
        platform_settings,
        infra.kafka_bootstrap_servers,
        name=name,
        pool=pool,
        handle=handle,
    )

    stored = {c: [event_for(c, v) for v in (1, 2, 3)] for c in complaints}
    for complaint, events in stored.items():  # the store is the truth the consumer reads
        await store.append(complaint, 0, events)

    def records(chosen):
        return [encode(e, "urn:test") for c in chosen for e in stored[c]]

    async def send(producer, batch):
        futures = [
            await producer.send(
                platform_settings.events_topic, r.value, key=r.key, headers=r.headers
            )
            for r in batch
        ]
        for future in futures:
            await future

    first, rest = complaints[:7], complaints[7:]  # the culprit is the first of the rest
    expected = {(c, v) for c in complaints if c != culprit for v in (1, 2, 3)}
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap_servers,
        linger_ms=20,
        **kafka.client_auth(platform_settings),
    )
    await producer.start()
    try:
        async with running(consumer.run):
            await eventually(consumer.ready.is_set, what="consumer assignment")
            await send(producer, records(first))
            await eventually(
                lambda: {(c, 3) for c in first} <= set(applied), what="the first complaints"
            )
            # Everything again (as after a rebalance), plus a batch with the culprit in it.
            await send(producer, records(complaints))
            await send(producer, records(rest))
            await eventually(lambda: expected <= set(applied), what="every good event applied")
    finally:
        await producer.stop()

    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT complaint_id, version FROM test_batch_applied WHERE consumer = $1", name
        )
        positions = await conn.fetch(
            "SELECT complaint_id, version FROM consumer_positions WHERE consumer = $1", name
        )
    assert sorted((r["complaint_id"], r["version"]) for r in rows) == sorted(expected)
    assert len(applied) == len(expected)  # nothing applied twice
    assert max(batch_sizes) > 1  # it did batch
    assert {r["complaint_id"]: r["version"] for r in positions if r["complaint_id"] != culprit} == {
        c: 3 for c in complaints if c != culprit
    }
    letters = await read_dead_letters(platform_settings, infra, name, until=lambda f: len(f) >= 3)
    assert {h["dlq_stage"] for _, h in letters} == {"apply"}
    assert all("cannot project this complaint" in h["dlq_reason"] for _, h in letters)


async def test_a_batch_fills_what_the_topic_skipped_from_the_store(
    platform_settings, infra, pool, store
):
    name = f"gap-{uuid.uuid4().hex[:6]}"
    platform_settings = platform_settings.model_copy(update={"topic_prefix": name})
    complaint = uuid.uuid4()
    events = [event_for(complaint, v) for v in (1, 2, 3)]
    await store.append(complaint, 0, events)
    seen: list[int] = []

    async def handle(batch: Batch, conn) -> None:
        seen.extend(e.version for e in batch.events)

    consumer = batch_event_consumer(
        platform_settings,
        infra.kafka_bootstrap_servers,
        name=name,
        pool=pool,
        handle=handle,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap_servers, **kafka.client_auth(platform_settings)
    )
    await producer.start()
    try:
        async with running(consumer.run):
            await eventually(consumer.ready.is_set, what="consumer assignment")
            record = encode(events[2], "urn:test")  # only version 3 is delivered
            await producer.send_and_wait(
                platform_settings.events_topic, record.value, key=record.key, headers=record.headers
            )
            await eventually(lambda: seen == [1, 2, 3], what="versions 1 and 2 from the store")
    finally:
        await producer.stop()
