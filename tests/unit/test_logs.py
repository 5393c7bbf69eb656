"""structlog is set up once, and library loggers (uvicorn, faust, aiokafka) go through it."""

from __future__ import annotations

import json
import logging

import pytest

from services.platform import logs


@pytest.fixture
def fresh_logging():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logs._configured)
    logs._configured = False
    yield
    root.handlers[:], level, logs._configured = saved
    root.setLevel(level)


def test_library_logs_come_out_as_json_lines_with_their_logger_name(fresh_logging, capsys):
    logs.configure_logging("INFO", "json")
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("faust.worker").warning("worker ready")
    logging.getLogger("aiokafka").warning("Heartbeat failed")
    logs.get_logger("relay").info("relay.leader", topic="lapor.complaint-events.v1")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("uvicorn.error", "Application startup complete."),
        ("faust.worker", "worker ready"),
        ("aiokafka", "Heartbeat failed"),
        ("relay", "relay.leader"),
    ]
    assert lines[-1]["topic"] == "lapor.complaint-events.v1"
    assert all("timestamp" in line and "level" in line for line in lines)


def test_configuring_twice_keeps_one_handler(fresh_logging):
    logs.configure_logging("INFO", "json")
    logs.configure_logging("DEBUG", "console")
    assert len(logging.getLogger().handlers) == 1
