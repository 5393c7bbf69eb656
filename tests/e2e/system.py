"""The whole system as a user meets it: `python -m services run` in a subprocess, and clients
for its public interfaces (HTTP APIs, Kafka topics, the command line)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from services.platform.auth import SIGNATURE_HEADER, demo_key, sign
from services.tooling.broker_auth import auth_of
from services.tooling.embedded import free_port
from tests.deadlines import under_load

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"X-API-Key": "demo-national-admin"}


BURST_CHANNELS = [f"b{n}-{via}" for n in range(5) for via in ("http", "topic")]
TEST_CHANNELS = [*BURST_CHANNELS, "bad-input", "bulk-http", "bulk-topic"]
"""Channels every test system knows besides the demo ones: one pair per burst of load, and
one per test that counts its own filings."""
TEST_RATES = "1000000/minute"
"""The tests file in bursts from one address: the abuse limits are tested on their own."""


def key(agency: str) -> dict[str, str]:
    """The demo API key header of an agency."""
    return {"X-API-Key": f"demo-{agency}"}


def channel_key(channel: str) -> str:
    """A channel's key: its test key, or the demo key of a demo channel."""
    return f"test-key-{channel}" if channel in TEST_CHANNELS else demo_key(channel, "channel")


def as_channel(channel: str = "web") -> dict[str, str]:
    """The API key header of a channel (filing over HTTP)."""
    return {"X-API-Key": channel_key(channel)}


def signed(channel: str, value: bytes) -> list[tuple[str, bytes]]:
    """The headers of a topic submission signed by `channel`."""
    return [(SIGNATURE_HEADER, sign(channel_key(channel), value).encode())]


def system_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a private system: own ports, topics and data folder."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.update(
        {
            "LAPOR_VAR_DIR": str(var_dir),
            "LAPOR_BROKER_PORT": str(free_port()),
            "LAPOR_BROKER_CONTROLLER_PORT": str(free_port()),
            "LAPOR_BROKER_HEAP_MB": "384",
            "LAPOR_RELAY_PORT": str(free_port()),
            "LAPOR_INTAKE_PORT": str(free_port()),
            "LAPOR_ROUTING_PORT": str(free_port()),
            "LAPOR_FOLLOWUP_PORT": str(free_port()),
            "LAPOR_REPORTING_PORT": str(free_port()),
            "LAPOR_REGIONAL_DEMO_PORT": str(free_port()),
            "LAPOR_TOPIC_PREFIX": f"e{uuid.uuid4().hex[:8]}",
            "LAPOR_SESSION_TIMEOUT_S": "4",
            "LAPOR_DEADLINE_SCAN_INTERVAL_S": "0.3",
            "LAPOR_LOG_FORMAT": "json",
            "LAPOR_CHANNEL_KEYS": json.dumps({c: channel_key(c) for c in TEST_CHANNELS}),
            "LAPOR_FILING_RATE_PER_CLIENT": TEST_RATES,
            "LAPOR_FILING_RATE_PER_CHANNEL": TEST_RATES,
            "LAPOR_REPLY_RATE_PER_CLIENT": TEST_RATES,
            "LAPOR_AGENCY_RATE_PER_KEY": TEST_RATES,
            # Tests that play a forger alter and restore events: a checkpoint signed in between
            # would (rightly) flag the restored log. The tests of checkpoints turn them on.
            "LAPOR_CHECKPOINT_INTERVAL_S": "0",
            **extra,
        }
    )
    return env


@dataclass
class System:
    """A running system and its endpoints document."""

    var_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    endpoints: dict[str, Any] = field(default_factory=dict)
    bursts: int = 0  # how many bursts of load took a pair of test channels

    def next_burst(self) -> int:
        """A burst's own pair of channels (b<n>-http, b<n>-topic), counted apart."""
        self.bursts += 1
        assert self.bursts <= len(BURST_CHANNELS) // 2, "more bursts than test channels"
        return self.bursts - 1

    def url(self, service: str) -> str:
        return self.endpoints["services"][service]["base_url"]

    @property
    def bootstrap(self) -> str:
        return self.endpoints["kafka_bootstrap_servers"]

    def auth(self, principal: str = "admin") -> dict[str, Any]:
        """aiokafka's connection keywords for a principal of this system's broker (none where
        it is open: Tansu)."""
        path = self.endpoints.get("broker_credentials_file")
        if not path:
            return {}
        return auth_of(json.loads(Path(path).read_text()), principal)

    def password(self, principal: str) -> str:
        """A principal's broker password (for kcat)."""
        return json.loads(Path(self.endpoints["broker_credentials_file"]).read_text())[principal]

    @property
    def admin(self) -> Access:
        """The broker as the operator sees it (every topic)."""
        return Access(self.bootstrap, self.auth())

    def topic(self, name: str) -> str:
        return f"{self.env['LAPOR_TOPIC_PREFIX']}.{name}.v1"

    def start(self, timeout_s: float = 180) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        endpoints_file = self.var_dir / "endpoints.json"
        deadline = time.monotonic() + under_load(timeout_s)
        while not endpoints_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stdout.read().decode()[-3000:])  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise TimeoutError("the system did not start")
            time.sleep(0.2)
        self.endpoints = json.loads(endpoints_file.read_text())

    def stop(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=under_load(90))
        return output.decode()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command line tool against this system."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def cleanup(self) -> None:
        self.cli("-m", "services", "infra", "down")
        if not os.environ.get("LAPOR_KEEP_TEST_VAR"):  # keep logs to look at a failure
            shutil.rmtree(self.var_dir, ignore_errors=True)


