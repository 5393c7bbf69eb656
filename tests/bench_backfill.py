"""`make bench`, group `backfill`: a connected system's whole history (100,000 complaints with
their histories at scale 1) through the backfill CLI and the bulk endpoint of a running
system, beside the raw append limit: the same event rows inserted into a bare table with
asyncpg in the same run."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.platform.db import create_pool
from services.tooling.regional_demo import STATUS_MAP
from tests.e2e.system import ADMIN, ROOT, System

PATHS = (
    ("diproses", "ditanggapi", "selesai", "ditutup"),
    ("diproses", "ditanggapi", "ditutup"),
    ("diproses",),
)


def write_history(path: Path, count: int, seed: int = 5) -> None:
    """`count` complaints filed over three years, most of them closed, as JSON lines."""
    rnd = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with path.open("w") as out:
        for n in range(count):
            at = start + timedelta(minutes=n * 15)
            steps = [{"step_id": f"H{n}/0", "status": "diterima", "at": at.isoformat()}]
            for i, status in enumerate(rnd.choice(PATHS), start=1):
                message = "Sudah ditindaklanjuti" if status in ("ditanggapi", "selesai") else None
                steps.append(
                    {
                        "step_id": f"H{n}/{i}",
                        "status": status,
                        "at": (at + timedelta(days=i)).isoformat(),
                        "message": message,
                    }
                )
            item = {
                "external_id": f"H{n}",
                "agency_code": "kota-bandung",
                "title": f"Keluhan warga {n}",
                "description": "Jalan berlubang di depan sekolah.",
                "category": "jalan",
                "region_code": "32.73",
                "steps": steps,
            }
            out.write(json.dumps(item) + "\n")


def backfill_run(system: System, source: Path, key: str, code: str) -> tuple[float, dict]:
    """Run the CLI as a regional developer would; the wall time and its summary."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services",
            "systems",
            "backfill",
            str(source),
            "--system",
            code,
            "--key",
            key,
            "--url",
            system.url("intake"),
            "--batch-size",
            "100",
        ],
        cwd=ROOT,
        env=system.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return elapsed, json.loads(done.stdout[done.stdout.index("{") :])


async def raw_append_rate(database_url: str, code: str) -> tuple[int, float]:
    """The events the backfill stored, inserted again into a bare table (no hash chain, no
    outbox, no checks) by 8 connections: what PostgreSQL itself does here."""
    pool = await create_pool(database_url, max_size=10)
    try:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT complaint_id, version, event_id, event_type, occurred_at, payload "
                "FROM events WHERE actor->>'id' = $1",
                code,
            )
            await conn.execute(
                "CREATE TABLE bench_raw_events (complaint_id uuid, version int, event_id uuid, "
                "event_type text, occurred_at timestamptz, payload jsonb)"
            )
        by_complaint: dict[uuid.UUID, list] = {}
        for r in rows:
            by_complaint.setdefault(r["complaint_id"], []).append(tuple(r))
        groups = list(by_complaint.values())
        chunks = [groups[i::8] for i in range(8)]

        async def insert(chunk: list) -> None:
            async with pool.acquire() as conn:
                for group in chunk:  # one transaction per complaint, as the import does
                    async with conn.transaction():
                        await conn.executemany(
                            "INSERT INTO bench_raw_events VALUES ($1, $2, $3, $4, $5, $6)", group
                        )

        started = time.perf_counter()
        await asyncio.gather(*(insert(c) for c in chunks))
        elapsed = time.perf_counter() - started
        async with pool.acquire() as conn:
            await conn.execute("DROP TABLE bench_raw_events")
        return len(groups), elapsed
    finally:
        await pool.close()


def bench_backfill(system: System, report, count: int) -> None:
    """Register a system, backfill `count` complaints, print both rates."""
    code = f"bench-{uuid.uuid4().hex[:6]}"
    registered = httpx.post(
        f"{system.url('intake')}/v1/systems",
        json={
            "code": code,
            "name": "Bench",
            "agencies": ["kota-bandung"],
            "status_map": STATUS_MAP,
        },
        headers=ADMIN,
        timeout=30,
    )
    registered.raise_for_status()
    source = system.var_dir / "history.jsonl"
    write_history(source, count)
    elapsed, summary = backfill_run(system, source, registered.json()["key"], code)
    database_url = json.loads((system.var_dir / "infra.json").read_text())["database_url"]
    complaints, raw_elapsed = asyncio.run(raw_append_rate(database_url, code))
    report.row(
        f"backfill, {count} historical complaints (CLI -> bulk endpoint -> store)",
        f"{count / elapsed:8.0f} complaints/s  {summary['steps_applied'] / elapsed:8.0f} steps/s"
        f"  ({elapsed:.0f} s)",
    )
    report.raw(
        "asyncpg INSERT of the same event rows, one transaction per complaint",
        f"{complaints / raw_elapsed:8.0f} complaints/s",
    )
