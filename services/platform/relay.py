"""The outbox relay: publishes appended events to the complaint-events topic, in order per
complaint, woken by LISTEN/NOTIFY; puts the history back when the broker comes back empty."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError
from prometheus_client import Counter, Gauge, Histogram

from events.binding import encode_record
from services.platform import kafka
from services.platform.db import TRANSIENT_ERRORS, connect
from services.platform.eventstore import delete_outbox, history_batch, outbox_batch, row_record
from services.platform.logs import get_logger
from services.platform.settings import PlatformSettings

RELAY_LOCK = 7_311_002  # advisory lock key: one active relay per database
CHANNEL = "lapor_outbox"
SOURCE = "urn:lapor:event-store"
QUERY_TIMEOUT_S = 30.0

PUBLISHED = Counter("lapor_relay_published_total", "events published from the outbox")
REPLAYED = Counter("lapor_relay_replayed_total", "events published again after a broker reset")
RESETS = Counter("lapor_relay_broker_resets_total", "times the broker was found to have lost data")
PENDING = Gauge("lapor_relay_outbox_pending", "outbox rows in the last batch read")
BATCH_SECONDS = Histogram("lapor_relay_batch_seconds", "time to publish one outbox batch")

log = get_logger("relay")


class BrokerReset(Exception):
    """The broker has lost what was published to it (a restarted in-memory broker)."""


@dataclass
class RelayStatus:
    """What the relay's health endpoint reports."""

    leader: bool = False
    standby: bool = False
    idle: bool = False
    published: int = 0
    replays: int = 0
    last_publish_at: float | None = None
    last_error: str | None = None
    high_water: dict[int, int] = field(default_factory=dict)
    round_start: dict[int, int] = field(default_factory=dict)


