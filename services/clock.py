"""The platform clock: real time plus an offset kept in PostgreSQL, so that every service agrees
on "now" and a demo (never production) can move time forward to show deadlines expiring."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import asyncpg


class PlatformClock:
    """`now()` is cheap and synchronous; `refresh()` re-reads the offset (services call it on a
    short interval and before deadline scans)."""

    def __init__(self, pool: asyncpg.Pool | None, *, refresh_s: float = 0.5) -> None:
        self.pool = pool
        self.offset = timedelta(0)
        self.refresh_s = refresh_s
        self._read_at = 0.0

    def now(self) -> datetime:
        """The current platform time (UTC)."""
        return datetime.now(UTC) + self.offset

    async def refresh(self, *, force: bool = False) -> datetime:
        """Re-read the offset when it may be stale; returns the current time."""
        if self.pool is not None and (force or time.monotonic() - self._read_at > self.refresh_s):
            async with self.pool.acquire() as conn:
                seconds = await conn.fetchval("SELECT offset_seconds FROM platform_clock")
            self.offset = timedelta(seconds=float(seconds or 0))
            self._read_at = time.monotonic()
        return self.now()


async def advance_clock(pool: asyncpg.Pool, by: timedelta) -> datetime:
    """Move the platform clock forward (demo and tests only: the caller checks the setting)."""
    if by < timedelta(0):
        raise ValueError("the clock only moves forward: events must stay in time order")
    async with pool.acquire() as conn:
        seconds = await conn.fetchval(
            "UPDATE platform_clock SET offset_seconds = offset_seconds + $1, updated_at = now() "
            "RETURNING offset_seconds",
            by.total_seconds(),
        )
    return datetime.now(UTC) + timedelta(seconds=float(seconds))
