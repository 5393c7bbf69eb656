"""The outbox relay against the real broker: order per complaint, late commits, broker restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer

from events import Envelope
from events.binding import DecodeError, decode
from services.platform import kafka
from services.platform.batch_consumer import batch_event_consumer
from services.platform.eventstore import PostgresEventStore as EventStore
from services.platform.ports import ConcurrencyError
from services.platform.relay import RELAY_LOCK, OutboxRelay
from services.tooling.brokers import EmbeddedTansu, embedded_broker
from services.tooling.embedded import free_port
from tests.integration.helpers import event_for, eventually, per_event, running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tansu(platform_settings, infra):
    """The fallback broker beside the default one: same database, its own port and topics."""
    settings = platform_settings.model_copy(
        update={
            "broker_port": free_port(),
            "broker_engine": "tansu",
            "var_dir": platform_settings.var_dir / "tansu",
            "topic_prefix": f"{platform_settings.topic_prefix}-tansu",
            "broker_security_protocol": "PLAINTEXT",  # Tansu cannot authenticate
        }
    )
    broker = EmbeddedTansu(settings)
    broker.start()
    yield (
        settings,
        dataclasses.replace(infra, kafka_bootstrap_servers=broker.bootstrap, broker_engine="tansu"),
    )
    broker.stop()


def relay_for(platform_settings, infra) -> OutboxRelay:
    return OutboxRelay(
        platform_settings, database_url=infra.database_url, bootstrap=infra.kafka_bootstrap_servers
    )


async def collect(platform_settings, infra, wanted: set[uuid.UUID], seen: dict, stopping):
    auth = kafka.client_auth(platform_settings)
    await kafka.ensure_topics(
        infra.kafka_bootstrap_servers, kafka.platform_topics(platform_settings), auth=auth
    )
    consumer = AIOKafkaConsumer(
        platform_settings.events_topic,
        bootstrap_servers=infra.kafka_bootstrap_servers,
        **auth,
        group_id=f"collector-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        session_timeout_ms=4000,
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            for messages in batches.values():
                for m in messages:
                    try:
                        env = decode(m.key, m.value, m.headers)
                    except DecodeError:
                        continue  # another test's deliberately bad message
                    if env.complaint_id in wanted:
                        seen[env.complaint_id].append(env.version)
    finally:
        await consumer.stop()


async def append_racing(store: EventStore, complaint: uuid.UUID, until: int) -> None:
    """Append the next event whenever possible until the stream reaches `until`."""
    while True:
        current = await store.stream_version(complaint)
        if current >= until:
            return
        try:
            await store.append(complaint, current, [event_for(complaint, current + 1)])
        except ConcurrencyError:
            await asyncio.sleep(random.random() / 200)


async def test_concurrent_appenders_are_delivered_in_per_complaint_order(
    platform_settings, infra, store
):
    complaints = [uuid.uuid4() for _ in range(20)]
    per_complaint = 25
    seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    async with (
        running(relay_for(platform_settings, infra).run),
        running(lambda stop: collect(platform_settings, infra, set(complaints), seen, stop)),
    ):
        # Two racing writers per complaint, all complaints at once.
        await asyncio.gather(
            *(append_racing(store, c, per_complaint) for c in complaints for _ in range(2))
        )
        await eventually(
            lambda: sum(len(v) for v in seen.values()) >= len(complaints) * per_complaint,
            what="every event on the topic",
        )
    for complaint in complaints:
        assert seen[complaint] == list(range(1, per_complaint + 1)), complaint


async def test_a_row_that_commits_late_is_still_published(platform_settings, infra, store, pool):
    """The classic outbox bug: position N+1 commits and is published before position N commits."""
    slow, fast = uuid.uuid4(), uuid.uuid4()
    seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    async with (
        running(relay_for(platform_settings, infra).run),
        running(lambda stop: collect(platform_settings, infra, {slow, fast}, seen, stop)),
    ):
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            # Take a lower outbox position in a transaction that stays open.
            await conn.execute(
                "INSERT INTO outbox (global_position, complaint_id, version) VALUES (0, $1, 0)",
                slow,
            )
            await store.append(fast, 0, [event_for(fast, 1)])
            await eventually(lambda: seen[fast] == [1], what="the later position published")
            await tx.rollback()
        await store.append(slow, 0, [event_for(slow, 1)])
        await eventually(lambda: seen[slow] == [1], what="the late row published")


async def test_the_relay_wakes_on_notify_not_on_a_poll(platform_settings, infra, store):
    complaint = uuid.uuid4()
    slow_probe = platform_settings.model_copy(update={"relay_probe_interval_s": 30.0})
    relay = relay_for(slow_probe, infra)
    async with running(relay.run):
        # Idle: the outbox is drained and the relay waits, for up to 30 s unless notified.
        await eventually(lambda: relay.status.idle, what="the relay waiting for work")
        before = relay.status.published
        await store.append(complaint, 0, [event_for(complaint, 1)])
        await eventually(lambda: relay.status.published > before, timeout_s=5, what="publish")


async def test_the_relay_recovers_its_lock_connection(platform_settings, infra, store, pool):
    relay = relay_for(platform_settings, infra)
    async with running(relay.run):
        await eventually(lambda: relay.status.idle, what="the relay leading and idle")
        async with pool.acquire() as conn:
            killed = await conn.fetchval(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = $1 AND granted",
                RELAY_LOCK,
            )
        assert killed
        complaint = uuid.uuid4()
        before = relay.status.published
        await store.append(complaint, 0, [event_for(complaint, 1)])
        await eventually(lambda: relay.status.published > before, what="publishing again")
        assert relay.status.leader
        assert relay.status.last_error is not None  # it noticed the loss and re-led


@pytest.mark.parametrize("engine", ["kafka", "tansu"])
async def test_a_broker_restart_mid_stream_loses_nothing_downstream(
    engine, request, platform_settings, infra, store, pool
):
    """Apache Kafka keeps its log across the restart; Tansu (the in-memory fallback) comes back
    empty and the relay puts the history back. Either way every event is applied once."""
    if engine == "tansu":
        platform_settings, infra = request.getfixturevalue("tansu")
    complaints = [uuid.uuid4() for _ in range(10)]
    applied: dict[uuid.UUID, list[int]] = defaultdict(list)

    async def handle(envelope: Envelope, conn) -> None:
        if envelope.complaint_id in complaints:
            applied[envelope.complaint_id].append(envelope.version)

    consumer = batch_event_consumer(
        platform_settings,
        infra.kafka_bootstrap_servers,
        name=f"restart-{uuid.uuid4().hex[:6]}",
        pool=pool,
        handle=per_event(handle),
    )
    broker = embedded_broker(platform_settings, engine)
    relay = relay_for(platform_settings, infra)

    def count() -> int:
        return sum(len(v) for v in applied.values())

    async with running(relay.run), running(consumer.run):
        for complaint in complaints:
            await append_racing(store, complaint, 5)
        await eventually(lambda: count() == 50, what="first half applied")

        await asyncio.to_thread(broker.stop)
        for complaint in complaints[:5]:  # appended while the broker is down
            await append_racing(store, complaint, 8)
        await asyncio.to_thread(broker.start)
        for complaint in complaints:  # and after it came back
            await append_racing(store, complaint, 10)

        await eventually(lambda: count() >= 100, timeout_s=90, what="everything applied")
        if engine == "tansu":
            await eventually(lambda: relay.status.replays >= 1, what="the relay noticing the reset")
    if engine == "kafka":
        assert relay.status.replays == 0  # nothing was lost, so nothing was put back
    for complaint in complaints:
        assert applied[complaint] == list(range(1, 11)), complaint


async def test_a_second_relay_waits_as_stand_by_and_takes_over(platform_settings, infra, store):
    first, second = relay_for(platform_settings, infra), relay_for(platform_settings, infra)
    stop_first = asyncio.Event()
    first_task = asyncio.create_task(first.run(stop_first))
    try:
        await eventually(lambda: first.status.leader, what="the first relay leading")
        async with running(second.run):
            await eventually(lambda: second.status.standby, what="the second relay waiting")
            assert not second.status.leader
            stop_first.set()
            await asyncio.wait_for(first_task, timeout=30)
            await eventually(lambda: second.status.leader, what="the stand-by taking over")
            complaint = uuid.uuid4()
            before = second.status.published
            await store.append(complaint, 0, [event_for(complaint, 1)])
            await eventually(
                lambda: second.status.published > before, what="the new leader publishing"
            )
    finally:
        stop_first.set()
        await asyncio.gather(first_task, return_exceptions=True)


async def test_a_relay_started_after_the_broker_lost_everything_puts_the_history_back(tansu, store):
    """The relay's view of the broker survives a relay restart (in PostgreSQL): a fresh relay
    on a broker that came back empty while no relay ran still replays the whole history."""
    platform_settings, infra = tansu
    complaint = uuid.uuid4()
    first = relay_for(platform_settings, infra)
    async with running(first.run):
        await append_racing(store, complaint, 3)
        await eventually(lambda: first.status.published >= 3, what="the first relay publishing")
    broker = EmbeddedTansu(platform_settings)
    await asyncio.to_thread(broker.stop)  # the whole platform went down ...
    await asyncio.to_thread(broker.start)  # ... and the in-memory broker came back empty
    second = relay_for(platform_settings, infra)
    seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    async with running(second.run):
        await append_racing(store, complaint, 5)
        await eventually(lambda: second.status.replays >= 1, what="the second relay replaying")
        collecting = asyncio.Event()
        collector = asyncio.create_task(
            collect(platform_settings, infra, {complaint}, seen, collecting)
        )
        await eventually(lambda: sorted(set(seen[complaint])) == [1, 2, 3, 4, 5], what="history")
        collecting.set()
        await collector
