"""The database as the operator's one-off commands see it: a small pool on the started,
migrated engine, and the ports of a command that only appends (the relay publishes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.kernel.registry import load_registry
from services.platform.memory import NoPublishing
from services.platform.ports import Ports
from services.platform.runtime import database_ports
from services.platform.settings import Endpoints
from services.tooling.embedded import ADMIN, ensure_infra
from services.tooling.settings import ToolingSettings


@asynccontextmanager
async def database(
    settings: ToolingSettings, infra: Endpoints | None = None
) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the (started, migrated) database, closed afterwards; `infra` when the
    caller has already ensured the engines."""
    from services.platform.db import create_pool
    from services.platform.migrate import migrate_database

    url = (infra or ensure_infra(settings, principal=ADMIN)).database_url
    await migrate_database(url)
    pool = await create_pool(url, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def reading_database(settings: ToolingSettings) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on a database that is already there, for an auditor's command: nothing is
    started, migrated, provisioned or written (DATABASE_URL, else the embedded PostgreSQL that
    runs); a clear `OperatorError` when there is none."""
    from services.platform.db import create_pool
    from services.tooling.embedded import EmbeddedPostgres

    url = settings.database_url or EmbeddedPostgres(settings).running_url()
    if url is None:
        raise OperatorError(
            f"no PostgreSQL runs for {settings.var_dir}: start the system (make run) or set "
            "DATABASE_URL"
        )
    try:
        pool = await create_pool(url, max_size=2)
    except (OSError, asyncpg.PostgresError) as exc:
        raise OperatorError(f"cannot reach PostgreSQL: {exc}") from None
    try:
        yield pool
    finally:
        await pool.close()


class OperatorError(Exception):
    """What stops an operator's or auditor's command, said in one line (no traceback)."""


def command_ports(pool: asyncpg.Pool, settings: ToolingSettings) -> Ports:
    """The ports of a one-off command: appends reach Kafka through the outbox, so it
    publishes nothing directly."""
    return database_ports(pool, settings, NoPublishing(), load_registry())
