"""The two engines of the read models give the same dashboards: the SQL engine
(`reporting.store`, what the live dashboards read) and the replay engine
(`reporting.replay_engine`, what the auditor's as-of dashboards are computed with), over
histories Hypothesis generates, on the real PostgreSQL (a database of this test's own, so that
no other test's rows are counted)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.envelope import Envelope
from reporting import dashboards
from reporting.ports import scoring_of
from reporting.replay_engine import ReplayReadModels
from reporting.settings import ReportingSettings
from reporting.store import TABLES, ReadModelTables
from services.kernel.registry import load_registry
from services.platform.migrate import migrate_database
from services.platform.policy import deadline_policy
from services.platform.settings import PlatformSettings
from tests.strategies import TIMES, streams

POLICY = deadline_policy(PlatformSettings(_env_file=None, environment="test"))
SCORING = scoring_of(ReportingSettings(_env_file=None, environment="test"), POLICY)
CALENDAR = POLICY.calendar
REGISTRY = load_registry()


@pytest.fixture(scope="module")
def engines_db(infra) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, migrated database on the session's PostgreSQL, dropped afterwards."""
    name = f"engines_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(infra.database_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(infra.database_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(migrate_database(url))
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@st.composite
def histories(draw: st.DrawFn) -> dict[uuid.UUID, list[Envelope]]:
    """A few complaints, each with any stream of events the types allow."""
    found = {}
    for stream in draw(st.lists(streams(max_size=12), min_size=1, max_size=6)):
        complaint = draw(st.uuids())
        found[complaint] = [e.model_copy(update={"complaint_id": complaint}) for e in stream]
    return found


def normal(value: Any) -> Any:
    """Answers in one comparable form: numbers as rounded floats, dates as text, lists of rows
    in a stable order (the engines may order ties differently)."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [normal(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 6)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


async def dashboards_of(read_models: Any, now: datetime) -> dict[str, Any]:
    """Everything the dashboards read, from one engine."""
    days = SCORING.follow_up_days
    found: dict[str, Any] = {
        "agencies": await read_models.agency_performance(now),
        "regions": await read_models.region_rollup(now),
        "overview": await dashboards.overview(SCORING, read_models, now),
        "trends": await read_models.trends("week", now - timedelta(days=3650)),
    }
    for by in (None, "province", "agency", "unit"):
        found[f"groups-{by}"] = await read_models.group_counts(now, by=by, follow_up_days=days)
    for by in ("agency", "province"):
        found[f"performance-{by}"] = await dashboards.performance(
            SCORING, REGISTRY, read_models, by, now
        )
    for column in ("province_code", "category", "agency_code", "status"):
        found[f"status-{column}"] = await read_models.status_counts(column)
    return normal(found)


async def both_engines(url: str, history: dict[uuid.UUID, list[Envelope]], now: datetime):  # type: ignore[no-untyped-def]
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
            async with conn.transaction():
                tables = ReadModelTables(pool, CALENDAR)
                await tables.apply(conn, history)
        replayed = ReplayReadModels(CALENDAR)
        await replayed.apply(None, history)
        return await dashboards_of(tables, now), await dashboards_of(replayed, now)
    finally:
        await pool.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), now=TIMES)
def test_the_sql_and_the_replay_engine_give_the_same_dashboards(engines_db, history, now):  # type: ignore[no-untyped-def]
    sql, replayed = asyncio.run(both_engines(engines_db, history, now))
    assert sql == replayed
