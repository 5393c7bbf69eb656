"""Reporting's read models in PostgreSQL: batched live updates, the full rebuild, digests, and
the queries behind the JSON API; `ReadModelTables` is the adapter the handlers use.
Kept in one module: every query shares the
same filter builder and table definitions, which the replay engine mirrors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from events.envelope import Envelope
from reporting.groups import AT_AGENCY_SQL, OPEN_SQL, GroupQuery
from reporting.projection import (
    COMPLAINT_COLUMNS,
    FACT_COLUMNS,
    GROUP_KEYS,
    Projected,
    project,
)
from services.kernel.workdays import WorkingCalendar
from services.platform.db import fetch_dicts
from services.platform.eventstore import every_event
from services.platform.ports import Transaction

WRITE_LOCK = 7_311_050
"""Advisory lock: live batches take it shared, a rebuild exclusively (no deadlock, no mix)."""

TABLES = {
    "rm_complaints": "complaint_id",
    "rm_agency_facts": "complaint_id, agency_code, fact",
    "rm_agency_performance": "agency_code",
    "rm_region_rollup": "province_code",
}

_AGENCY_AGGREGATE = f"""
WITH touched AS (SELECT DISTINCT unnest($1::text[]) AS agency_code),
facts AS (
    SELECT agency_code,
           coalesce(sum(times) FILTER (WHERE fact = 'received'), 0) AS received,
           coalesce(sum(times) FILTER (WHERE fact = 'refused'), 0) AS refusals,
           coalesce(sum(times) FILTER (WHERE fact = 'escalated_from'), 0) AS escalations
    FROM rm_agency_facts WHERE agency_code IN (SELECT agency_code FROM touched)
    GROUP BY agency_code),
held AS (
    SELECT agency_code, count(*) FILTER (WHERE {OPEN_SQL}) AS open,
           count(*) FILTER (WHERE closed_reason = 'resolved') AS resolved
    FROM rm_complaints WHERE agency_code IN (SELECT agency_code FROM touched)
    GROUP BY agency_code),
first_follow_up AS (
    SELECT first_follow_up_agency AS agency_code, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_first_follow_up) AS median
    FROM rm_complaints WHERE first_follow_up_agency IN (SELECT agency_code FROM touched)
      AND days_to_first_follow_up IS NOT NULL
    GROUP BY first_follow_up_agency)
INSERT INTO rm_agency_performance
SELECT t.agency_code, coalesce(f.received, 0), coalesce(h.open, 0), coalesce(h.resolved, 0),
       coalesce(f.escalations, 0), coalesce(f.refusals, 0), coalesce(u.n, 0), u.median
FROM touched t
LEFT JOIN facts f USING (agency_code)
LEFT JOIN held h USING (agency_code)
LEFT JOIN first_follow_up u USING (agency_code)
WHERE f.agency_code IS NOT NULL OR h.agency_code IS NOT NULL OR u.agency_code IS NOT NULL
"""

_REGION_AGGREGATE = f"""
INSERT INTO rm_region_rollup
SELECT province_code, count(*), count(*) FILTER (WHERE {OPEN_SQL}),
       count(*) FILTER (WHERE closed_reason = 'resolved'),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status = 'archived'), count(*) FILTER (WHERE escalations > 0)
