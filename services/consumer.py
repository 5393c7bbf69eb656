"""Consumers that never stop on bad input: what cannot be decoded or applied goes to the
dead-letter topic with the reason, and the consumer goes on. Complaint-event consumers also skip
what they have already applied (delivery is at-least-once)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from events.binding import decode as decode_event
from events.envelope import Envelope
from services import kafka
from services.eventstore import EventStore
from services.logs import get_logger
from services.settings import PlatformSettings

T = TypeVar("T")

HANDLED = Counter("lapor_consumer_handled_total", "messages handled", ["consumer"])
DEAD_LETTERED = Counter(
    "lapor_consumer_dead_lettered_total", "messages sent to the dead-letter topic", ["consumer", "stage"]
)
GAPS_FILLED = Counter(
    "lapor_consumer_gaps_filled_total", "events read from the store to fill a gap", ["consumer"]
)
DUPLICATES = Counter("lapor_consumer_duplicates_total", "events skipped as already applied", ["consumer"])

log = get_logger("consumer")


def dead_letter_headers(
    message: ConsumerRecord[bytes, bytes], *, consumer: str, stage: str, reason: str
) -> list[tuple[str, bytes]]:
    """The original headers plus where the message came from and why it was set aside."""
    extra = {
        "dlq_reason": reason[:4000],
        "dlq_stage": stage,
        "dlq_consumer": consumer,
        "dlq_topic": message.topic,
        "dlq_partition": str(message.partition),
        "dlq_offset": str(message.offset),
        "dlq_at": f"{time.time():.3f}",
    }
    return [*(message.headers or ()), *((k, v.encode()) for k, v in extra.items())]


class DeadLetteringConsumer(Generic[T]):
    """Decode each message, hand it to a handler, dead-letter failures, commit after each batch."""

    def __init__(
        self,
        settings: PlatformSettings,
        bootstrap: str,
        *,
        name: str,
        topics: list[str],
        decode: Callable[[ConsumerRecord[bytes, bytes]], T],
        handle: Callable[[T], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.name = name
        self.topics = topics
        self.decode = decode
        self.handle = handle
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set."""
        await kafka.ensure_topics(self.bootstrap, kafka.platform_topics(self.settings))
        self._consumer = kafka.consumer(
            self.bootstrap, self.settings, *self.topics, group_id=self.name, client_id=self.name
        )
        self._producer = kafka.producer(self.bootstrap, client_id=f"{self.name}-dlq")
        await self._producer.start()
        await self._consumer.start()
        try:
            while not stopping.is_set():
                batches = await self._consumer.getmany(timeout_ms=200, max_records=1000)
                if self._consumer.assignment():
                    self.ready.set()
                for messages in batches.values():
                    for message in messages:
                        await self._process(message)
                if batches:
                    with contextlib.suppress(KafkaError):
                        # A failed commit only means re-delivery: the handlers are idempotent.
                        await self._consumer.commit()
        finally:
            await self._consumer.stop()
            await self._producer.stop()

    async def _process(self, message: ConsumerRecord[bytes, bytes]) -> None:
        try:
            item = self.decode(message)
        except Exception as exc:
            await self._dead_letter(message, "decode", f"{type(exc).__name__}: {exc}")
            return
        try:
            await self.handle(item)
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            await self._dead_letter(message, "apply", detail)
            return
        HANDLED.labels(self.name).inc()

    async def _dead_letter(
        self, message: ConsumerRecord[bytes, bytes], stage: str, reason: str
    ) -> None:
        assert self._producer is not None
        log.warning(
            "consumer.dead_letter", consumer=self.name, stage=stage, reason=reason,
            topic=message.topic, partition=message.partition, offset=message.offset,
        )
        # Wait for the broker's acknowledgement before the offset can be committed: nothing lost.
        await self._producer.send_and_wait(
            self.settings.dead_letter_topic,
            value=message.value,
            key=message.key,
            headers=dead_letter_headers(message, consumer=self.name, stage=stage, reason=reason),
        )
        DEAD_LETTERED.labels(self.name, stage).inc()


def decode_record(message: ConsumerRecord[bytes, bytes]) -> Envelope:
    """Decode a complaint-event record through the CloudEvents binding and the registry."""
    return decode_event(message.key, message.value, message.headers)


class AppliedVersions:
    """The last version of each complaint a consumer applied, kept in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, consumer: str) -> None:
        self.pool = pool
        self.consumer = consumer
        self._cache: dict[UUID, int] = {}

    async def last(self, complaint_id: UUID) -> int:
        """The last version applied for a complaint (0 if none)."""
        if complaint_id not in self._cache:
            async with self.pool.acquire() as conn:
                version = await conn.fetchval(
                    "SELECT version FROM consumer_positions WHERE consumer = $1 AND complaint_id = $2",
                    self.consumer,
                    complaint_id,
                )
            self._cache[complaint_id] = int(version or 0)
        return self._cache[complaint_id]

    async def record(self, complaint_id: UUID, version: int, conn: Any = None) -> None:
        """Remember that `version` was applied (in the caller's transaction when given)."""
        sql = (
            "INSERT INTO consumer_positions (consumer, complaint_id, version) VALUES ($1, $2, $3) "
            "ON CONFLICT (consumer, complaint_id) DO UPDATE SET version = excluded.version "
            "WHERE consumer_positions.version < excluded.version"
        )
        if conn is None:
            async with self.pool.acquire() as own:
                await own.execute(sql, self.consumer, complaint_id, version)
        else:
            await conn.execute(sql, self.consumer, complaint_id, version)
        self._cache[complaint_id] = max(version, self._cache.get(complaint_id, 0))


def event_consumer(
    settings: PlatformSettings,
    bootstrap: str,
    *,
    name: str,
    applied: AppliedVersions,
    store: EventStore,
    handle: Callable[[Envelope], Awaitable[None]],
) -> DeadLetteringConsumer[Envelope]:
    """A consumer of the complaint-events topic that applies each event once, in stream order.

    A version that arrives before its predecessors (possible right after a broker reset, when a
    consumer briefly reads from a stale position) is preceded by the missing events, read from
    the event store, the record of truth.
    """

    async def apply_once(envelope: Envelope) -> None:
        last = await applied.last(envelope.complaint_id)
        if envelope.version <= last:
            DUPLICATES.labels(name).inc()
            return
        missing = []
        if envelope.version > last + 1:
            missing = await store.read_stream(envelope.complaint_id, from_version=last + 1)
            missing = [e for e in missing if e.version < envelope.version]
            GAPS_FILLED.labels(name).inc()
        for event in [*missing, envelope]:
            await handle(event)
            await applied.record(event.complaint_id, event.version)

    return DeadLetteringConsumer(
        settings,
        bootstrap,
        name=name,
        topics=[settings.events_topic],
        decode=decode_record,
        handle=apply_once,
    )
