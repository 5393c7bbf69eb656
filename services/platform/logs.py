"""structlog set up once: JSON when not a terminal, readable otherwise; stdlib loggers (faust,
uvicorn, aiokafka) routed through the same processors. And the canonical line: one log line
per HTTP request and per consumed message, gathered while it is handled."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID, uuid4

import structlog

_configured = False


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Configure structlog and the standard library's root logger; safe to call again."""
    global _configured
    if _configured:
        return
    _configured = True
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faust", "mode", "aiokafka"):
        lib = logging.getLogger(name)
        lib.handlers[:] = []
        lib.propagate = True
    # Chatty libraries: their INFO lines describe their own plumbing, not our system.
    for name in ("aiokafka", "pgserver", "httpx", "httpcore", "faust", "mode"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def _identity(
    _: object, __: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger bound to a component name."""
    return structlog.get_logger(name)  # type: ignore[no-any-return]


_line: ContextVar[dict[str, Any] | None] = ContextVar("lapor_canonical_line", default=None)
"""The fields of the request or message being handled. A mutable dict, not separate context
variables: FastAPI runs sync dependencies (the caller's key check) in a thread with a copy of
the context, and what they note must still reach the line."""


@contextmanager
def canonical_line(event: str, correlation_id: UUID, **fields: Any) -> Iterator[dict[str, Any]]:
    """Gather the fields of one request or message and log them as one line when it ends (its
    duration added); every other line logged meanwhile carries the correlation id."""
    record: dict[str, Any] = {**fields, "correlation_id": str(correlation_id)}
    token = _line.set(record)
    bound = structlog.contextvars.bind_contextvars(correlation_id=str(correlation_id))
    started = time.perf_counter()
    try:
        yield record
    finally:
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        structlog.contextvars.reset_contextvars(**bound)
        _line.reset(token)
        _canonical.info(event, **record)


def note(**fields: Any) -> None:
    """Add fields (caller role, complaint id, outcome) to the current canonical line, if any."""
    record = _line.get()
    if record is not None:
        record.update(fields)


def current_correlation() -> UUID | None:
    """The correlation id of the request or message being handled (None outside one)."""
    record = _line.get()
    return UUID(record["correlation_id"]) if record is not None else None


@contextmanager
def message_line(consumer: str, message: Any, item: Any = None) -> Iterator[dict[str, Any]]:
    """The canonical line of one consumed message (`item` is what it decoded to, if it did:
    an event's correlation and complaint ids are carried on); `outcome` starts as applied."""
    correlation, fields = _message_fields(consumer, message, item)
    with canonical_line("kafka.message", correlation, **fields) as line:
        yield line


def log_batch_lines(
    consumer: str, decoded: list[tuple[Any, Any]], duration_s: float, outcome: str
) -> None:
    """The canonical lines of messages handled together in one batch (one line each, with the
    batch's duration and size)."""
    for message, item in decoded:
        correlation, fields = _message_fields(consumer, message, item)
        fields.update(
            outcome=outcome,
            batch=len(decoded),
            correlation_id=str(correlation),
            duration_ms=round(duration_s * 1000, 3),
        )
        _canonical.info("kafka.message", **fields)


def _message_fields(consumer: str, message: Any, item: Any) -> tuple[UUID, dict[str, Any]]:
    correlation = getattr(item, "correlation_id", None)
    fields: dict[str, Any] = {
        "consumer": consumer,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "outcome": "applied",
    }
    if (complaint := getattr(item, "complaint_id", None)) is not None:
        fields["complaint_id"] = str(complaint)
    return (correlation if isinstance(correlation, UUID) else uuid4()), fields


_canonical = get_logger("canonical")
