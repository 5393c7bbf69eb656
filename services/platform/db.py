"""asyncpg pools with the JSON codecs the platform relies on."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A connection pool whose json/jsonb columns read and write Python objects."""
    pool = await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection
    )
    assert pool is not None
    return pool


async def fetch_dicts(pool: asyncpg.Pool, query: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of one query, on a connection of the pool held only for it, as plain dicts."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(query, *args)
    return [dict(r) for r in rows]


async def connect(database_url: str) -> asyncpg.Connection:
    """One connection with the same codecs (for LISTEN, migrations and tools)."""
    conn = await asyncpg.connect(database_url)
    await _init_connection(conn)
    return conn


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.TransactionRollbackError,
    # What asyncpg raises when a statement is issued on a connection whose server went away
    # mid-operation ("cannot switch to state ...; another operation is in progress").
    asyncpg.exceptions.InternalClientError,
)
"""Database failures that say nothing about the data: retry later, never dead-letter."""
