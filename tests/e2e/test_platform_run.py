"""`python -m services run` (what `make run` calls): starts infrastructure and services, writes
var/endpoints.json, relays appended events to Kafka, and stops everything on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from events.binding import decode
from services.db import create_pool
from services.eventstore import EventStore
from services.infra import _port_open, free_port
from tests.integration.helpers import event_for, eventually

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_env():
    var_dir = ROOT / "var" / f"e2e-{uuid.uuid4().hex[:8]}"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
        },
        "LAPOR_VAR_DIR": str(var_dir),
        "LAPOR_BROKER_PORT": str(free_port()),
        "LAPOR_RELAY_PORT": str(free_port()),
        "LAPOR_TOPIC_PREFIX": f"e{uuid.uuid4().hex[:8]}",
        "LAPOR_SESSION_TIMEOUT_S": "4",
        "LAPOR_LOG_FORMAT": "json",
    }
    yield var_dir, env
    subprocess.run(
        [sys.executable, "-m", "services", "infra", "down"],
        env=env,
        check=False,
        capture_output=True,
    )
    shutil.rmtree(var_dir, ignore_errors=True)


async def test_run_starts_everything_relays_and_stops_cleanly(run_env):
    var_dir, env = run_env
    process = subprocess.Popen(
        [sys.executable, "-m", "services", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    endpoints_file = var_dir / "endpoints.json"
    try:
        await eventually(endpoints_file.exists, timeout_s=90, what="var/endpoints.json")
        endpoints = json.loads(endpoints_file.read_text())
        relay = endpoints["services"]["relay"]
        assert relay["base_url"].startswith("http://127.0.0.1:")
        with urllib.request.urlopen(relay["health"], timeout=5) as response:
            assert json.loads(response.read())["leader"] is True
        with urllib.request.urlopen(relay["metrics"], timeout=5) as response:
            assert b"lapor_relay_published_total" in response.read()

        database_url = json.loads((var_dir / "infra.json").read_text())["database_url"]
        pool = await create_pool(database_url, max_size=2)
        complaint = uuid.uuid4()
        try:
            await EventStore(pool).append(complaint, 0, [event_for(complaint, 1)])
        finally:
            await pool.close()

        consumer = AIOKafkaConsumer(
            endpoints["topics"]["complaint_events"],
            bootstrap_servers=endpoints["kafka_bootstrap_servers"],
            auto_offset_reset="earliest",
        )
        await consumer.start()
        received = []
        try:

            async def arrived() -> bool:
                for messages in (await consumer.getmany(timeout_ms=200)).values():
                    received.extend(decode(m.key, m.value, m.headers) for m in messages)
                return any(e.complaint_id == complaint for e in received)

            await eventually(arrived, what="the appended event on Kafka")
        finally:
            await consumer.stop()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 0, output.decode()[-2000:]
    text = output.decode()
    assert "Kafka bootstrap" in text and "stopped." in text
    assert not endpoints_file.exists()
    assert not _port_open("127.0.0.1", int(env["LAPOR_BROKER_PORT"]))
    assert not _port_open("127.0.0.1", int(env["LAPOR_RELAY_PORT"]))
