"""The whole platform on a three-broker Apache Kafka cluster (replication factor 3,
min.insync.replicas 2, the settings of deploy/kafka/): a broker killed mid-burst, and two
brokers down for a while, lose and duplicate nothing, and no service needs a restart."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.cluster import TOPICS_ENV, Cluster, read_env
from tests.e2e.burst import Burst, converge, pids
from tests.e2e.system import (
    ADMIN,
    ROOT,
    System,
    poll_until,
    started_system,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    root = ROOT / "var" / f"cluster-{uuid.uuid4().hex[:8]}"
    running = Cluster(root)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Iterator[System]:
    topics = read_env(TOPICS_ENV)
    with started_system(
        "e2e-cluster",
        KAFKA_BOOTSTRAP_SERVERS=cluster.bootstrap,
        LAPOR_BROKER_ENGINE="kafka",
        # The launcher provisions topics and ACLs as admin and runs each service as itself.
        LAPOR_BROKER_CREDENTIALS_FILE=str(cluster.credentials_file),
        **topics,
    ) as running:
        yield running


async def leader_of_most_event_partitions(system: System) -> int:
    """The node id leading most partitions of the complaint-events topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap, **system.auth())
    await admin.start()
    try:
        [topic] = await admin.describe_topics([system.topic("complaint-events")])
    finally:
        await admin.close()
    leaders = Counter(p["leader"] for p in topic["partitions"])
    return leaders.most_common(1)[0][0]


async def under_replicated(system: System) -> list[str]:
    """Every partition of the platform's topics whose in-sync replicas are fewer than its
    replicas (a broker that came back has not caught up on it yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap, **system.auth())
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if not n.startswith("__")]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return [
        f"{topic['topic']}/{p['partition']}"
        for topic in described
        for p in topic["partitions"]
        if len(p["isr"]) < len(p["replicas"])
    ]


async def _all_in_sync(system: System) -> bool:
    return not await under_replicated(system)


async def test_killing_the_leading_broker_mid_burst_loses_and_doubles_nothing(system, cluster):
    before = pids(system)
    victim = await leader_of_most_event_partitions(system)
    burst = Burst(system, 1000)

    async def kill_when_underway() -> None:
        await poll_until(lambda: len(burst.http_ids) >= 200, timeout_s=120, what="the burst")
        cluster.kill(victim)

    await asyncio.gather(burst.over_http(), burst.over_the_topic(), kill_when_underway())
    killed_at = time.monotonic()
    accepted = await burst.accepted_on_the_topic()
    seconds = await converge(system, burst, set(accepted.values()))
    print(
        f"\nbroker {victim} killed mid-burst: converged {seconds:.1f}s after the checks began, "
        f"{time.monotonic() - killed_at:.1f}s after the kill (2,000 complaints)"
    )
    await asyncio.to_thread(cluster.start, victim)
    assert cluster.is_up(victim)  # it restarted and rejoined
    assert pids(system) == before  # no service needed a restart


async def test_two_brokers_down_stall_the_flow_which_resumes_when_one_returns(system, cluster):
    before = pids(system)
    # The scenario is two of three brokers down from a healthy cluster: wait until the broker
    # the previous test killed has caught up on every partition (else a partition whose only
    # in-sync copy is on a killed broker has no leader to return).
    await poll_until(
        lambda: _all_in_sync(system), timeout_s=180, what="every partition fully in sync"
    )
    down = [n for n in (1, 2, 3) if cluster.is_up(n)][:2]
    for number in down:
        cluster.kill(number)
    burst = Burst(system, 200)
    await burst.over_http()  # the event store takes them: PostgreSQL is up
    await asyncio.sleep(15)
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            f"{system.url('reporting')}/v1/reports/complaints",
            params={"channel": burst.channels[0], "limit": 1},
            headers=ADMIN,
        )
    assert response.json()["total"] == 0  # stalled: one broker of three cannot take a write
    back = time.monotonic()
    await asyncio.to_thread(cluster.start, down[0])
    await burst.over_the_topic()
    accepted = await burst.accepted_on_the_topic()
    seconds = await converge(system, burst, set(accepted.values()))
    print(
        f"\ntwo brokers down, one back: converged {time.monotonic() - back:.1f}s after it "
        f"returned ({seconds:.1f}s of checks, 400 complaints)"
    )
    await asyncio.to_thread(cluster.start, down[1])
    assert pids(system) == before