FROM rm_complaints WHERE province_code = ANY($1::text[])
GROUP BY province_code
"""


async def _refresh_aggregates(
    conn: asyncpg.Connection, agencies: Iterable[str], provinces: Iterable[str]
) -> None:
    agency_list, province_list = sorted(set(agencies)), sorted(set(provinces))
    # Members of one consumer group may refresh the same agency at once: one at a time per key,
    # taken in sorted order so that two batches cannot deadlock.
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k ORDER BY k",
        [f"rm-agency:{a}" for a in agency_list] + [f"rm-province:{p}" for p in province_list],
    )
    await conn.execute(
        "DELETE FROM rm_agency_performance WHERE agency_code = ANY($1::text[])", agency_list
    )
    await conn.execute(_AGENCY_AGGREGATE, agency_list)
    await conn.execute(
        "DELETE FROM rm_region_rollup WHERE province_code = ANY($1::text[])", province_list
    )
    await conn.execute(_REGION_AGGREGATE, province_list)


async def _write(conn: asyncpg.Connection, projected: list[Projected]) -> None:
    await conn.copy_records_to_table(
        "rm_complaints", records=[p.row for p in projected], columns=COMPLAINT_COLUMNS
    )
    facts = [f for p in projected for f in p.facts]
    if facts:
        await conn.copy_records_to_table("rm_agency_facts", records=facts, columns=FACT_COLUMNS)


async def apply_batch(
    conn: asyncpg.Connection, streams: dict[UUID, list[Envelope]], calendar: WorkingCalendar
) -> None:
    """Recompute the rows of these complaints from their streams, and the aggregates they
    touch, inside the caller's transaction (which also moves the checkpoints and holds
    WRITE_LOCK shared)."""
    ids = sorted(streams)
    old = await conn.fetch(
        "SELECT agency_code, first_follow_up_agency, province_code FROM rm_complaints "
        "WHERE complaint_id = ANY($1::uuid[])",
        ids,
    )
    old_facts = await conn.fetch(
        "SELECT DISTINCT agency_code FROM rm_agency_facts WHERE complaint_id = ANY($1::uuid[])",
        ids,
    )
    projected = [project(stream, calendar) for stream in streams.values()]
    await conn.execute("DELETE FROM rm_agency_facts WHERE complaint_id = ANY($1::uuid[])", ids)
    await conn.execute("DELETE FROM rm_complaints WHERE complaint_id = ANY($1::uuid[])", ids)
    await _write(conn, projected)
    agencies = {r["agency_code"] for r in old_facts}
    agencies |= {c for r in old for c in (r["agency_code"], r["first_follow_up_agency"]) if c}
    agencies |= {a for p in projected for a in p.agencies}
    provinces = {r["province_code"] for r in old} | {p.province for p in projected}
    await _refresh_aggregates(conn, agencies, provinces)


async def rebuild(
    pool: asyncpg.Pool, calendar: WorkingCalendar, consumer: str, *, batch: int = 5000
) -> int:
    """Replace every read model by a projection of the whole event store, and move the live
    consumer's checkpoints to match, in one transaction. Returns the events read."""
    events = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
        await conn.execute("DELETE FROM consumer_positions WHERE consumer = $1", consumer)
        pending: list[Projected] = []
        positions: list[tuple[str, UUID, int]] = []
        current: list[Envelope] = []
        agencies: set[str] = set()
        provinces: set[str] = set()

        async def flush() -> None:
            await _write(conn, pending)
            await conn.copy_records_to_table(
                "consumer_positions",
                records=positions,
                columns=("consumer", "complaint_id", "version"),
            )
            pending.clear()
            positions.clear()

        def finish(stream: list[Envelope]) -> None:
            projected = project(stream, calendar)
            pending.append(projected)
            positions.append((consumer, stream[0].complaint_id, stream[-1].version))
            agencies.update(projected.agencies)
            provinces.add(projected.province)

        async for envelope in every_event(conn):
            events += 1
            if current and current[0].complaint_id != envelope.complaint_id:
                finish(current)
                current = []
                if len(pending) >= batch:
                    await flush()
            current.append(envelope)
        if current:
            finish(current)
        await flush()
        await _refresh_aggregates(conn, agencies, provinces)
    return events


async def digests(pool: asyncpg.Pool) -> dict[str, dict[str, Any]]:
    """Per table: row count and an MD5 over every row in key order (equal digests, equal data)."""
    found = {}
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        for table, key in TABLES.items():
            row = await conn.fetchrow(
                f"SELECT count(*) AS rows, md5(coalesce(string_agg(t::text, E'\\n' "
                f"ORDER BY {key}), '')) AS digest FROM {table} t"
            )
            found[table] = {"rows": row["rows"], "digest": row["digest"]}
    return found


