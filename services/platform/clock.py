"""The platform clock: real time plus an offset kept in PostgreSQL, so that every service agrees
on "now" and a demo (never production) can move time forward to show deadlines expiring."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.kernel.workdays import WorkingCalendar
from services.platform.ports import Clock

CHANNEL = "lapor_clock"
"""NOTIFY channel: the new offset, in seconds, each time the clock is moved."""


class PlatformClock:
    """`now()` is cheap and synchronous. A clock that `listen`s learns of every move at once
    through NOTIFY, so no request pays for a query; `refresh(force=True)` re-reads the offset."""

    def __init__(self, pool: asyncpg.Pool | None) -> None:
        self.pool = pool
        self.offset = timedelta(0)
        self._listener: asyncpg.Connection | None = None

    def now(self) -> datetime:
        """The current platform time (UTC)."""
        return datetime.now(UTC) + self.offset

    async def refresh(self, *, force: bool = False) -> datetime:
        """The current time; re-reads the offset when forced or when not listening."""
        if self.pool is not None and (force or self._listener is None):
            async with self.pool.acquire() as conn:
                seconds = await conn.fetchval("SELECT offset_seconds FROM platform_clock")
            self.offset = timedelta(seconds=float(seconds or 0))
        return self.now()

    async def listen(self, database_url: str) -> None:
        """Follow the offset through NOTIFY on a connection of its own (adjustable clocks)."""
        if self.pool is None:
            return
        self._listener = await asyncpg.connect(database_url)
        await self._listener.add_listener(CHANNEL, self._moved)
        await self.refresh(force=True)  # a move before LISTEN began is not missed

    def _moved(self, *args: Any) -> None:
        with contextlib.suppress(ValueError):
            self.offset = timedelta(seconds=float(args[-1]))

    async def advance(self, by: timedelta) -> datetime:
        """Move the platform clock forward and tell every listening service (demo and tests
        only: the caller checks the setting)."""
        if by < timedelta(0):
            raise ValueError("the clock only moves forward: events must stay in time order")
        if self.pool is None:
            raise ValueError("this clock is not adjustable")
        async with self.pool.acquire() as conn, conn.transaction():
            seconds = await conn.fetchval(
                "UPDATE platform_clock SET offset_seconds = offset_seconds + $1, "
                "updated_at = now() RETURNING offset_seconds",
                by.total_seconds(),
            )
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, repr(float(seconds)))
        self.offset = timedelta(seconds=float(seconds))
        return self.now()

    async def close(self) -> None:
        """Stop listening."""
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


async def move_forward(
    clock: Clock, calendar: WorkingCalendar, *, days: float = 0, working_days: int = 0
) -> datetime:
    """Move a clock by calendar days and then working days (the demo time machine: the HTTP
    command and the CLI both come here); returns the new platform time."""
    now = await clock.refresh(force=True)
    target = now + timedelta(days=days)
    if working_days:
        target = calendar.add_working_days(target, working_days)
    moved = await clock.advance(target - now)
    await clock.refresh(force=True)
    return moved
