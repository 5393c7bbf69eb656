"""Load for the fault tests: complaints filed by retrying clients over HTTP and on the intake
topic, and the check that every acknowledged one converged exactly once: once in the event
store, once disposed in the read models, once as a work item on its agency's queue."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections import Counter

import httpx

from tests.e2e.system import (
    ADMIN,
    System,
    TopicReader,
    as_channel,
    complaint_body,
    poll_until,
    publish,
    signed,
)

SERVICES = ("relay", "intake", "routing", "followup", "reporting")


class Burst:
    """Files complaints over HTTP (a client that retries with the same key) and on the intake
    topic, and remembers which were acknowledged."""

    def __init__(self, system: System, size: int) -> None:
        self.system = system
        self.run = uuid.uuid4().hex[:6]
        self.slot = system.next_burst()
        self.size = size
        self.http_ids: dict[int, str] = {}
        self.statuses: Counter[int] = Counter()  # every HTTP answer, retries included
        self.transport_errors = 0
        self.redelivered = 0  # work-item messages delivered again (same id), after converging
        self.resent = 0  # topic submissions a channel sent again for want of a result

    def channel(self, via: str) -> str:
        return f"b{self.slot}-{via}"

    def body(self, via: str, i: int, **extra: object) -> dict[str, object]:
        return complaint_body(channel=self.channel(via), title=f"Lubang {i}", **extra)

    @property
    def channels(self) -> list[str]:
        return [self.channel("http"), self.channel("topic")]

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
                                headers={
                                    "Idempotency-Key": f"{self.run}-{i}",
                                    **as_channel(self.channel("http")),
                                },
                            )
                        except httpx.TransportError:
                            self.transport_errors += 1
                            await asyncio.sleep(0.5)
                            continue
                        self.statuses[response.status_code] += 1
                        if response.status_code == 503:
                            await asyncio.sleep(float(response.headers.get("Retry-After", 1)))
                            continue
                        assert response.status_code == 201, response.text
                        self.http_ids[i] = response.json()["complaint_id"]
                        return

            await asyncio.gather(*(post(i) for i in range(self.size)))

    async def over_the_topic(self, only: list[int] | None = None) -> None:
        """Publish the submissions (all, or those numbered in `only`), acknowledged by the
        broker (acks=all)."""
        records = []
        for i in range(self.size) if only is None else only:
            body = self.body("topic", i, submission_id=f"{self.run}-{i}")
            value = json.dumps(body).encode()
            records.append(
                (f"{self.run}-{i}".encode(), value, signed(self.channel("topic"), value))
            )
        for start in range(0, len(records), 100):
            await publish(self.system.admin, self.system.topic("intake"), records[start:][:100])

    async def accepted_on_the_topic(self, resend_after_s: float = 30) -> dict[str, str]:
        """submission id -> complaint id, once every submission has its result. Like a real
        channel, it sends again (same submission id) what has no result after a while."""
        last_sent = time.monotonic()
        results = self.system.topic(f"intake-results.{self.channel('topic')}")
        async with TopicReader(self.system.admin, results) as r:

            async def check() -> dict[str, str] | None:
                nonlocal last_sent
                await r.poll()
                mine = [m for m in r.json() if m["submission_id"].startswith(f"{self.run}-")]
                assert all(m["status"] == "accepted" for m in mine), mine[:3]
                found = {m["submission_id"]: m["complaint_id"] for m in mine}
                if len(found) == self.size:
                    return found
                if time.monotonic() - last_sent > resend_after_s:
                    missing = [i for i in range(self.size) if f"{self.run}-{i}" not in found]
                    await self.over_the_topic(missing)
                    self.resent += len(missing)
                    last_sent = time.monotonic()
                return None

            accepted: dict[str, str] = await poll_until(
                check, timeout_s=300, what="every topic submission accepted"
            )
            return accepted


async def converge(system: System, burst: Burst, topic_ids: set[str] | None = None) -> float:
    """Wait until every acknowledged complaint is once in the store, once in the read models
    and once as a work item on its agency's queue; returns the seconds it took."""
    started = time.monotonic()
    expected = set(burst.http_ids.values()) | (topic_ids or set())
    # No complaint acknowledged twice under two ids.
    assert len(expected) == len(burst.http_ids) + len(topic_ids or ())

    async with httpx.AsyncClient(timeout=30) as client:

        async def rows() -> bool:
            total = 0
            for channel in burst.channels:
                try:
                    response = await client.get(
                        f"{system.url('reporting')}/v1/reports/complaints",
                        params={"channel": channel, "status": "disposed", "limit": 1},
                        headers=ADMIN,
                    )
                except httpx.TransportError:
                    return False  # reporting is restarting
                if response.status_code != 200:
                    return False
                total += response.json()["total"]
            return total == len(expected)

        await poll_until(rows, timeout_s=300, what="every complaint disposed in the read model")

    async with TopicReader(system.admin, system.topic("agency.kota-bandung")) as queue:

        async def items() -> dict[str, set[str]] | None:
            await queue.poll()
            found: dict[str, set[str]] = {}
            for m in queue.json():
                if m.get("reason") == "disposed" and m.get("complaint_id") in expected:
                    found.setdefault(m["complaint_id"], set()).add(m["work_item_id"])
            return found if set(found) == expected else None

        work = await poll_until(items, timeout_s=300, what="a work item for every complaint")
        delivered = sum(
            1
            for m in queue.json()
            if m.get("reason") == "disposed" and m["complaint_id"] in expected
        )
    # At-least-once delivery may repeat a message (same work_item_id, which agencies de-duplicate
    # by); a second, different work item for the same disposition would be a duplicate.
    duplicated = {cid: ids for cid, ids in work.items() if len(ids) != 1}
    assert not duplicated, f"{len(duplicated)} complaints with more than one work item"
    burst.redelivered = delivered - len(expected)

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


def pids(system: System, services: tuple[str, ...] = SERVICES) -> dict[str, int]:
    """Each service's pid, from its /healthz."""
    found = {}
    for name in services:
        with urllib.request.urlopen(f"{system.url(name)}/healthz", timeout=5) as response:
            found[name] = json.loads(response.read())["pid"]
    return found
