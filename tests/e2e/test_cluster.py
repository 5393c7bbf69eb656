"""The whole platform on a three-broker Apache Kafka cluster (replication factor 3,
min.insync.replicas 2, the settings of deploy/kafka/): a broker killed mid-burst, and two
brokers down for a while, lose and duplicate nothing, and no service needs a restart."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.cluster import TOPICS_ENV, Cluster, read_env
from tests.e2e.system import (
    ADMIN,
    ROOT,
    System,
    TopicReader,
    complaint_body,
    poll_until,
    publish,
    system_env,
)

SERVICES = ("relay", "intake", "routing", "followup", "reporting")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = Cluster(ROOT / "var" / f"cluster-{uuid.uuid4().hex[:8]}")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Iterator[System]:
    var_dir = ROOT / "var" / f"e2e-cluster-{uuid.uuid4().hex[:8]}"
    env = system_env(
        var_dir,
        KAFKA_BOOTSTRAP_SERVERS=cluster.bootstrap,
        LAPOR_BROKER_ENGINE="kafka",
        LAPOR_DEMO_DATA="false",
        **read_env(TOPICS_ENV),
    )
    running = System(var_dir, env)
    running.start()
    try:
        yield running
    finally:
        print(running.stop()[-2000:])
        running.cleanup()


def pids(system: System) -> dict[str, int]:
    """Each service's pid, from its /healthz."""
    found = {}
    for name in SERVICES:
        with urllib.request.urlopen(f"{system.url(name)}/healthz", timeout=5) as response:
            found[name] = json.loads(response.read())["pid"]
    return found


async def leader_of_most_event_partitions(system: System) -> int:
    """The node id leading most partitions of the complaint-events topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap)
    await admin.start()
    try:
        [topic] = await admin.describe_topics([system.topic("complaint-events")])
    finally:
        await admin.close()
    leaders = Counter(p["leader"] for p in topic["partitions"])
    return leaders.most_common(1)[0][0]


class Burst:
    """Files complaints over HTTP (a client that retries with the same key) and on the intake
    topic, and remembers which were acknowledged."""

    def __init__(self, system: System, size: int) -> None:
        self.system = system
        self.run = uuid.uuid4().hex[:6]
        self.size = size
        self.http_ids: dict[int, str] = {}

    def body(self, channel: str, i: int, **extra: object) -> dict[str, object]:
        return complaint_body(channel=f"{channel}-{self.run}", title=f"Lubang {i}", **extra)

    @property
    def channels(self) -> list[str]:
        return [f"http-{self.run}", f"topic-{self.run}"]

    async def over_http(self) -> None:
        semaphore = asyncio.Semaphore(8)
        async with httpx.AsyncClient(timeout=30) as client:

            async def post(i: int) -> None:
                async with semaphore:
                    while True:
                        try:
                            response = await client.post(
                                f"{self.system.url('intake')}/v1/complaints",
                                json=self.body("http", i),
                                headers={"Idempotency-Key": f"{self.run}-{i}"},
                            )
                        except httpx.TransportError:
                            await asyncio.sleep(0.5)
                            continue
                        if response.status_code == 503:
                            await asyncio.sleep(float(response.headers.get("Retry-After", 1)))
                            continue
                        assert response.status_code == 201, response.text
                        self.http_ids[i] = response.json()["complaint_id"]
                        return

            await asyncio.gather(*(post(i) for i in range(self.size)))

    async def over_the_topic(self) -> None:
        records = []
        for i in range(self.size):
            body = self.body("topic", i, submission_id=f"{self.run}-{i}")
            records.append((f"{self.run}-{i}".encode(), json.dumps(body).encode(), []))
        for start in range(0, self.size, 100):
            await publish(self.system.bootstrap, self.system.topic("intake"), records[start:][:100])

    async def accepted_on_the_topic(self) -> dict[str, str]:
        """submission id -> complaint id, once every submission has its result."""
        async with TopicReader(self.system.bootstrap, self.system.topic("intake-results")) as r:

            async def check() -> dict[str, str] | None:
                await r.poll()
                mine = [m for m in r.json() if m["submission_id"].startswith(f"{self.run}-")]
                assert all(m["status"] == "accepted" for m in mine), mine[:3]
                found = {m["submission_id"]: m["complaint_id"] for m in mine}
                return found if len(found) == self.size else None

            accepted: dict[str, str] = await poll_until(
                check, timeout_s=300, what="every topic submission accepted"
            )
            return accepted


async def converge(system: System, burst: Burst, topic_ids: set[str]) -> float:
    """Wait until every acknowledged complaint is once in the store, once in the read models
    and once as a work item on its agency's queue; returns the seconds it took."""
    started = time.monotonic()
    expected = set(burst.http_ids.values()) | topic_ids
    assert len(expected) == 2 * burst.size  # no complaint acknowledged twice under two ids

    async with httpx.AsyncClient(timeout=30) as client:

        async def rows() -> bool:
            total = 0
            for channel in burst.channels:
                response = await client.get(
                    f"{system.url('reporting')}/v1/reports/complaints",
                    params={"channel": channel, "status": "disposed", "limit": 1},
                    headers=ADMIN,
                )
                total += response.json()["total"]
            return total == len(expected)

        await poll_until(rows, timeout_s=300, what="every complaint disposed in the read model")

    async with TopicReader(system.bootstrap, system.topic("agency.kota-bandung")) as queue:

        async def items() -> Counter[str] | None:
            await queue.poll()
            found = Counter(
                m["complaint_id"]
                for m in queue.json()
                if m.get("reason") == "disposed" and m.get("complaint_id") in expected
            )
            return found if set(found) == expected else None

        work = await poll_until(items, timeout_s=300, what="a work item for every complaint")
    duplicated = {cid: n for cid, n in work.items() if n != 1}
    assert not duplicated, f"{len(duplicated)} complaints with more than one work item"

    database_url = json.loads((system.var_dir / "infra.json").read_text())["database_url"]
    from services.platform.db import connect

    conn = await connect(database_url)
    try:
        counts = await conn.fetch(
            "SELECT complaint_id::text AS id, count(*) FILTER (WHERE event_type = "
            "'complaint.filed') AS filed, count(*) FILTER (WHERE event_type = "
            "'complaint.disposed') AS disposed FROM events WHERE complaint_id = "
            "ANY($1::uuid[]) GROUP BY complaint_id",
            list(expected),
        )
    finally:
        await conn.close()
    assert {r["id"] for r in counts} == expected
    assert {(r["filed"], r["disposed"]) for r in counts} == {(1, 1)}
    return time.monotonic() - started


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
