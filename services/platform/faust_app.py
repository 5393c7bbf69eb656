"""The faust-streaming app factory and a thin agent that decodes, hands over to a handler, and
dead-letters what it cannot decode or apply (the same contract as `services.platform.consumer`)."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust
from aiokafka.errors import KafkaError

from services.platform.consumer import InFlight, dead_letter_headers
from services.platform.db import TRANSIENT_ERRORS
from services.platform.kafka import client_auth
from services.platform.logs import get_logger, message_line
from services.platform.settings import PlatformSettings

T = TypeVar("T")
log = get_logger("faust")


def create_faust_app(settings: PlatformSettings, *, app_id: str, bootstrap: str) -> faust.App:
    """A faust app wired for this platform: at-least-once, raw bytes, our topics, no faust web.

    Durable state lives in PostgreSQL, not in faust tables (their recovery is faust's most
    reported failure), so the app keeps only in-memory stores. Topics are created by
    `services.platform.kafka.ensure_topics`, never by faust's defaults.
    """
    datadir = settings.var_dir / "faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        f"{settings.topic_prefix}-{app_id}",
        broker=f"kafka://{bootstrap}",
        broker_credentials=faust_credentials(settings),
        processing_guarantee="at_least_once",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.event_partitions,
        topic_allow_declare=False,
        producer_acks=-1,
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        web_enabled=False,
        datadir=str(datadir),
    )


def faust_credentials(settings: PlatformSettings) -> faust.SASLCredentials | None:
    """This process's broker principal in faust's terms (None on an open broker); built from
    the same keywords as every aiokafka client."""
    auth = client_auth(settings)
    if not auth:
        return None
    return faust.SASLCredentials(
        username=auth["sasl_plain_username"],
        password=auth["sasl_plain_password"],
        mechanism=auth["sasl_mechanism"],
        ssl_context=auth.get("ssl_context"),
    )


def dead_lettering_agent(
    app: faust.App,
    settings: PlatformSettings,
    *,
    name: str,
    topic: str,
    decode: Callable[[bytes | None, bytes | None, Any], T],
    handle: Callable[[T], Awaitable[None]],
    concurrency: int = 1,
    in_flight: InFlight | None = None,
) -> Any:
    """Register an agent on `topic` that decodes each record and calls `handle`; failures go to
    the dead-letter topic with the reason, and the agent goes on. `in_flight` (for `/readyz`)
    shows a message stuck in the infrastructure retries."""
    in_flight = in_flight or InFlight()
    source = app.topic(topic, key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(
        settings.dead_letter_topic, key_serializer="raw", value_serializer="raw"
    )

    async def set_aside(message: Any, stage: str, reason: str) -> None:
        log.warning("faust.dead_letter", agent=name, stage=stage, reason=reason)
        # Wait for the broker's acknowledgement before the offset can be committed.
        delivery = await dead_letters.send(
            key=message.key,
            value=message.value,
            headers=dead_letter_headers(
                list(message.headers or ()),
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                consumer=name,
                stage=stage,
                reason=reason,
            ),
        )
        await delivery

    async def agent(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            ticket = in_flight.begin()
            try:
                try:
                    item = decode(message.key, message.value, list(message.headers or ()))
                except Exception as exc:
                    with message_line(name, message) as line:
                        line["outcome"] = "dead_lettered"
                        await set_aside(message, "decode", f"{type(exc).__name__}: {exc}")
                    continue
                with message_line(name, message, item) as line:
                    try:
                        await _with_retries(handle, item, name)
                    except Exception as exc:
                        line["outcome"] = "dead_lettered"
                        detail = "".join(traceback.format_exception_only(exc)).strip()
                        await set_aside(message, "apply", detail)
            finally:
                in_flight.end(ticket)

    return app.agent(source, name=name, concurrency=concurrency)(agent)


async def _with_retries(handle: Callable[[T], Awaitable[None]], item: T, name: str) -> None:
    """Infrastructure failures say nothing about the message: retry them, never dead-letter."""
    delay = 0.2
    while True:
        try:
            await handle(item)
            return
        except (*TRANSIENT_ERRORS, KafkaError) as exc:
            log.warning("faust.retry", agent=name, error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def faust_worker(
    settings: PlatformSettings,
    *,
    app_id: str,
    bootstrap: str,
    register: Callable[[faust.App], Any],
    ready: asyncio.Event,
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A service worker that runs one faust app (its agents added by `register`) until the
    process stops."""

    async def work(stopping: asyncio.Event) -> None:
        app = create_faust_app(settings, app_id=app_id, bootstrap=bootstrap)
        register(app)
        await app.start()
        ready.set()
        try:
            await stopping.wait()
        finally:
            await app.stop()

    return work
