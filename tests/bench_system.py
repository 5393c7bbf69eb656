"""The whole-system part of `make bench`: intake over HTTP, filing -> agency queue latency and the
full rebuild of the read models, each beside the raw limit measured in the same run.

`python -m tests.bench_system raw-server <port>` serves the bare FastAPI endpoint that is the
intake benchmark's raw limit (started by the bench itself)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request

from events import catalog as ev
from events.envelope import Actor, Envelope
from events.hashing import GENESIS, chain_hash
from events.messages import Submission
from intake.api import Filed
from services.kernel.registry import load_registry
from services.kernel.tracking import tracking_id_for
from services.kernel.workdays import DeadlinePolicy
from services.platform import kafka
from services.platform.db import create_pool
from services.platform.eventstore import ALL_EVENTS_QUERY
from services.platform.eventstore import PostgresEventStore as EventStore
from services.platform.migrate import migrate_database
from services.tooling.embedded import free_port
from services.tooling.settings import ToolingSettings
from tests.e2e.system import ROOT, System, as_channel, complaint_body, system_env

# -- sizes ------------------------------------------------------------------------------------

SCALE = float(os.environ.get("LAPOR_BENCH_SCALE", "1"))
"""Multiplies every benchmark's size (0.1 for a quick check)."""
GROUPS = ("store", "relay", "rebuild", "intake", "e2e", "backfill")
ONLY = {g.strip() for g in os.environ.get("LAPOR_BENCH_ONLY", ",".join(GROUPS)).split(",")} & set(
    GROUPS
)
"""Which benchmarks run (LAPOR_BENCH_ONLY=intake,e2e); all by default."""


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, int(n * SCALE))


BACKFILL_COMPLAINTS = scaled(100_000, 500)
"""Historical complaints the backfill benchmark imports (the issue's minimum at scale 1)."""


INTAKE_REQUESTS = scaled(3000, 200)
INTAKE_CONCURRENCY = 32
PACED_RATE = float(os.environ.get("LAPOR_BENCH_RATE", "200"))
SUSTAINED_RATE = float(os.environ.get("LAPOR_BENCH_SUSTAINED_RATE", "60"))
PACED_SECONDS = max(1.0, 10.0 * SCALE)
REBUILD_COMPLAINTS = scaled(20_000, 200)
QUEUE_AGENCY = "kota-bandung"


# -- figures ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(value: float) -> str:
    return f"{value * 1000:6.1f} ms"


def latency_text(values: list[float], *, worst: bool = False) -> str:
    if not values:
        return "no samples"
    text = f"p50 {ms(pct(values, 0.5))}  p99 {ms(pct(values, 0.99))}"
    return text + (f"  max {ms(max(values))}" if worst else "")


@dataclass
class Report:
    """The table rows (label, figure; a note has no figure) and the targets (text, met), filled
    as benchmarks finish."""

    rows: list[tuple[str, str | None]] = field(default_factory=list)
    targets: list[tuple[str, bool | None]] = field(default_factory=list)
    engine: str = "the embedded broker"

    def row(self, label: str, figure: str) -> None:
        self.rows.append((label, figure))

    def raw(self, label: str, figure: str) -> None:
        self.rows.append((f"  raw limit: {label}", figure))

    def note(self, text: str) -> None:
        self.rows.append((f"  {text}", None))

    def target(self, text: str, met: bool | None) -> None:
        self.targets.append((text, met))

    def print(self, header: str) -> None:
        width = max((len(label) for label, figure in self.rows if figure is not None), default=0)
        width = max([width, *(len(text) + 2 for text, _ in self.targets)]) + 2
        print(f"\n{header}")
        for label, figure in self.rows:
            print(f"  {label}" if figure is None else f"  {label:<{width}}{figure}")
        if self.targets:
            print("  targets:")
        for text, met in self.targets:
            verdict = {True: "met", False: "NOT met", None: "not measured"}[met]
            print(f"    {text:<{width - 2}}{verdict}")
        print(flush=True)