async def complaints(
    pool: asyncpg.Pool,
    *,
    agencies: list[str] | None,
    status: str | None,
    province: str | None,
    channel: str | None,
    limit: int,
    offset: int,
    source: str | None = None,
    unit: str | None = None,
    overdue_at: datetime | None = None,
    tag: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The number of matching rows of the complaints read model, and one page of them."""
    where = (
        "WHERE ($1::text[] IS NULL OR agency_code = ANY($1)) AND ($2::text IS NULL OR status = $2) "
        "AND ($3::text IS NULL OR province_code = $3) AND ($4::text IS NULL OR channel = $4) "
        "AND ($5::text IS NULL OR source_system = $5) AND ($6::text IS NULL OR unit_code = $6) "
        f"AND ($7::timestamptz IS NULL "
        f"OR ({OPEN_SQL} AND (follow_up_due < $7 OR verify_due < $7))) "
        "AND ($8::text IS NULL OR $8 = ANY(tags))"
    )
    filters = (agencies, status, province, channel, source, unit, overdue_at, tag)
    return await _page(pool, where, filters, limit, offset)


async def _page(
    pool: asyncpg.Pool, where: str, args: tuple[Any, ...], limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many complaint rows match `where` (over `args`), and one page, newest first."""
    n = len(args)
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM rm_complaints {where}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM rm_complaints {where} ORDER BY filed_at DESC, complaint_id "
            f"LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            limit,
            offset,
        )
    return int(total), [dict(r) for r in rows]


async def agency_performance(pool: asyncpg.Pool, now: datetime) -> list[dict[str, Any]]:
    """Per-agency performance, with the overdue count as of `now`."""
    overdue = f"{AT_AGENCY_SQL} AND follow_up_due < $1"
    return await _with_overdue(pool, "rm_agency_performance", "agency_code", overdue, now)


async def region_rollup(pool: asyncpg.Pool, now: datetime) -> list[dict[str, Any]]:
    """Per-province rollup, with the overdue count as of `now`."""
    overdue = f"{OPEN_SQL} AND (follow_up_due < $1 OR verify_due < $1)"
    return await _with_overdue(pool, "rm_region_rollup", "province_code", overdue, now)


async def _with_overdue(
    pool: asyncpg.Pool, table: str, key: str, overdue: str, now: datetime
) -> list[dict[str, Any]]:
    """Every row of a rollup `table`, by `key`, with how many of its complaints are
    `overdue` (a condition on `rm_complaints`, with `now` as $1)."""
    return await fetch_dicts(
        pool,
        f"SELECT t.*, coalesce(o.overdue, 0) AS overdue FROM {table} t "
        f"LEFT JOIN (SELECT {key}, count(*) AS overdue FROM rm_complaints "
        f"WHERE {overdue} GROUP BY {key}) o USING ({key}) ORDER BY t.{key}",
        now,
    )


async def group_counts(pool: asyncpg.Pool, now: datetime, q: GroupQuery) -> list[dict[str, Any]]:
    """Per group (or for every complaint), the counts the performance index is made of, of
    the complaints in the given province, agency or unit (and with the given tag)."""
    key = GROUP_KEYS[q.by] if q.by else "NULL::text"
    return await fetch_dicts(
        pool,
        f"SELECT {key} AS code, count(*) AS filed, "
        "count(*) FILTER (WHERE first_disposed_at IS NOT NULL) AS received, "
        f"count(*) FILTER (WHERE {OPEN_SQL}) AS open, "
        f"count(*) FILTER (WHERE {OPEN_SQL} AND (follow_up_due < $1 OR verify_due < $1)) "
        "AS overdue, "
        "count(*) FILTER (WHERE closed_reason = 'resolved') AS resolved, "
        "count(*) FILTER (WHERE closed_reason = 'resolved' AND escalations = 0) "
        "AS resolved_in_time, "
        "count(*) FILTER (WHERE days_to_first_follow_up <= $2) AS timely_first, "
        "count(*) FILTER (WHERE escalations > 0) AS escalated, "
        "count(*) FILTER (WHERE refusals > 0) AS refused, "
        "count(*) FILTER (WHERE reopen_count > 0) AS reopened, "
        "coalesce(sum(f.rated), 0)::int AS rated, "
        "coalesce(sum(f.points), 0)::int AS rating_points, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_first_follow_up) "
        "AS median_days_to_first_follow_up "
        "FROM rm_complaints c LEFT JOIN (SELECT complaint_id, "
        "sum(times) FILTER (WHERE fact = 'rated') AS rated, "
        "sum(times) FILTER (WHERE fact = 'rating_points') AS points "
        "FROM rm_agency_facts GROUP BY complaint_id) f USING (complaint_id) "
        "WHERE ($3::text IS NULL OR province_code = $3) "
        "AND ($4::text IS NULL OR agency_code = $4) AND ($5::text IS NULL OR unit_code = $5) "
        "AND ($6::text IS NULL OR $6 = ANY(tags)) "
        "GROUP BY 1 ORDER BY 1",
        now,
        q.follow_up_days,
        q.province,
        q.agency,
        q.unit,
        q.tag,
    )


