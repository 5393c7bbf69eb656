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

from services.tooling.broker_auth import auth_of
from services.tooling.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"X-API-Key": "demo-national-admin"}


def key(agency: str) -> dict[str, str]:
    """The demo API key header of an agency."""
    return {"X-API-Key": f"demo-{agency}"}


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
            "LAPOR_TOPIC_PREFIX": f"e{uuid.uuid4().hex[:8]}",
            "LAPOR_SESSION_TIMEOUT_S": "4",
            "LAPOR_DEADLINE_SCAN_INTERVAL_S": "0.3",
            "LAPOR_LOG_FORMAT": "json",
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
        deadline = time.monotonic() + timeout_s
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
        output, _ = self.process.communicate(timeout=90)
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
        deadline = time.monotonic() + timeout_s
        while True:
            await self.poll()
            for item in self.json():
                if predicate(item):
                    return item
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.topic}: no message {what} within {timeout_s}s")


async def publish(
    access: Access, topic: str, items: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Send (key, value, headers) records and wait for the acknowledgements."""
    producer = AIOKafkaProducer(bootstrap_servers=access.bootstrap, linger_ms=5, **access.auth)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=k, headers=h) for k, value, h in items]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def poll_until(check: Callable[[], Any], *, timeout_s: float = 30, what: str = "") -> Any:
    """Call `check` (sync or async) until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
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


async def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30)