# -- processes this bench starts ----------------------------------------------------------------


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def descendants(pid: int) -> dict[int, bytes]:
    """Every live process below `pid`, with its command line (to recognise it later)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                parents[int(entry.name)] = parent
    found: dict[int, bytes] = {}
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                cmdline = _cmdline(child)
                if cmdline is not None:
                    found[child] = cmdline
                    frontier.append(child)
    return found


def kill_leftovers(processes: dict[int, bytes]) -> None:
    """SIGKILL the processes of a snapshot that still run the same command (never a reused pid)."""
    for pid, cmdline in processes.items():
        if _cmdline(pid) == cmdline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def stop_process(process: subprocess.Popen[bytes], *, sig: int, timeout_s: float) -> None:
    """Signal a process we started, wait, then kill it and whatever it started."""
    if process.poll() is not None:
        return
    below = descendants(process.pid)
    process.send_signal(sig)
    try:
        process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        below |= descendants(process.pid)
        process.kill()
        process.communicate()
    kill_leftovers(below)


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold off SIGINT and SIGTERM while cleaning up (bounded: every wait has a timeout), so that
    a second Ctrl-C cannot leave engines or var dirs behind."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def running_system() -> Iterator[System]:
    """`python -m services run` with private ports, topics and var dir; always cleaned up."""
    var_dir = ROOT / "var" / f"bench-sys-{uuid.uuid4().hex[:6]}"
    var_dir.mkdir(parents=True)
    system = System(var_dir, system_env(var_dir, LAPOR_DEMO_DATA="false"))
    try:
        system.start()
        yield system
    finally:
        with uninterrupted():
            if system.process is not None:
                stop_process(system.process, sig=signal.SIGINT, timeout_s=90)
            system.cleanup()  # `services infra down` for this var dir, then remove it


@contextlib.contextmanager
def raw_server() -> Iterator[str]:
    """The bare FastAPI endpoint in a subprocess; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench_system", "raw-server", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"raw server exited: {log.read().decode()[-2000:]}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{url}/healthz", timeout=1) as response,
                ):
                    if response.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError("the raw server did not start")
                time.sleep(0.1)
            yield url
        finally:
            with uninterrupted():
                stop_process(process, sig=signal.SIGTERM, timeout_s=10)


def serve_raw(port: int) -> None:
    """The raw limit of intake: the same body into the same pydantic model, a 201, nothing else."""
    import uvicorn

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/complaints", status_code=201, response_model=Filed)
    async def file_complaint(submission: Submission, request: Request) -> Filed:
        complaint_id = uuid.uuid4()
        return Filed(
            complaint_id=complaint_id,
            tracking_id="lpr-0000-0000-0000",
            access_token="raw",
            status_url=f"{request.base_url}v1/complaints/lpr-0000-0000-0000",
        )

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


# -- 1. intake over HTTP ------------------------------------------------------------------------


async def post_concurrently(
    url: str, body: dict[str, Any], requests: int, concurrency: int
) -> tuple[float, list[float], int]:
    """`requests` POST /v1/complaints from `concurrency` clients (one connection each);
    returns elapsed seconds, latencies and the number of answers other than 201."""
    clients = [
        httpx.AsyncClient(base_url=url, timeout=30, headers=as_channel(str(body["channel"])))
        for _ in range(concurrency)
    ]
    try:
        for client in clients:  # connect and warm up outside the measurement
            for _ in range(2):
                (await client.post("/v1/complaints", json=body)).raise_for_status()
        remaining = [requests]
        latencies: list[float] = []
        failures = [0]

        async def worker(client: httpx.AsyncClient) -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/complaints", json=body)
                except httpx.HTTPError:
                    failures[0] += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    failures[0] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        return time.perf_counter() - started, latencies, failures[0]
    finally:
        for client in clients:
            await client.aclose()


