"""`python -m followup advance-clock --working-days N [--days D]`: the demo time machine."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from services.clock import advance_clock
from services.db import create_pool
from services.infra import ensure_infra
from services.runtime import deadline_policy
from services.settings import PlatformSettings


def advance(argv: list[str]) -> None:
    """Move the platform clock forward (refused where the clock is not adjustable)."""
    parser = argparse.ArgumentParser(prog="python -m followup advance-clock")
    parser.add_argument("--working-days", type=int, default=0)
    parser.add_argument("--days", type=float, default=0)
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    if not settings.adjustable_clock:
        raise SystemExit("the clock is not adjustable in this environment")

    async def run() -> None:
        pool = await create_pool(ensure_infra(settings).database_url, max_size=1)
        try:
            async with pool.acquire() as conn:
                offset = await conn.fetchval("SELECT offset_seconds FROM platform_clock")
            from datetime import UTC, datetime

            now = datetime.now(UTC) + timedelta(seconds=float(offset))
            target = now + timedelta(days=args.days)
            if args.working_days:
                target = deadline_policy(settings).calendar.add_working_days(
                    target, args.working_days
                )
            print(f"platform time is now {(await advance_clock(pool, target - now)).isoformat()}")
        finally:
            await pool.close()

    asyncio.run(run())