class OutboxRelay:
    """Moves outbox rows to Kafka. Run one per database; extra instances wait as stand-bys.

    Every query runs on the one connection that holds the advisory lock, so each successful
    batch also proves that this relay is still the leader; if that connection is lost, the
    relay stops publishing and competes for the lock again.
    """

    def __init__(self, settings: PlatformSettings, *, database_url: str, bootstrap: str) -> None:
        self.settings = settings
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.auth = kafka.client_auth(settings)  # checked now: no credentials, no relay
        self.topic = settings.events_topic
        self.status = RelayStatus()
        self._wake = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._producer: Any = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Publish until `stopping` is set; survives database and broker outages."""
        while not stopping.is_set():
            try:
                await self._lead(stopping)
            except TRANSIENT_ERRORS as exc:
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("relay.database_lost", error=self.status.last_error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=1.0)

    async def _lead(self, stopping: asyncio.Event) -> None:
        self._conn = await connect(self.database_url)
        try:
            await self._become_leader(stopping)
            if stopping.is_set():
                return
            await self._conn.add_listener(CHANNEL, self._notified)
            await self._serve(stopping)
        finally:
            self.status.leader = self.status.idle = False
            with contextlib.suppress(Exception):
                await self._conn.close()
            await self._close_producer()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _become_leader(self, stopping: asyncio.Event) -> None:
        assert self._conn is not None
        while not stopping.is_set():
            if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                self.status.leader, self.status.standby = True, False
                await self._load_state()
                log.info("relay.leader", topic=self.topic, partitions=len(self.status.high_water))
                return
            self.status.standby = True  # healthy, waiting to take over if the leader goes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=1.0)

    async def _serve(self, stopping: asyncio.Event) -> None:
        needs_replay = False
        next_probe = 0.0
        while not stopping.is_set():
            try:
                await self._ensure_producer()
                if needs_replay:
                    await self._replay_history()
                    needs_replay = False
                while await self._publish_next_batch():
                    pass
                await self._wait_for_work(stopping)
                # At most once per probe interval: a probe opens two broker connections, far
                # too costly to run after every commit under load.
                if not stopping.is_set() and time.monotonic() >= next_probe:
                    await self._probe_broker()
                    next_probe = time.monotonic() + self.settings.relay_probe_interval_s
            except BrokerReset as reset:
                RESETS.inc()
                log.warning("relay.broker_reset", reason=str(reset))
                self.status.high_water.clear()
                self.status.round_start.clear()
                await self._forget_state()
                needs_replay = True
            except (KafkaError, OSError, TimeoutError) as exc:
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("relay.retry", error=self.status.last_error)
                await self._close_producer()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=0.5)

    async def _wait_for_work(self, stopping: asyncio.Event) -> None:
        self.status.idle = True
        wake = asyncio.ensure_future(self._wake.wait())
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait(
            {wake, stop},
            timeout=self.settings.relay_probe_interval_s,
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in (wake, stop):
            task.cancel()
        self.status.idle = False

    async def _ensure_producer(self) -> None:
        if self._producer is None:
            await kafka.ensure_platform_topics(self.bootstrap, self.settings)
            producer = kafka.producer(
                self.bootstrap,
                client_id="lapor-relay",
                idempotent=self.settings.idempotent_producer,
                auth=self.auth,
            )
            await producer.start()
            self._producer = producer

    async def _close_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _publish_next_batch(self) -> bool:
        """Publish the oldest outbox rows still there; True if there may be more."""
        assert self._conn is not None
        # Clear the wake-up first: a NOTIFY arriving while we publish triggers another pass.
        self._wake.clear()
        rows = await outbox_batch(self._conn, self.settings.relay_batch_size, QUERY_TIMEOUT_S)
        PENDING.set(len(rows))
        if not rows:
            return False
        started = time.perf_counter()
        first = await self._publish(rows)
        await delete_outbox(self._conn, [r["position"] for r in rows], QUERY_TIMEOUT_S)
        await self._save_state(first)
        BATCH_SECONDS.observe(time.perf_counter() - started)
        PUBLISHED.inc(len(rows))
        self.status.published += len(rows)
        return len(rows) == self.settings.relay_batch_size

    async def _publish(self, rows: list[asyncpg.Record]) -> dict[int, int]:
        futures = []
        for row in rows:
            record = encode_record(row_record(row), SOURCE)
            futures.append(
                await self._producer.send(
                    self.topic, value=record.value, key=record.key, headers=record.headers
                )
            )
        acks = await asyncio.gather(*futures)
        first: dict[int, int] = {}
        for ack in acks:
            self._check_offset(ack.partition, ack.offset)
            first.setdefault(ack.partition, ack.offset)
        self.status.round_start.update(first)
        self.status.last_publish_at = time.time()
        return first

    async def _load_state(self) -> None:
        """What an earlier leader knew of the broker: a broker that restarted empty while no
        relay ran is caught by the first probe."""
        assert self._conn is not None
        rows = await self._conn.fetch(
            "SELECT partition, high_water, round_start FROM relay_partitions WHERE topic = $1",
            self.topic,
            timeout=QUERY_TIMEOUT_S,
        )
        self.status.high_water = {r["partition"]: r["high_water"] for r in rows}
        self.status.round_start = {r["partition"]: r["round_start"] for r in rows}

    async def _save_state(self, touched: dict[int, int]) -> None:
        assert self._conn is not None
        partitions = sorted(touched)
        await self._conn.execute(
            "INSERT INTO relay_partitions (topic, partition, high_water, round_start) "
            "SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bigint[]) "
            "ON CONFLICT (topic, partition) DO UPDATE SET high_water = excluded.high_water, "
            "round_start = excluded.round_start",
            self.topic,
            partitions,
            [self.status.high_water[p] for p in partitions],
            [self.status.round_start[p] for p in partitions],
            timeout=QUERY_TIMEOUT_S,
        )

    async def _forget_state(self) -> None:
        """Forget the lost broker's offsets, and count the reset: whoever keeps other topics
        (routing, the agency queues) learns from `broker_resets` that they are gone too."""
        if self._conn is not None:
            async with self._conn.transaction():
                await self._conn.execute(
                    "DELETE FROM relay_partitions WHERE topic = $1",
                    self.topic,
                    timeout=QUERY_TIMEOUT_S,
                )
                await self._conn.execute(
                    "UPDATE broker_resets SET resets = resets + 1", timeout=QUERY_TIMEOUT_S
                )

    def _check_offset(self, partition: int, offset: int) -> None:
        # Offsets in a partition only grow; a smaller one means the broker started over.
        high = self.status.high_water.get(partition, -1)
        if offset <= high:
            raise BrokerReset(f"partition {partition} acknowledged offset {offset} after {high}")
        self.status.high_water[partition] = offset

    async def _probe_broker(self) -> None:
        """Check, while idle, that the topic still holds what was acknowledged.

        A broker may report a partition's end as the start of its last batch + 1, so compare it
        with the first offset of the last round published there, which that batch cannot precede.
        """
        if not self.status.round_start:
            return
        topics = await kafka.list_topics(self.bootstrap, auth=self.auth)
        if self.topic not in topics:
            raise BrokerReset(f"topic {self.topic} is gone")
        ends = await kafka.end_offsets(self.bootstrap, self.topic, auth=self.auth)
        for partition, start in self.status.round_start.items():
            if ends.get(partition, 0) <= start:
                raise BrokerReset(
                    f"partition {partition} ends at {ends.get(partition, 0)}, "
                    f"offset {start} was acknowledged"
                )

    async def _replay_history(self) -> None:
        """Publish the whole history again, in global order (consumers skip what they applied)."""
        assert self._conn is not None
        await self._close_producer()
        await self._ensure_producer()
        self.status.replays += 1
        position, total = 0, 0
        log.info("relay.replay_started")
        while True:
            rows = await history_batch(
                self._conn, position, max(self.settings.relay_batch_size, 2000), QUERY_TIMEOUT_S
            )
            if not rows:
                break
            await self._save_state(await self._publish(rows))
            position = rows[-1]["global_position"]
            total += len(rows)
            REPLAYED.inc(len(rows))
        log.info("relay.replay_finished", events=total)