def intake_figure(
    requests: int, elapsed: float, latencies: list[float], failures: int, unit: str
) -> str:
    failed = f"  ({failures} failed or not 201)" if failures else ""
    return f"{requests / elapsed:8.0f} {unit:<14}{latency_text(latencies)}{failed}"


# -- 2. filing -> agency queue --------------------------------------------------------------------


async def assigned_at_end(bootstrap: str, topic: str, auth: dict) -> AIOKafkaConsumer:
    """A group-less consumer of every partition of `topic`, positioned at its end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10, **auth
    )
    await consumer.start()
    partitions = consumer.partitions_for_topic(topic)
    for _ in range(100):
        if partitions:
            break
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        await asyncio.sleep(0.1)
    if not partitions:
        await consumer.stop()
        raise RuntimeError(f"topic {topic} does not exist")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)  # resolve the end offset now, before anything is sent
    return consumer


async def collect(
    consumer: AIOKafkaConsumer, arrivals: dict[str, float], key: str, stop: asyncio.Event
) -> None:
    """Record the first arrival time of every message, by the JSON field `key` (or the key)."""
    while not stop.is_set():
        for messages in (await consumer.getmany(timeout_ms=50)).values():
            now = time.perf_counter()
            for message in messages:
                ident = json.loads(message.value)[key] if key else message.key.decode()
                arrivals.setdefault(ident, now)


async def paced(rate: float, count: int, send: Callable[[int], Awaitable[None]]) -> float:
    """Start `send(i)` at `rate` per second for `count` items; returns the worst start lag."""
    tasks = []
    worst_lag = 0.0
    started = time.perf_counter()
    for i in range(count):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_lag = max(worst_lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return worst_lag


async def wait_until(arrivals: dict[str, float], wanted: set[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if wanted <= arrivals.keys() or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.05)


async def bench_filing_to_queue(system: System, report: Report, rate: float = PACED_RATE) -> str:
    """Adds the latency row and the target; returns the row of the POSTs' own latency."""
    topic = system.topic(f"agency.{QUEUE_AGENCY}")
    body = complaint_body(category="jalan", region_code="32.73")
    consumer = await assigned_at_end(system.bootstrap, topic, system.auth())
    arrivals: dict[str, float] = {}
    stop = asyncio.Event()
    reader = asyncio.create_task(collect(consumer, arrivals, "complaint_id", stop))
    # At most INTAKE_CONCURRENCY connections, like the intake benchmark: filings the server has
    # no connection for wait in the client's pool (no pool timeout) and that wait is counted.
    limits = httpx.Limits(
        max_connections=INTAKE_CONCURRENCY, max_keepalive_connections=INTAKE_CONCURRENCY
    )
    filed: dict[str, float] = {}
    post_latencies: list[float] = []
    failures = [0]
    try:
        async with httpx.AsyncClient(
            base_url=system.url("intake"),
            timeout=httpx.Timeout(30, pool=None),
            limits=limits,
            headers=as_channel(str(body["channel"])),
        ) as client:

            async def file(_: int) -> None:
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/complaints", json=body)
                except httpx.HTTPError:
                    failures[0] += 1
                    return
                returned = time.perf_counter()
                post_latencies.append(returned - started)
                if response.status_code != 201:
                    failures[0] += 1
                    return
                filed[response.json()["complaint_id"]] = returned

            # Warm up: a few complaints all the way to the queue, outside the measurement.
            await asyncio.gather(*(file(i) for i in range(10)))
            await wait_until(arrivals, set(filed), timeout_s=60)
            filed.clear()
            post_latencies.clear()

            count = int(rate * PACED_SECONDS)
            started = time.perf_counter()
            lag = await paced(rate, count, file)
            achieved = len(filed) / (time.perf_counter() - started)
        await wait_until(arrivals, set(filed), timeout_s=60)
    finally:
        stop.set()
        await reader
        await consumer.stop()
    latencies = [arrivals[c] - t for c, t in filed.items() if c in arrivals]
    report.row(
        f"filing -> agency queue, {rate:.0f}/s for {PACED_SECONDS:.0f} s "
        f"({len(latencies)}/{count} arrived)",
        latency_text(latencies, worst=True),
    )
    if rate == PACED_RATE:
        report.target(
            f"filing -> agency queue p99 < 1 s at {rate:.0f}/s, all arrive",
            bool(latencies) and pct(latencies, 0.99) < 1.0 and len(latencies) == count,
        )
    return (
        latency_text(post_latencies)
        + (f"  ({failures[0]} failed or not 201)" if failures[0] else "")
        + f"  (filed {achieved:.0f}/s; pacing lag max {ms(lag).strip()})"
    )