@contextlib.contextmanager
def started_system(name: str, **env: str) -> Iterator[System]:
    """`python -m services run` with its own var dir, ports and topics (no demo data), stopped
    and removed afterwards; `env` adds settings."""
    var_dir = ROOT / "var" / f"{name}-{uuid.uuid4().hex[:8]}"
    system = System(var_dir, system_env(var_dir, LAPOR_DEMO_DATA="false", **env))
    system.start()
    try:
        yield system
    finally:
        output = system.stop()
        print(output[-2000:])
        system.cleanup()
        assert "stopped." in output, output[-3000:]


@dataclass(frozen=True)
class Access:
    """A broker's address and one principal's connection keywords."""

    bootstrap: str
    auth: dict[str, Any]


class TopicReader:
    """Reads a topic from its beginning, without a consumer group (an observer)."""

    def __init__(self, access: Access, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=access.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            **access.auth,
        )
        self.messages: list[Any] = []

    async def __aenter__(self) -> TopicReader:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(self.topic)
        for _ in range(50):
            if partitions:
                break
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(self.topic)
            await asyncio.sleep(0.1)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions or ())]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def poll(self) -> list[Any]:
        for messages in (await self.consumer.getmany(timeout_ms=100)).values():
            self.messages.extend(messages)
        return self.messages

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(m.value) for m in self.messages]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout_s: float = 30, what: str = ""
    ) -> dict[str, Any]:
        timeout_s = under_load(timeout_s)
        deadline = time.monotonic() + timeout_s
        while True:
            await self.poll()
            for item in self.json():
                if predicate(item):
                    return item
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.topic}: no message {what} within {timeout_s:.0f}s")


async def publish(
    access: Access, topic: str, items: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Send (key, value, headers) records and wait for the acknowledgements; like a channel,
    send them all again when the cluster answers with a passing error (a broker that just
    returned has no leaders yet): re-sending a submission is harmless. For up to a minute
    (stretched under load: five tries in a row were too few while a loaded machine elected
    the leaders)."""
    deadline = time.monotonic() + under_load(60)
    while True:
        producer = AIOKafkaProducer(bootstrap_servers=access.bootstrap, linger_ms=5, **access.auth)
        await producer.start()
        try:
            futures = [await producer.send(topic, v, key=k, headers=h) for k, v, h in items]
            await asyncio.gather(*futures)
            return
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        finally:
            await producer.stop()
        await asyncio.sleep(2)


async def poll_until(check: Callable[[], Any], *, timeout_s: float = 30, what: str = "") -> Any:
    """Call `check` (sync or async) until it returns something truthy; fail after the deadline
    (stretched while the machine is loaded: tests.deadlines)."""
    timeout_s = under_load(timeout_s)
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


def complaint_body(**fields: Any) -> dict[str, Any]:
    """A valid submission, with reporter contact, changed by `fields`."""
    body = {
        "title": "Jalan berlubang di depan sekolah",
        "description": "Lubang besar, sudah dua pengendara jatuh.",
        "channel": "web",
        "category": "jalan",
        "region_code": "32.73",
        "reporter": {"name": "Budi Santoso", "phone": "+62 812 3456 7890"},
    }
    body.update(fields)
    return body


async def file(client: httpx.AsyncClient, system: System, **fields: Any) -> dict[str, Any]:
    """File a complaint over HTTP as its channel (web unless named); 201 or the test fails."""
    response = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(**fields),
        headers=as_channel(fields.get("channel", "web")),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def status_of(
    client: httpx.AsyncClient, system: System, filed: dict[str, Any]
) -> dict[str, Any]:
    """The reporter's view of a filed complaint."""
    response = await client.get(
        f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}",
        headers={"X-Access-Token": filed["access_token"]},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def wait_status(
    client: httpx.AsyncClient,
    system: System,
    filed: dict[str, Any],
    *statuses: str,
    timeout_s: float = 30,
) -> dict[str, Any]:
    """The reporter's view once the complaint is in one of `statuses`."""

    async def check():
        view = await status_of(client, system, filed)
        return view if view["status"] in statuses else None

    return await poll_until(check, timeout_s=timeout_s, what=f"status {statuses}")


async def wait_held(
    client: httpx.AsyncClient, system: System, filed: dict[str, Any], agency: str
) -> None:
    """Until followup knows that `agency` holds the complaint."""
    url = f"{system.url('followup')}/v1/agency/complaints/{filed['complaint_id']}"

    async def check():
        return (await client.get(url, headers=key(agency))).status_code == 200

    await poll_until(check, what=f"{agency} holding the complaint")


async def agency_reply(
    client: httpx.AsyncClient, system: System, filed: dict[str, Any], agency: str, **body: Any
) -> dict[str, Any]:
    """An agency's reply over HTTP, once it holds the complaint; 200 or the test fails."""
    await wait_held(client, system, filed, agency)
    response = await client.post(
        f"{system.url('followup')}/v1/agency/complaints/{filed['complaint_id']}/replies",
        json=body,
        headers=key(agency),
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def reporter_says(
    client: httpx.AsyncClient, system: System, filed: dict[str, Any], **body: Any
) -> httpx.Response:
    """The reporter's reply with its access token (the response, whatever its status)."""
    return await client.post(
        f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}/replies",
        json=body,
        headers={"X-Access-Token": filed["access_token"]},
    )
