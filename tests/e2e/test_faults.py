"""Faults on one machine, through the public interfaces, 1,000 complaints filed by retrying
clients per scenario under `python -m services run`: kill -9 of every service, a broker
restart, a PostgreSQL restart, and a full platform restart while a consumer lags. After each,
every acknowledged complaint converges exactly once (tests/e2e/burst.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.tooling.brokers import embedded_broker, recorded_engine
from services.tooling.embedded import EmbeddedPostgres
from services.tooling.settings import ToolingSettings
from tests.deadlines import under_load
from tests.e2e.burst import SERVICES, Burst, converge, pids
from tests.e2e.system import System, poll_until, started_system

DEADLINE_S = 300


@pytest.fixture(scope="module", params=["kafka", "tansu"])
def system(request: pytest.FixtureRequest) -> Iterator[System]:
    """The embedded default (Apache Kafka) and the fallback (Tansu, in memory)."""
    with started_system("e2e-faults", LAPOR_BROKER_ENGINE=request.param) as running:
        yield running


def engines(system: System) -> ToolingSettings:
    """Settings that name this system's embedded engines (to restart them as a fault)."""
    env = system.env
    return ToolingSettings(
        _env_file=None,
        var_dir=system.var_dir,
        broker_port=int(env["LAPOR_BROKER_PORT"]),
        broker_controller_port=int(env["LAPOR_BROKER_CONTROLLER_PORT"]),
        broker_heap_mb=int(env["LAPOR_BROKER_HEAP_MB"]),
    )


async def partition_counts(system: System) -> dict[str, int]:
    """Every topic of this system and its partition count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap, **system.auth())
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(system.topic("")[:-3])]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described}


async def expect_partitions_kept(system: System) -> None:
    counts = await partition_counts(system)
    assert counts[system.topic("complaint-events")] == 6
    assert counts[system.topic("agency.kota-bandung")] == 2
    assert counts[system.topic("intake")] == 6


async def within_deadline(*work: object) -> None:
    await asyncio.wait_for(asyncio.gather(*work), timeout=under_load(DEADLINE_S))  # type: ignore[arg-type]


async def test_every_service_killed_mid_burst_is_restarted_and_nothing_is_lost(system):
    settings = engines(system)
    engine = recorded_engine(settings)
    assert engine == system.env["LAPOR_BROKER_ENGINE"]
    broker_pid = embedded_broker(settings, engine).recorded_pid()
    before = pids(system)
    burst = Burst(system, 1000)

    async def kill_each() -> None:
        for k, name in enumerate(SERVICES):
            await poll_until(
                lambda k=k: len(burst.http_ids) >= 150 * (k + 1), timeout_s=DEADLINE_S, what="load"
            )
            os.kill(before[name], signal.SIGKILL)

    await within_deadline(burst.over_http(), kill_each())
    seconds = await converge(system, burst)

    def restarted() -> dict[str, int] | None:
        try:
            now = pids(system)
        except OSError:
            return None
        return now if all(now[n] != before[n] for n in SERVICES) else None

    await poll_until(restarted, timeout_s=120, what="every service restarted by the launcher")
    assert embedded_broker(settings, engine).recorded_pid() == broker_pid  # engines untouched
    await expect_partitions_kept(system)
    print(
        f"\nkill -9 of each service: converged in {seconds:.1f}s, {burst.redelivered} redeliveries"
    )


async def test_a_broker_restart_mid_burst_loses_nothing(system):
    settings = engines(system)
    broker = embedded_broker(settings, recorded_engine(settings))
    burst = Burst(system, 500)  # 500 over HTTP and 500 on the intake topic

    async def restart_broker() -> None:
        await poll_until(lambda: len(burst.http_ids) >= 150, timeout_s=DEADLINE_S, what="load")
        await asyncio.to_thread(broker.stop)
        await asyncio.to_thread(broker.start)

    restarted_at = time.monotonic()
    await within_deadline(burst.over_http(), burst.over_the_topic(), restart_broker())
    accepted = await burst.accepted_on_the_topic()
    seconds = await converge(system, burst, set(accepted.values()))
    await expect_partitions_kept(system)
    print(
        f"\n[{broker.engine}] broker restart: converged in {seconds:.1f}s of checks, "
        f"{time.monotonic() - restarted_at:.1f}s after the burst began; "
        f"{burst.resent} topic submissions sent again by the channel"
    )


async def test_a_postgres_restart_answers_503_never_500_and_loses_nothing(system):
    postgres = EmbeddedPostgres(engines(system))
    burst = Burst(system, 1000)

    async def restart_postgres() -> None:
        await poll_until(lambda: len(burst.http_ids) >= 300, timeout_s=DEADLINE_S, what="load")
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(5)
        await asyncio.to_thread(postgres.start)

    await within_deadline(burst.over_http(), restart_postgres())
    assert set(burst.statuses) <= {201, 503}, burst.statuses  # never a 500
    assert burst.statuses[503] > 0, burst.statuses  # the outage was seen, and said so
    seconds = await converge(system, burst)
    engine = system.env["LAPOR_BROKER_ENGINE"]
    print(
        f"\n[{engine}] PostgreSQL restart: {burst.statuses[503]} answers 503; "
        f"converged in {seconds:.1f}s"
    )


async def test_a_full_restart_while_a_consumer_lags_strands_nothing(system):
    burst = Burst(system, 1000)
    await within_deadline(burst.over_http())  # acknowledged: in the event store
    output = system.stop()  # at once, while routing and reporting are still catching up
    assert "stopped." in output
    system.start()
    seconds = await converge(system, burst)
    await expect_partitions_kept(system)
    engine = system.env["LAPOR_BROKER_ENGINE"]
    print(f"\n[{engine}] full restart while lagging: converged in {seconds:.1f}s after it")


@pytest.fixture(scope="module")
def replicated() -> Iterator[System]:
    replicas = '{"routing": 2, "reporting": 2}'
    with started_system("e2e-replicas", LAPOR_REPLICAS=replicas) as running:
        yield running


async def group_members(system: System, group: str) -> int:
    """How many members a consumer group has, as its coordinator says."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap, **system.auth())
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [described] = response.to_object()["groups"]
    return len(described["members"])


async def test_two_members_share_a_group_and_one_killed_mid_burst_loses_nothing(replicated):
    system = replicated
    assert {"routing", "routing-2", "reporting", "reporting-2"} <= set(system.endpoints["services"])
    prefix = system.env["LAPOR_TOPIC_PREFIX"]
    for group in (f"{prefix}-routing", f"{prefix}-reporting"):
        await poll_until(
            lambda g=group: _equals(group_members(system, g), 2), what=f"two members in {group}"
        )
    victim = pids(system, ("routing-2",))["routing-2"]
    burst = Burst(system, 1000)

    async def kill_one() -> None:
        await poll_until(lambda: len(burst.http_ids) >= 300, timeout_s=DEADLINE_S, what="load")
        os.kill(victim, signal.SIGKILL)

    await within_deadline(burst.over_http(), kill_one())
    seconds = await converge(system, burst)
    print(f"\none of two routing members killed mid-burst: converged in {seconds:.1f}s")


async def _equals(awaitable, expected) -> bool:  # type: ignore[no-untyped-def]
    return (await awaitable) == expected
