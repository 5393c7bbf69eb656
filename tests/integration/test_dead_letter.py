"""Bad messages go to the dead-letter topic with the reason; the consumer goes on."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from events import Envelope
from events.binding import encode
from services.platform import kafka
from services.platform.batch_consumer import batch_event_consumer
from tests.integration.helpers import event_for, eventually, per_event, running

pytestmark = pytest.mark.integration


async def read_dead_letters(platform_settings, infra, consumer_name: str, until):
    reader = AIOKafkaConsumer(
        platform_settings.dead_letter_topic,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        **kafka.client_auth(platform_settings),
        auto_offset_reset="earliest",
    )
    await reader.start()
    found = []
    seen: set[tuple[str | None, str | None]] = set()
    try:

        async def enough() -> bool:
            batches = await reader.getmany(timeout_ms=200)
            for messages in batches.values():
                for m in messages:
                    headers = {k: v.decode() for k, v in m.headers}
                    source = (headers.get("dlq_partition"), headers.get("dlq_offset"))
                    # At-least-once: a re-delivered bad message may be set aside twice.
                    if headers.get("dlq_consumer") == consumer_name and source not in seen:
                        seen.add(source)
                        found.append((m, headers))
            return until(found)

        await eventually(enough, what="dead letters")
    finally:
        await reader.stop()
    return found


async def test_undecodable_and_unappliable_messages_are_dead_lettered_and_consumption_goes_on(
    platform_settings, infra, store, pool
):
    name = f"dlq-{uuid.uuid4().hex[:6]}"
    poison, good, refused = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def handle(envelope: Envelope, conn) -> None:
        if envelope.complaint_id == refused:
            raise RuntimeError("projection refused this event")
        # Recorded in the consumer's transaction: an effect that happens once or not at all.
        await conn.execute(
            "INSERT INTO test_dlq_applied VALUES ($1, $2, $3)",
            name,
            envelope.complaint_id,
            envelope.version,
        )

    async def handled() -> list[tuple[uuid.UUID, int]]:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT complaint_id, version FROM test_dlq_applied WHERE consumer = $1", name
            )
        return [(r["complaint_id"], r["version"]) for r in rows]

    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS test_dlq_applied "
            "(consumer text, complaint_id uuid, version int)"
        )

    consumer = batch_event_consumer(
        platform_settings,
        infra.kafka_bootstrap_servers,
        name=name,
        pool=pool,
        handle=per_event(handle),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap_servers, **kafka.client_auth(platform_settings)
    )
    await producer.start()
    try:
        async with running(consumer.run):
            await eventually(consumer.ready.is_set, what="consumer assignment")
            topic = platform_settings.events_topic
            await producer.send_and_wait(topic, b"\x00garbage", key=str(poison).encode())
            bad_headers = encode(event_for(poison, 1), "urn:test")
            await producer.send_and_wait(
                topic,
                bad_headers.value,
                key=bad_headers.key,
                headers=[h for h in bad_headers.headers if h[0] != "ce_type"],
            )
            for complaint in (refused, good):
                # Stored first, as every published event is: the store is the record of truth.
                await store.append(complaint, 0, [event_for(complaint, 1)])
                record = encode(event_for(complaint, 1), "urn:test")
                await producer.send_and_wait(
                    topic, record.value, key=record.key, headers=record.headers
                )

            async def good_handled() -> bool:
                return (good, 1) in await handled()

            await eventually(good_handled, what="the good message handled")
            # Partitions are fetched independently: wait for the others while still consuming.
            letters = await read_dead_letters(
                platform_settings, infra, name, until=lambda found: len(found) >= 3
            )
    finally:
        await producer.stop()

    reasons = sorted((h["dlq_stage"], h["dlq_reason"]) for _, h in letters)
    assert [stage for stage, _ in reasons] == ["apply", "decode", "decode"]
    assert "projection refused this event" in reasons[0][1]
    assert any("missing header 'ce_specversion'" in r for _, r in reasons)
    assert any("missing header 'ce_type'" in r for _, r in reasons)
    garbage = next(m for m, h in letters if m.value == b"\x00garbage")
    headers = dict(garbage.headers)
    assert headers["dlq_topic"].decode() == platform_settings.events_topic
    assert int(headers["dlq_offset"]) >= 0
    # Only this test's complaints: the session's topic also carries other tests' events.
    ours = (poison, refused, good)
    assert [seen for seen in await handled() if seen[0] in ours] == [(good, 1)]


async def test_platform_topics_are_created_with_their_partition_counts(platform_settings, infra):
    await kafka.ensure_topics(
        infra.kafka_bootstrap_servers,
        kafka.platform_topics(platform_settings),
        auth=kafka.client_auth(platform_settings),
    )
    assert (
        await kafka.ensure_topics(
            infra.kafka_bootstrap_servers,
            kafka.platform_topics(platform_settings),
            auth=kafka.client_auth(platform_settings),
        )
        == []
    )
    topics = await kafka.list_topics(
        infra.kafka_bootstrap_servers, auth=kafka.client_auth(platform_settings)
    )
    assert platform_settings.events_topic in topics
    assert platform_settings.dead_letter_topic in topics


async def test_a_faust_agent_dead_letters_bad_input_and_goes_on(platform_settings, infra):
    from events.binding import decode
    from services.platform.faust_app import create_faust_app, dead_lettering_agent

    name = f"faust-{uuid.uuid4().hex[:6]}"
    await kafka.ensure_topics(
        infra.kafka_bootstrap_servers,
        kafka.platform_topics(platform_settings),
        auth=kafka.client_auth(platform_settings),
    )
    app = create_faust_app(platform_settings, app_id=name, bootstrap=infra.kafka_bootstrap_servers)
    good = uuid.uuid4()
    handled: list[uuid.UUID] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.complaint_id)

    dead_lettering_agent(
        app,
        platform_settings,
        name=name,
        topic=platform_settings.events_topic,
        decode=decode,
        handle=handle,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap_servers, **kafka.client_auth(platform_settings)
    )
    await app.start()
    await producer.start()
    try:
        await producer.send_and_wait(platform_settings.events_topic, b"{not json", key=b"x")
        record = encode(event_for(good, 1), "urn:test")
        await producer.send_and_wait(
            platform_settings.events_topic, record.value, key=record.key, headers=record.headers
        )
        await eventually(lambda: good in handled, what="the faust agent handling the good event")
    finally:
        await producer.stop()
        await app.stop()
    letters = await read_dead_letters(
        platform_settings,
        infra,
        name,
        until=lambda found: any(m.value == b"{not json" for m, _ in found),
    )
    [headers] = [h for m, h in letters if m.value == b"{not json"]
    assert headers["dlq_stage"] == "decode"
    assert "ce_specversion" in headers["dlq_reason"]
