"""Helpers for integration tests: building events, running tasks, polling with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from events import Actor, ComplaintFiled, Envelope, ReporterReplied, stamp
from services.kernel.tracking import tracking_id_for
from tests.deadlines import under_load

ACTOR = Actor(role="system", id="test")
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def event_for(complaint_id: UUID, version: int) -> Envelope:
    """A valid event for position `version`: a filing first, reporter comments after."""
    payload = (
        ComplaintFiled(
            tracking_id=tracking_id_for(complaint_id),
            kind="complaint",
            title="Jalan rusak",
            description="Lubang besar",
            channel="web",
            anonymous=False,
            confidential=False,
            verify_due=NOW + timedelta(days=3),
        )
        if version == 1
        else ReporterReplied(message=f"tambahan {version}")
    )
    [envelope] = stamp(
        [payload],
        complaint_id=complaint_id,
        expected_version=version - 1,
        actor=ACTOR,
        occurred_at=NOW + timedelta(seconds=version),
    )
    return envelope


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, timeout_s: float = 30.0, what: str = ""
) -> None:
    """Poll until `check` holds or fail after the deadline (no fixed sleeps; the deadline
    stretched while the machine is loaded: tests.deadlines)."""
    timeout_s = under_load(timeout_s)
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what or check}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(
    work: Callable[[asyncio.Event], Awaitable[None]],
) -> AsyncIterator[asyncio.Task[None]]:
    """Run a `work(stopping)` coroutine in the background for the duration of a block."""
    stopping = asyncio.Event()
    task = asyncio.create_task(work(stopping))
    try:
        yield task
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=30)


def per_event(
    handle: Callable[[Envelope, object], Awaitable[None]],
) -> Callable[[object, object], Awaitable[None]]:
    """A batch handler that applies a batch's events one by one, in order."""

    async def apply(batch: object, conn: object) -> None:
        for envelope in batch.events:  # type: ignore[attr-defined]
            await handle(envelope, conn)

    return apply


async def bypass_append_only(conn) -> None:  # type: ignore[no-untyped-def]
    """Switch this session's triggers off, as only a superuser can: the tests that play a
    forger need it, since the event log refuses UPDATE and DELETE (migration 0010)."""
    await conn.execute("SET session_replication_role = replica")