async def bench_kafka_round_trip(system: System, report: Report) -> None:
    """Raw limit: aiokafka produce -> consume on the same broker, same producer settings."""
    settings = ToolingSettings(_env_file=None)
    topic = system.topic("bench-rtt")
    auth = system.auth()
    await kafka.ensure_topics(system.bootstrap, {topic: settings.agency_partitions}, auth=auth)
    consumer = await assigned_at_end(system.bootstrap, topic, auth)
    idempotent = system.endpoints.get("broker_engine") != "tansu"
    producer = kafka.producer(
        system.bootstrap, client_id="bench-rtt", idempotent=idempotent, auth=auth
    )
    await producer.start()
    arrivals: dict[str, float] = {}
    sent: dict[str, float] = {}
    stop = asyncio.Event()
    reader = asyncio.create_task(collect(consumer, arrivals, "", stop))
    count = int(PACED_RATE * PACED_SECONDS)
    try:

        async def send(i: int) -> None:
            key = f"m{i}"
            sent[key] = time.perf_counter()
            await producer.send_and_wait(topic, b'{"n": %d}' % i, key=key.encode())

        await paced(PACED_RATE, count, send)
        await wait_until(arrivals, set(sent), timeout_s=30)
    finally:
        stop.set()
        await reader
        await consumer.stop()
        await producer.stop()
    latencies = [arrivals[k] - t for k, t in sent.items() if k in arrivals]
    report.raw(
        f"aiokafka produce -> consume, same broker, {PACED_RATE:.0f}/s",
        latency_text(latencies, worst=True),
    )


# -- waiting for the system to settle -------------------------------------------------------------


def system_database_url(system: System) -> str:
    return json.loads((system.var_dir / "infra.json").read_text())["database_url"]


async def wait_quiet(system: System, timeout_s: float = 120) -> float:
    """Wait until the outbox is empty and every event consumer has applied every stream to its
    head (a backlog from the previous benchmark would distort the next). Returns seconds."""
    started = time.monotonic()
    conn = await asyncpg.connect(system_database_url(system))
    try:
        while time.monotonic() - started < timeout_s:
            outbox = await conn.fetchval("SELECT count(*) FROM outbox")
            behind = await conn.fetchval(
                "SELECT count(*) FROM streams s CROSS JOIN "
                "(SELECT DISTINCT consumer FROM consumer_positions) c "
                "LEFT JOIN consumer_positions p "
                "ON p.consumer = c.consumer AND p.complaint_id = s.complaint_id "
                "WHERE coalesce(p.version, 0) < s.version"
            )
            if outbox == 0 and behind == 0:
                break
            await asyncio.sleep(0.25)
    finally:
        await conn.close()
    return time.monotonic() - started


# -- 3. the full rebuild ------------------------------------------------------------------------


def routes() -> list[tuple[str, str, str]]:
    """(category, region, agency) triples the registry's rules dispose clearly."""
    registry = load_registry()
    regions = sorted({a.region_code for a in registry if a.region_code})
    found = []
    for category in sorted(registry.categories):
        for region in regions:
            candidates = registry.candidates(category, region)
            if candidates:
                found.append((category, region, candidates[0][1]))
    return found


