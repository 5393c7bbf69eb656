"""`make bench`: the event store's append rate and the relay's publish rate, each beside the raw
limit measured in the same run on the same engines. Prints figures; asserts nothing."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from events.binding import decode, encode
from services import kafka
from services.db import create_pool
from services.eventstore import EventStore
from services.infra import ensure_infra, free_port, stop_infra
from services.migrate import migrate_database
from services.relay import OutboxRelay
from services.settings import PlatformSettings
from tests.integration.helpers import event_for

APPENDS = 4000
CONCURRENCY = 16
RELAY_EVENTS = 20_000
LATENCY_SAMPLES = 200


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed_concurrently(jobs: list, concurrency: int) -> tuple[float, list[float]]:
    queue = list(reversed(jobs))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            job = queue.pop()
            started = time.perf_counter()
            await job()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def bench_append(pool) -> tuple[str, str]:
    store = EventStore(pool)
    batches = [(c, [event_for(c, 1)]) for c in (uuid.uuid4() for _ in range(APPENDS))]
    jobs = [lambda c=c, e=e: store.append(c, 0, e) for c, e in batches]
    elapsed, latencies = await timed_concurrently(jobs, CONCURRENCY)

    async with pool.acquire() as conn:
        await conn.execute("DROP TABLE IF EXISTS raw_events")
        await conn.execute(
            "CREATE TABLE raw_events (complaint_id uuid, version int, event_id uuid, "
            "event_type text, schema_version int, occurred_at timestamptz, actor jsonb, "
            "correlation_id uuid, payload jsonb, PRIMARY KEY (complaint_id, version))"
        )
    rows = [(c, events[0]) for c, events in batches]

    async def raw_insert(c, env) -> None:
        record = env.to_record()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO raw_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                c,
                1,
                uuid.uuid4(),
                record["event_type"],
                record["schema_version"],
                env.occurred_at,
                record["actor"],
                env.correlation_id,
                record["payload"],
            )

    raw_elapsed, raw_latencies = await timed_concurrently(
        [lambda c=c, e=e: raw_insert(c, e) for c, e in rows], CONCURRENCY
    )
    async with pool.acquire() as conn:
        await conn.execute("DROP TABLE raw_events")
    ours = (
        f"{APPENDS / elapsed:8.0f} events/s  p50 {pct(latencies, 0.5) * 1000:5.1f} ms  "
        f"p99 {pct(latencies, 0.99) * 1000:5.1f} ms"
    )
    raw = (
        f"{APPENDS / raw_elapsed:8.0f} rows/s    p50 {pct(raw_latencies, 0.5) * 1000:5.1f} ms  "
        f"p99 {pct(raw_latencies, 0.99) * 1000:5.1f} ms"
    )
    return ours, raw


async def bench_relay(settings, endpoints, pool) -> tuple[str, str, str]:
    store = EventStore(pool)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM outbox")  # publish only what this benchmark appends
    complaints = [uuid.uuid4() for _ in range(RELAY_EVENTS // 4)]
    envelopes = []
    for c in complaints:
        batch = [event_for(c, v) for v in range(1, 5)]
        envelopes.extend(batch)
    await timed_concurrently(
        [
            lambda c=c, b=envelopes[i * 4 : (i + 1) * 4]: store.append(c, 0, b)
            for i, c in enumerate(complaints)
        ],
        CONCURRENCY,
    )
    relay = OutboxRelay(
        settings, database_url=endpoints.database_url, bootstrap=endpoints.kafka_bootstrap_servers
    )
    stopping = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(relay.run(stopping))
    while True:
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT count(*) FROM outbox") == 0:
                break
        await asyncio.sleep(0.01)
    relay_elapsed = time.perf_counter() - started

    # Latency: one append at a time, from commit to a consumer holding the event.
    consumer = AIOKafkaConsumer(
        settings.events_topic,
        bootstrap_servers=endpoints.kafka_bootstrap_servers,
        auto_offset_reset="latest",
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        session_timeout_ms=4000,
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=5,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    for tp in consumer.assignment():
        await consumer.seek_to_end(tp)
    await consumer.getmany(timeout_ms=300)
    latencies = []
    for _ in range(LATENCY_SAMPLES):
        c = uuid.uuid4()
        await store.append(c, 0, [event_for(c, 1)])
        committed_at = time.perf_counter()
        found = False
        while not found:
            for messages in (await consumer.getmany(timeout_ms=50)).values():
                found = found or any(m.key == str(c).encode() for m in messages)
        latencies.append(time.perf_counter() - committed_at)
    await consumer.stop()
    stopping.set()
    await task

    # Raw limit: aiokafka producing the same records, no outbox, no database.
    records = [encode(e, "urn:bench") for e in envelopes]
    raw_topic = f"{settings.topic_prefix}.bench-raw.v1"
    await kafka.ensure_topics(
        endpoints.kafka_bootstrap_servers, {raw_topic: settings.event_partitions}
    )
    producer = kafka.producer(endpoints.kafka_bootstrap_servers, client_id="bench-raw")
    await producer.start()
    started = time.perf_counter()
    futures = [
        await producer.send(raw_topic, r.value, key=r.key, headers=r.headers) for r in records
    ]
    await asyncio.gather(*futures)
    raw_elapsed = time.perf_counter() - started
    await producer.stop()
    assert decode(records[0].key, records[0].value, records[0].headers) == envelopes[0]
    return (
        f"{len(envelopes) / relay_elapsed:8.0f} events/s",
        f"{len(records) / raw_elapsed:8.0f} msgs/s",
        f"p50 {pct(latencies, 0.5) * 1000:5.1f} ms  p99 {pct(latencies, 0.99) * 1000:5.1f} ms",
    )


async def main() -> None:
    var_dir = Path("var") / f"bench-{uuid.uuid4().hex[:6]}"
    var_dir.mkdir(parents=True)
    settings = PlatformSettings(
        _env_file=None,
        var_dir=var_dir,
        broker_port=free_port(),
        topic_prefix="bench",
        relay_probe_interval_s=1.0,
    )
    endpoints = ensure_infra(settings)
    try:
        await migrate_database(endpoints.database_url)
        pool = await create_pool(endpoints.database_url, max_size=CONCURRENCY + 4)
        try:
            append, raw_append = await bench_append(pool)
            relay, raw_produce, latency = await bench_relay(settings, endpoints, pool)
        finally:
            await pool.close()
    finally:
        stop_infra(settings)
        shutil.rmtree(var_dir, ignore_errors=True)
    print(f"\nlapor bench  (2 cores, concurrency {CONCURRENCY}, embedded PostgreSQL 16 + Tansu)")
    print(f"  store append, {APPENDS} single-event commands   {append}")
    print(f"    raw limit: asyncpg INSERT, same rows, no store {raw_append}")
    print(f"  relay publish, {RELAY_EVENTS} events from outbox  {relay}")
    print(f"    raw limit: aiokafka produce, same records       {raw_produce}")
    print(f"  relay latency, commit -> consumer ({LATENCY_SAMPLES} single appends) {latency}")
    print("  target (later): append >= 2,000 commands/s with p99 < 20 ms\n")


if __name__ == "__main__":
    asyncio.run(main())
