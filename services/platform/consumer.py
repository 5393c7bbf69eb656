"""Consumers that never stop on bad input: what cannot be decoded or applied goes to the
dead-letter topic with the reason, and the consumer goes on. Complaint-event consumers also skip
what they have already applied (delivery is at-least-once).
Kept in one module: fetching, rebalancing, stall detection and dead-lettering are one
loop's states."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from events.binding import decode as decode_event
from events.envelope import Envelope
from services.platform import kafka
from services.platform.db import TRANSIENT_ERRORS
from services.platform.logs import get_logger, log_batch_lines, message_line
from services.platform.settings import PlatformSettings

T = TypeVar("T")

HANDLED = Counter("lapor_consumer_handled_total", "messages handled", ["consumer"])
DEAD_LETTERED = Counter(
    "lapor_consumer_dead_lettered_total",
    "messages sent to the dead-letter topic",
    ["consumer", "stage"],
)
GAPS_FILLED = Counter(
    "lapor_consumer_gaps_filled_total", "events read from the store to fill a gap", ["consumer"]
)
DUPLICATES = Counter(
    "lapor_consumer_duplicates_total", "events skipped as already applied", ["consumer"]
)

log = get_logger("consumer")

RETRIED: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, KafkaError)
"""Failures of the infrastructure (database, broker), not of the message: never dead-lettered;
the message comes again once the consumer has reconnected."""


def dead_letter_headers(
    headers: Iterable[tuple[str, bytes]] | None,
    *,
    topic: str,
    partition: int,
    offset: int,
    consumer: str,
    stage: str,
    reason: str,
) -> list[tuple[str, bytes]]:
    """The original headers plus where the message came from and why it was set aside."""
    extra = {
        "dlq_reason": reason[:4000],
        "dlq_stage": stage,
        "dlq_consumer": consumer,
        "dlq_topic": topic,
        "dlq_partition": str(partition),
        "dlq_offset": str(offset),
        "dlq_at": f"{time.time():.3f}",
    }
    return [*(headers or ()), *((k, v.encode()) for k, v in extra.items())]


class _RestartFromCommitted(ConsumerRebalanceListener):  # type: ignore[misc]
    """On every assignment, a partition without a committed offset is read from its beginning.

    A broker that restarts empty forgets the group's offsets, yet a member may rejoin holding
    its old in-memory positions, which point into the middle of the new, replayed log. Starting
    such partitions over loses nothing: the handlers skip what they already applied.
    """

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.partition_counts: dict[str, int] = {}

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.partition_counts = {
            topic: len(self.consumer.partitions_for_topic(topic) or ())
            for topic in self.consumer.subscription()
        }
        for tp in assigned:
            if await self.consumer.committed(tp) is None:
                await self.consumer.seek_to_beginning(tp)


async def stop_quietly(consumer: AIOKafkaConsumer) -> None:
    """Stop a client whose broker may be gone. aiokafka can raise its fetcher's cancellation
    out of `stop()`; that is not ours to propagate unless this task itself is being cancelled."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.warning("consumer.stop_cancelled")


def _reshaped(consumer: AIOKafkaConsumer, counts: dict[str, int]) -> bool:
    return any(
        len(consumer.partitions_for_topic(topic) or ()) not in (0, count)
        for topic, count in counts.items()
    )


class Progress:
    """Whether a consumer is getting through its backlog: `stalled_for` counts the seconds since
    fetched messages began to wait for a batch to complete (0 when nothing waits)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._waiting_since: float | None = None

    def working(self) -> None:
        """Messages were fetched and wait to be applied (the first wait counts)."""
        if self._waiting_since is None:
            self._waiting_since = self._clock()

    def done(self) -> None:
        """Everything fetched is applied and committed."""
        self._waiting_since = None

    def stalled_for(self) -> float:
        """Seconds the oldest fetched, unapplied messages have waited."""
        return 0.0 if self._waiting_since is None else self._clock() - self._waiting_since


class InFlight:
    """The messages being handled now, concurrently: `stalled_for` is the age of the oldest (0
    when none is), so a message stuck on a retry loop shows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: dict[int, float] = {}
        self._next = 0

    def begin(self) -> int:
        """One more message in hand; returns its ticket for `end`."""
        self._next += 1
        self._started[self._next] = self._clock()
        return self._next

    def end(self, ticket: int) -> None:
        """The message is handled (applied or set aside)."""
        self._started.pop(ticket, None)

    def stalled_for(self) -> float:
        """Seconds the oldest message in hand has been at it."""
        return self._clock() - min(self._started.values()) if self._started else 0.0