def complaint_streams(count: int, policy: DeadlinePolicy) -> Iterator[list[Envelope]]:
    """Realistic closed complaints: filed, verified, disposed, follow-up posted, closed."""
    rng = random.Random(20261123)
    triples = routes()
    channels = ("web", "sms", "mobile-app", "whatsapp", "call-center")
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    for i in range(count):
        complaint_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        category, region, agency = triples[rng.randrange(len(triples))]
        channel = channels[rng.randrange(len(channels))]
        filed_at = base + timedelta(seconds=i * 90 + rng.randrange(90))
        verified_at = filed_at + timedelta(minutes=rng.randrange(5, 900))
        disposed_at = verified_at + timedelta(seconds=rng.randrange(1, 600))
        followed_at = disposed_at + timedelta(hours=rng.randrange(2, 24 * 9))
        closed_at = followed_at + timedelta(hours=rng.randrange(1, 24 * 14))
        title = f"Laporan {category} #{i}"
        steps: list[tuple[ev.Event, Actor, datetime]] = [
            (
                ev.ComplaintFiled(
                    tracking_id=tracking_id_for(complaint_id),
                    kind="complaint",
                    title=title,
                    description="Mohon segera ditindaklanjuti; kejadian berulang sejak bulan "
                    "lalu dan membahayakan warga sekitar.",
                    category=category,
                    region_code=region,
                    channel=channel,
                    anonymous=False,
                    confidential=False,
                    reporter_ref=f"rep_{complaint_id.hex[:20]}",
                    verify_due=policy.verify_due(filed_at),
                    resolution_due=policy.resolution_due(filed_at),
                ),
                Actor(role="channel", id=channel),
                filed_at,
            ),
            (
                ev.ComplaintVerified(
                    title=title,
                    category=category,
                    region_code=region,
                    anonymous=False,
                    confidential=False,
                ),
                Actor(role="national_admin", id="national-admin"),
                verified_at,
            ),
            (
                ev.Disposed(
                    agency_code=agency,
                    rule_id=f"{category}-rule",
                    follow_up_due=policy.follow_up_due(disposed_at),
                ),
                Actor(role="system", id="routing"),
                disposed_at,
            ),
            (
                ev.FollowUpPosted(
                    agency_code=agency,
                    message="Tim sudah turun ke lokasi dan perbaikan dijadwalkan minggu ini.",
                    resolution_proposed=True,
                    reply_due=policy.reply_due(followed_at),
                ),
                Actor(role="agency", id=agency),
                followed_at,
            ),
            (
                ev.ComplaintClosed(reason="resolved" if rng.random() < 0.6 else "reporter_silence"),
                Actor(role="system", id="followup"),
                closed_at,
            ),
        ]
        correlation = uuid.UUID(int=rng.getrandbits(128), version=4)
        stream = []
        causation = None
        for version, (payload, actor, at) in enumerate(steps, start=1):
            envelope = Envelope(
                event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                event_type=payload.event_type,
                schema_version=payload.schema_version,
                complaint_id=complaint_id,
                version=version,
                occurred_at=at,
                actor=actor,
                correlation_id=correlation,
                causation_id=causation,
                payload=payload,
            )
            causation = envelope.event_id
            stream.append(envelope)
        yield stream


