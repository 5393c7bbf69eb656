"""`make bench`: the event store's append rate, the relay's publish rate and latency, intake over
HTTP, filing -> agency queue latency and the full rebuild of the read models, each beside the raw
limit measured in the same run on the same engines. Prints figures and targets; asserts nothing.

LAPOR_BENCH_SCALE=0.1 shrinks every size (quick check); LAPOR_BENCH_ONLY=rebuild,e2e picks
benchmarks (store, relay, rebuild, intake, e2e, backfill). Every process and var dir it starts
is removed again, also on failure or Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from events.binding import decode, encode
from services.platform import kafka
from services.platform.db import create_pool
from services.platform.eventstore import PostgresEventStore as EventStore
from services.platform.migrate import migrate_database
from services.platform.relay import OutboxRelay
from services.tooling.embedded import ADMIN, ensure_infra, free_port, stop_infra
from services.tooling.settings import ToolingSettings
from tests.bench_system import (
    INTAKE_CONCURRENCY,
    ONLY,
    SCALE,
    Report,
    bench_rebuild,
    pct,
    run_system_benchmarks,
    scaled,
    uninterrupted,
)
from tests.integration import helpers

APPENDS = scaled(4000, 100)
CONCURRENCY = 16
RELAY_EVENTS = scaled(20_000, 400) // 4 * 4
LATENCY_SAMPLES = scaled(200, 20)


event_for = helpers.event_for


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


async def bench_append(pool) -> tuple[str, str, bool]:
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
    return ours, raw, APPENDS / elapsed >= 2000 and pct(latencies, 0.99) < 0.02


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
        **kafka.client_auth(settings),
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
        endpoints.kafka_bootstrap_servers,
        {raw_topic: settings.event_partitions},
        auth=kafka.client_auth(settings),
    )
    producer = kafka.producer(
        endpoints.kafka_bootstrap_servers,
        client_id="bench-raw",
        idempotent=settings.idempotent_producer,
        auth=kafka.client_auth(settings),
    )
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


async def session_benchmarks(report: Report) -> None:
    """The store, relay and rebuild benchmarks on one private embedded PostgreSQL and broker."""
    var_dir = Path("var") / f"bench-{uuid.uuid4().hex[:6]}"
    var_dir.mkdir(parents=True)
    settings = ToolingSettings(
        _env_file=None,
        var_dir=var_dir,
        broker_port=free_port(),
        broker_controller_port=free_port(),
        topic_prefix="bench",
        relay_probe_interval_s=1.0,
    )
    try:
        endpoints = ensure_infra(settings, principal=ADMIN)
        report.engine = endpoints.broker_engine
        await migrate_database(endpoints.database_url)
        pool = await create_pool(endpoints.database_url, max_size=CONCURRENCY + 4)
        try:
            if "store" in ONLY:
                append, raw_append, met = await bench_append(pool)
                report.row(f"store append, {APPENDS} single-event commands", append)
                report.raw("asyncpg INSERT, same rows, no store", raw_append)
                report.target("(later) append >= 2,000 commands/s with p99 < 20 ms", met)
            if "relay" in ONLY:
                relay, raw_produce, latency = await bench_relay(settings, endpoints, pool)
                report.row(f"relay publish, {RELAY_EVENTS} events from outbox", relay)
                report.raw("aiokafka produce, same records", raw_produce)
                report.row(
                    f"relay latency, commit -> consumer ({LATENCY_SAMPLES} single appends)",
                    latency,
                )
        finally:
            await pool.close()
        if "rebuild" in ONLY:
            await bench_rebuild(endpoints.database_url, report)
    finally:
        with uninterrupted():
            stop_infra(settings)
            shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM as on Ctrl-C
    report = Report()
    try:
        if ONLY & {"store", "relay", "rebuild"}:
            asyncio.run(session_benchmarks(report))
        run_system_benchmarks(report)
    finally:
        with contextlib.suppress(Exception):
            report.print(
                f"lapor bench  (2 cores, scale {SCALE:g}, store concurrency {CONCURRENCY}, "
                f"HTTP clients {INTAKE_CONCURRENCY}, embedded PostgreSQL 16 + {report.engine})"
            )


if __name__ == "__main__":
    main()