class DeadLetteringConsumer(Generic[T]):
    """Decode each message, hand it to a handler, dead-letter failures, commit after each batch."""

    def __init__(
        self,
        settings: PlatformSettings,
        bootstrap: str,
        *,
        name: str,
        topics: list[str] | None = None,
        pattern: str | None = None,
        decode: Callable[[ConsumerRecord[bytes, bytes]], T],
        handle: Callable[[T], Awaitable[None]],
        handle_batch: Callable[[list[T]], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.name = name
        if (topics is None) == (pattern is None):
            raise ValueError("give the topics or a pattern, not both")
        self.topics = topics
        self.pattern = pattern  # topics created later join within metadata_max_age_ms
        self.decode = decode
        self.handle = handle
        self.handle_batch = handle_batch
        self.ready = asyncio.Event()
        self.progress = Progress()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; a broker that lost our group is caught up from the
        start (handlers are idempotent), and a client stuck outside its group is recreated."""
        await kafka.ensure_platform_topics(self.bootstrap, self.settings)
        self._producer = kafka.producer(
            self.bootstrap,
            client_id=f"{self.name}-dlq",
            idempotent=self.settings.idempotent_producer,
            auth=kafka.client_auth(self.settings),
        )
        await self._producer.start()
        try:
            while not stopping.is_set():
                try:
                    await self._consume_until_stuck(stopping)
                except (KafkaError, *TRANSIENT_ERRORS) as exc:
                    # Nothing past the failed message was committed: it will come again.
                    log.warning("consumer.retry", consumer=self.name, error=repr(exc))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), timeout=1.0)
        finally:
            await self._producer.stop()

    async def _consume_until_stuck(self, stopping: asyncio.Event) -> None:
        consumer = kafka.consumer(
            self.bootstrap, self.settings, group_id=self.name, client_id=self.name
        )
        listener = _RestartFromCommitted(consumer)
        if self.pattern is not None:
            consumer.subscribe(pattern=self.pattern, listener=listener)
        else:
            consumer.subscribe(self.topics or [], listener=listener)
        self._consumer = consumer
        await consumer.start()
        committed: dict[TopicPartition, int] = {}
        last_probe = last_assigned = time.monotonic()
        had_partitions = False
        patience = 3 * self.settings.session_timeout_s + 5
        try:
            while not stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=1000)
                now = time.monotonic()
                if consumer.assignment():
                    self.ready.set()
                    had_partitions, last_assigned = True, now
                elif had_partitions and now - last_assigned > patience:
                    # Lost every partition and never got any back: the group may be gone with
                    # the broker's memory. (A member idle from the start, in a group with more
                    # members than partitions, is left alone.)
                    log.warning("consumer.recreate", consumer=self.name, reason="no assignment")
                    return
                if batches:
                    self.progress.working()
                    await self._process_fetched(list(batches.values()))
                if batches:
                    try:
                        await consumer.commit()
                        committed = {
                            tp: await consumer.position(tp) for tp in consumer.assignment()
                        }
                    except KafkaError:
                        pass  # a failed commit only means re-delivery: the handlers are idempotent
                    self.progress.done()
                if now - last_probe > self.settings.session_timeout_s / 2:
                    last_probe = now
                    if committed and await self._broker_forgot(consumer, committed):
                        committed = {}
                    if _reshaped(consumer, listener.partition_counts):
                        # A re-created topic with another partition count: join afresh.
                        log.warning(
                            "consumer.recreate", consumer=self.name, reason="topic reshaped"
                        )
                        return
        finally:
            await stop_quietly(consumer)

    async def _broker_forgot(
        self, consumer: AIOKafkaConsumer, committed: dict[TopicPartition, int | None]
    ) -> bool:
        """True (and rewound) when offsets this member committed are gone from the broker."""
        for tp, offset in committed.items():
            if offset is None or tp not in consumer.assignment():
                continue
            try:
                now = await asyncio.wait_for(consumer.committed(tp), timeout=2)
            except (KafkaError, TimeoutError):
                return False
            if now is None or now < offset:
                log.warning("consumer.broker_reset", consumer=self.name, partition=tp.partition)
                await consumer.seek_to_beginning(*consumer.assignment())
                return True
        return False

    async def _process_fetched(self, partitions: list[list[ConsumerRecord[bytes, bytes]]]) -> None:
        if self.handle_batch is not None:
            await self._process_batch([m for messages in partitions for m in messages])
            return
        # Partitions in parallel, each in order: one complaint's events stay in sequence.
        results = await asyncio.gather(
            *(self._process_in_order(messages) for messages in partitions), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _process_in_order(self, messages: list[ConsumerRecord[bytes, bytes]]) -> None:
        for message in messages:
            await self._process(message)

    async def _process_batch(self, messages: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Decode all, apply all in one go; if the batch fails, apply one by one so that only
        the culprit is dead-lettered."""
        assert self.handle_batch is not None
        decoded = []
        for message in messages:
            try:
                decoded.append((message, self.decode(message)))
            except Exception as exc:
                with message_line(self.name, message) as line:
                    line["outcome"] = "dead_lettered"
                    await self._dead_letter(message, "decode", f"{type(exc).__name__}: {exc}")
        if not decoded:
            return
        started = time.perf_counter()
        try:
            await self.handle_batch([item for _, item in decoded])
        except RETRIED:
            log_batch_lines(self.name, decoded, time.perf_counter() - started, "retried")
            raise
        except Exception:
            for message, item in decoded:
                with message_line(self.name, message, item) as line:
                    try:
                        await self.handle_batch([item])
                    except RETRIED:
                        line["outcome"] = "retried"
                        raise
                    except Exception as exc:
                        line["outcome"] = "dead_lettered"
                        detail = "".join(traceback.format_exception_only(exc)).strip()
                        await self._dead_letter(message, "apply", detail)
                    else:
                        HANDLED.labels(self.name).inc()
            return
        log_batch_lines(self.name, decoded, time.perf_counter() - started, "applied")
        HANDLED.labels(self.name).inc(len(decoded))

    async def _process(self, message: ConsumerRecord[bytes, bytes]) -> None:
        try:
            item = self.decode(message)
        except Exception as exc:
            with message_line(self.name, message) as line:
                line["outcome"] = "dead_lettered"
                await self._dead_letter(message, "decode", f"{type(exc).__name__}: {exc}")
            return
        with message_line(self.name, message, item) as line:
            try:
                await self.handle(item)
            except RETRIED:
                line["outcome"] = "retried"
                raise  # the infrastructure, not the message: retry it, never set it aside
            except Exception as exc:
                line["outcome"] = "dead_lettered"
                detail = "".join(traceback.format_exception_only(exc)).strip()
                await self._dead_letter(message, "apply", detail)
                return
        HANDLED.labels(self.name).inc()

    async def _dead_letter(
        self, message: ConsumerRecord[bytes, bytes], stage: str, reason: str
    ) -> None:
        assert self._producer is not None
        log.warning(
            "consumer.dead_letter",
            consumer=self.name,
            stage=stage,
            reason=reason,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        # Wait for the broker's acknowledgement before the offset can be committed: nothing lost.
        await self._producer.send_and_wait(
            self.settings.dead_letter_topic,
            value=message.value,
            key=message.key,
            headers=dead_letter_headers(
                message.headers,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                consumer=self.name,
                stage=stage,
                reason=reason,
            ),
        )
        DEAD_LETTERED.labels(self.name, stage).inc()


def decode_record(message: ConsumerRecord[bytes, bytes]) -> Envelope:
    """Decode a complaint-event record through the CloudEvents binding and the registry."""
    return decode_event(message.key, message.value, message.headers)