async def trends(
    pool: asyncpg.Pool, period: str, zone: str, since: datetime, tag: str | None = None
) -> list[dict[str, Any]]:
    """Complaints filed and resolved per week or month (local time), from `since` on (those
    with `tag` only, when given)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "WITH filed AS (SELECT (date_trunc($1, filed_at, $2) AT TIME ZONE $2)::date "
            "AS period, count(*) AS n FROM rm_complaints WHERE filed_at >= $3 "
            "AND ($4::text IS NULL OR $4 = ANY(tags)) GROUP BY 1), "
            "resolved AS (SELECT (date_trunc($1, closed_at, $2) AT TIME ZONE $2)::date "
            "AS period, count(*) AS n "
            "FROM rm_complaints WHERE closed_reason = 'resolved' AND closed_at >= $3 "
            "AND ($4::text IS NULL OR $4 = ANY(tags)) GROUP BY 1) "
            "SELECT period, coalesce(filed.n, 0) AS filed, coalesce(resolved.n, 0) AS resolved "
            "FROM filed FULL JOIN resolved USING (period) ORDER BY period",
            period,
            zone,
            since,
            tag,
        )
    return [
        {"period": r["period"].isoformat(), "filed": r["filed"], "resolved": r["resolved"]}
        for r in rows
    ]


PUBLISHABLE = "NOT confidential AND NOT anonymous"
"""The rows open data may show (aggregates count every row)."""


async def publishable(
    pool: asyncpg.Pool, *, limit: int, offset: int, **filters: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """How many complaints may be published row by row, and one page of them (newest first)."""
    where = (
        f"WHERE {PUBLISHABLE} AND ($1::text IS NULL OR category = $1) "
        "AND ($2::text IS NULL OR province_code = $2) AND ($3::text IS NULL OR status = $3)"
    )
    args = (filters.get("category"), filters.get("province"), filters.get("status"))
    return await _page(pool, where, args, limit, offset)


class ReadModelTables:
    """The read models as the handlers see them."""

    def __init__(self, pool: asyncpg.Pool, calendar: WorkingCalendar) -> None:
        self.pool = pool
        self.calendar = calendar

    async def apply(self, tx: Transaction, streams: dict[UUID, list[Envelope]]) -> None:
        """Recompute the touched complaints' rows (in the consumer's transaction)."""
        await apply_batch(tx, streams, self.calendar)

    async def rebuild(self, consumer: str) -> int:
        """Replace every read model by a projection of the whole store; the events read."""
        return await rebuild(self.pool, self.calendar, consumer)

    async def digests(self) -> dict[str, dict[str, Any]]:
        """Row count and digest per table."""
        return await digests(self.pool)

    async def complaints(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """How many rows match, and one page of them."""
        return await complaints(self.pool, **query)

    async def agency_performance(self, now: datetime) -> list[dict[str, Any]]:
        """Per-agency performance as of `now`."""
        return await agency_performance(self.pool, now)

    async def region_rollup(self, now: datetime) -> list[dict[str, Any]]:
        """Per-province rollup as of `now`."""
        return await region_rollup(self.pool, now)

    async def group_counts(self, now: datetime, **query: Any) -> list[dict[str, Any]]:
        """The performance counts per group (see `group_counts`)."""
        return await group_counts(self.pool, now, GroupQuery(**query))

    async def publishable(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """Rows open data may show, one page (see `publishable`)."""
        return await publishable(self.pool, **query)

    async def status_counts(self, column: str) -> list[tuple[str, str, int]]:
        """(value of `column`, status, complaints) over every complaint."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT coalesce({column}, 'unknown') AS code, status, count(*) AS n "
                "FROM rm_complaints GROUP BY 1, 2 ORDER BY 1, 2"
            )
        return [(r["code"], r["status"], r["n"]) for r in rows]

    async def trends(
        self, period: str, since: datetime, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Filed and resolved per week or month, in the calendar's zone."""
        return await trends(self.pool, period, self.calendar.zone.key, since, tag)