def event_rows(
    streams: Iterator[list[Envelope]],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows for `events` (with the hash chain) and `streams`, as the store would write them."""
    events, heads = [], []
    for stream in streams:
        previous = GENESIS
        for envelope in stream:
            record = envelope.to_record()
            digest = chain_hash(previous, record)
            events.append(
                (
                    envelope.complaint_id,
                    envelope.version,
                    envelope.event_id,
                    record["event_type"],
                    record["schema_version"],
                    envelope.occurred_at,
                    json.dumps(record["actor"]),
                    envelope.correlation_id,
                    envelope.causation_id,
                    json.dumps(record["payload"], ensure_ascii=False),
                    previous,
                    digest,
                )
            )
            previous = digest
        heads.append((stream[0].complaint_id, stream[-1].version, previous))
    return events, heads


EVENT_COLUMNS = (
    "complaint_id",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "actor",
    "correlation_id",
    "causation_id",
    "payload",
    "prev_hash",
    "hash",
)


def database_url_for(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def bench_rebuild(database_url: str, report: Report) -> None:
    from reporting import store
    from reporting.ports import consumer_name
    from services.platform.policy import deadline_policy

    settings = ToolingSettings(_env_file=None, topic_prefix="bench")
    policy = deadline_policy(settings)
    name = f"bench_rebuild_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = database_url_for(database_url, name)
    await migrate_database(url)

    started = time.perf_counter()
    events, heads = event_rows(complaint_streams(REBUILD_COMPLAINTS, policy))
    generated = time.perf_counter() - started
    conn = await asyncpg.connect(url)  # plain codecs: jsonb as text, loaded by COPY
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("events", records=events, columns=EVENT_COLUMNS)
            await conn.copy_records_to_table(
                "streams", records=heads, columns=("complaint_id", "version", "last_hash")
            )
        loaded = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE events")  # as autovacuum would have by now
        await conn.execute("VACUUM ANALYZE streams")
    finally:
        await conn.close()

    pool = await create_pool(url, max_size=2)
    try:
        sample = [heads[i][0] for i in range(0, len(heads), max(1, len(heads) // 20))]
        broken = [b for c in sample for b in await EventStore(pool).verify_chains(c)]
        if broken:
            raise AssertionError(f"generated hash chains do not verify: {broken[:3]}")

        # Raw limit 1: read the same events, same query, same codecs, no projection.
        async with pool.acquire() as c, c.transaction():
            started = time.perf_counter()
            read = 0
            async for _ in c.cursor(ALL_EVENTS_QUERY, prefetch=10_000):
                read += 1
            read_elapsed = time.perf_counter() - started

        started = time.perf_counter()
        count = await store.rebuild(pool, policy.calendar, consumer_name(settings.topic_prefix))
        rebuild_elapsed = time.perf_counter() - started
        digests = await store.digests(pool)

        # Raw limit 2: COPY the very rows the rebuild wrote into scratch copies of its tables.
        async with pool.acquire() as c:
            complaints = await c.fetch("SELECT * FROM rm_complaints")
            facts = await c.fetch("SELECT * FROM rm_agency_facts")
            positions = await c.fetch("SELECT * FROM consumer_positions")
            tables = {
                "rm_complaints": complaints,
                "rm_agency_facts": facts,
                "consumer_positions": positions,
            }
            async with c.transaction():
                for table in tables:
                    await c.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            async with c.transaction():
                for table, rows in tables.items():
                    await c.copy_records_to_table(
                        f"scratch_{table}", records=[tuple(r) for r in rows]
                    )
            copy_elapsed = time.perf_counter() - started
        copied = sum(len(rows) for rows in tables.values())
    finally:
        await pool.close()

    rate = count / rebuild_elapsed
    report.row(
        f"rebuild read models, {count} events ({len(heads)} complaints)",
        f"{rate:8.0f} events/s  ({rebuild_elapsed:.2f} s)",
    )
    report.raw(
        f"asyncpg COPY of the same {copied} read-model rows",
        f"{copied / copy_elapsed:8.0f} rows/s    ({copy_elapsed:.2f} s)",
    )
    report.raw(
        "asyncpg cursor over the same events, no projection",
        f"{read / read_elapsed:8.0f} events/s  ({read_elapsed:.2f} s)",
    )
    report.note(
        f"rebuild input: {count} events generated in {generated:.1f} s, "
        f"loaded by COPY in {loaded:.1f} s (hash chains filled; sample verified)"
    )
    for table, digest in digests.items():
        report.note(f"  digest {table:<24} rows={digest['rows']:<7} md5 {digest['digest']}")
    report.target("rebuild >= 20,000 events/s", rate >= 20_000)


# -- the system benchmarks, in order --------------------------------------------------------------


def broker_pid(system: System) -> int:
    """The embedded broker's process (recorded by the launcher's `ensure_infra`)."""
    return int(json.loads((system.var_dir / "broker" / "broker.json").read_text())["pid"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """A process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def usage_text(pid: int, cpu_before: float, seconds: float) -> str:
    share = (cpu_seconds(pid) - cpu_before) / seconds * 100
    return f"{share:.0f}% of one core, RSS {rss_mb(pid):.0f} MB"


