"""One canonical log line per HTTP request and per consumed message, with the correlation id
taken from (or returned in) `X-Correlation-ID` and carried into the events' envelopes."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from intake import api
from intake.bootstrap import bootstrap_fakes
from services.platform import logs
from services.platform.auth import KeyRing, demo_key
from services.platform.consumer import DeadLetteringConsumer
from services.platform.serving import http_app
from tests.unit.fakes import submission


@pytest.fixture
def json_lines(capsys):
    """The JSON lines logged since the last call (logging configured afresh, as JSON, at the
    first call: inside the test, where pytest's own log capture leaves it alone)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logs._configured)
    logs._configured = False

    def read() -> list[dict[str, object]]:
        if not logs._configured:
            logs.configure_logging("INFO", "json")
        err = capsys.readouterr().err
        return [json.loads(x) for x in err.splitlines() if x.startswith("{")]

    yield read
    root.handlers[:], level, logs._configured = saved
    root.setLevel(level)


def intake_client():  # type: ignore[no-untyped-def]
    deps = bootstrap_fakes().channels
    settings = deps.ports.settings

    async def ready() -> dict[str, object]:
        return {"ready": True}

    app = http_app("intake", settings, ready, title="t", description="d")
    api.mount(app, deps, KeyRing(settings, deps.ports.registry))
    return deps, TestClient(app, headers={"X-API-Key": demo_key("web", "channel")})


def test_a_request_logs_one_line_and_its_correlation_id_reaches_the_events(json_lines):
    json_lines()
    deps, http = intake_client()
    correlation = uuid4()
    response = http.post(
        "/v1/complaints",
        json=submission().model_dump(mode="json"),
        headers={"X-Correlation-ID": str(correlation), "Idempotency-Key": "line-1"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Correlation-ID"] == str(correlation)
    lines = [line for line in json_lines() if line["event"] == "http.request"]
    assert len(lines) == 1
    [line] = lines
    complaint_id = response.json()["complaint_id"]
    assert line["method"] == "POST" and line["path"] == "/v1/complaints"
    assert line["status"] == 201 and line["duration_ms"] >= 0
    assert line["role"] == "channel" and line["complaint_id"] == complaint_id
    assert line["correlation_id"] == str(correlation)
    stream = asyncio.run(deps.ports.store.read_stream(UUID(complaint_id)))
    assert stream[0].correlation_id == correlation


def test_without_a_usable_header_a_fresh_id_is_answered_and_logged(json_lines):
    json_lines()
    _, http = intake_client()
    for given in ({}, {"X-Correlation-ID": "not-a-uuid <script>"}):
        response = http.get("/v1/complaints/lpr-0000-0000-0000", headers=given)
        assert response.status_code == 404
        answered = UUID(response.headers["X-Correlation-ID"])
        [line] = [x for x in json_lines() if x["event"] == "http.request"]
        assert line["correlation_id"] == str(answered) and line["status"] == 404
        assert "role" not in line  # tracking is public: no caller was authenticated


def probe_consumer(name: str, topic: str, **callbacks: Any) -> DeadLetteringConsumer:
    """A consumer of one topic that connects to nothing (the tests hand it records)."""
    from services.platform.settings import PlatformSettings

    return DeadLetteringConsumer(
        PlatformSettings(_env_file=None, environment="test"),
        "127.0.0.1:9",
        name=name,
        topics=[topic],
        **callbacks,
    )


async def test_a_consumed_message_logs_one_line_with_its_outcome(json_lines):
    json_lines()
    handled: list[object] = []
    event = SimpleNamespace(correlation_id=uuid4(), complaint_id=uuid4())

    async def handle(item: object) -> None:
        handled.append(item)

    consumer = probe_consumer(
        "probe", "t.complaint-events.v1", decode=lambda message: event, handle=handle
    )
    record = SimpleNamespace(topic="t.complaint-events.v1", partition=2, offset=41)
    await consumer._process(record)  # type: ignore[arg-type]
    assert handled == [event]
    [line] = [x for x in json_lines() if x["event"] == "kafka.message"]
    assert line["consumer"] == "probe" and line["outcome"] == "applied"
    assert (line["topic"], line["partition"], line["offset"]) == ("t.complaint-events.v1", 2, 41)
    assert line["complaint_id"] == str(event.complaint_id)
    assert line["correlation_id"] == str(event.correlation_id)


async def test_a_batch_logs_one_line_per_message_with_the_batch_outcome(json_lines):
    json_lines()
    events = [SimpleNamespace(correlation_id=uuid4(), complaint_id=uuid4()) for _ in range(3)]
    records = [SimpleNamespace(topic="t.events", partition=0, offset=n) for n in range(3)]
    batches: list[list[object]] = []

    async def handle_batch(items: list[object]) -> None:
        batches.append(items)

    consumer = probe_consumer(
        "batcher",
        "t.events",
        decode=lambda message: events[message.offset],
        handle=handle_batch,
        handle_batch=handle_batch,
    )
    await consumer._process_batch(records)  # type: ignore[arg-type]
    assert batches == [events]
    lines = [x for x in json_lines() if x["event"] == "kafka.message"]
    assert [line["offset"] for line in lines] == [0, 1, 2]
    assert {line["outcome"] for line in lines} == {"applied"}
    assert all(line["batch"] == 3 for line in lines)
    assert [line["correlation_id"] for line in lines] == [str(e.correlation_id) for e in events]