async def bench_system(system: System, report: Report, raw_intake: str | None) -> None:
    body = complaint_body(category=None)
    engine = system.endpoints.get("broker_engine", "?")
    pid = broker_pid(system)
    await wait_quiet(system)
    before, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(10)
    report.row(
        f"broker ({engine}) at rest, 10 s", usage_text(pid, before, time.monotonic() - started)
    )
    if "intake" in ONLY:
        before, started = cpu_seconds(pid), time.monotonic()
        elapsed, latencies, failures = await post_concurrently(
            system.url("intake"), body, INTAKE_REQUESTS, INTAKE_CONCURRENCY
        )
        settle = await wait_quiet(system)
        load_usage = usage_text(pid, before, time.monotonic() - started)
        report.row(
            f"intake, {INTAKE_REQUESTS} POST /v1/complaints ({INTAKE_CONCURRENCY} clients)",
            intake_figure(INTAKE_REQUESTS, elapsed, latencies, failures, "complaints/s"),
        )
        if raw_intake is not None:
            report.raw("bare FastAPI + same pydantic model, same client", raw_intake)
        report.target(
            "intake >= 1,000 complaints/s with p99 < 50 ms",
            INTAKE_REQUESTS / elapsed >= 1000 and pct(latencies, 0.99) < 0.05 and not failures,
        )
        report.note(f"after intake, the system worked off its backlog in {settle:.1f} s")
        report.row(f"broker ({engine}) under the intake load and its backlog", load_usage)
    if "e2e" in ONLY:
        await wait_quiet(system)
        posts = await bench_filing_to_queue(system, report)
        await bench_kafka_round_trip(system, report)
        report.row("  its POST /v1/complaints, paced", posts)
        # The same at a rate this machine sustains, to show the latency without a backlog.
        await wait_quiet(system)
        posts = await bench_filing_to_queue(system, report, SUSTAINED_RATE)
        report.row("  its POST /v1/complaints, paced", posts)


def run_system_benchmarks(report: Report) -> None:
    """The raw intake limit first (nothing else running), then the system itself."""
    raw_intake = None
    if "intake" in ONLY:
        with raw_server() as url:
            elapsed, latencies, failures = asyncio.run(
                post_concurrently(
                    url, complaint_body(category=None), INTAKE_REQUESTS, INTAKE_CONCURRENCY
                )
            )
        raw_intake = intake_figure(INTAKE_REQUESTS, elapsed, latencies, failures, "requests/s")
    if ONLY & {"intake", "e2e"}:
        with running_system() as system:
            asyncio.run(bench_system(system, report, raw_intake))
    if "backfill" in ONLY:
        from tests.bench_backfill import bench_backfill

        with running_system() as system:  # a system of its own: nothing else loads it
            bench_backfill(system, report, BACKFILL_COMPLAINTS)


if __name__ == "__main__":
    if sys.argv[1:2] == ["raw-server"]:
        serve_raw(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m tests.bench_system raw-server <port> (the bench starts it)")
