"""Session fixtures: the real broker and the real PostgreSQL, started once for the test run.

With KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL set, the tests use those engines and start nothing.
Each session uses its own topic prefix; each test uses its own complaint ids.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# The settings fail closed (unset = production); the tests, like `make test`, run development.
os.environ.setdefault("LAPOR_ENVIRONMENT", "development")

from services.platform.settings import Endpoints
from services.tooling.embedded import ADMIN, ensure_infra, free_port, stop_infra
from services.tooling.settings import ToolingSettings

# No property test fails for being slow: a deadline is a timed assertion, and `make test` runs
# the unit tests beside the real engines' on the same two cores.
hypothesis_settings.register_profile("lapor", deadline=None)
hypothesis_settings.load_profile("lapor")

ROOT = Path(__file__).resolve().parents[1]

SLOWEST_FIRST = [
    "test_faults",
    "test_cluster",
    "test_regional_system",
    "test_platform_run",
    "test_lifecycle",
    "test_dashboard_page",
    "test_broker_acls",
    "test_security",
    "test_appeal_and_ombudsman",
    "test_verify_cli",
    "test_relay",
]
"""Modules by how long they take (measured), the longest first: with `make test`'s workers
(pytest-xdist, `--no-loadscope-reorder`), they start early instead of finishing last."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On xdist workers, put the slowest modules first; each module's tests stay together and
    in their order (a run without workers keeps pytest's own order)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(rank)))


SPLIT_BY_PARAM = {"test_faults"}
"""Modules whose module-scoped fixture runs once per parameter (Apache Kafka, Tansu): on
workers, each parameter's tests are a unit of work of their own (the module is a third of the
serial run; its two systems run on two workers instead of one after the other)."""


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile`, except that a module of `SPLIT_BY_PARAM` is split by its parameter
    (pytest-xdist's `loadgroup` cannot do it: under pytest 9 it ignores the groups)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModulesAndParameters(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = str(super()._split_scope(nodeid))
            if Path(scope).stem in SPLIT_BY_PARAM and nodeid.endswith("]"):
                return f"{scope}[{nodeid.rpartition('[')[2]}"
            return scope

    return ModulesAndParameters(config, log)


@pytest.fixture(scope="session")
def platform_settings() -> Iterator[ToolingSettings]:
    # Under the checkout, not /tmp/pytest-of-*: pgserver runs PostgreSQL as its own system user,
    # which cannot enter pytest's private (0700) temporary folders.
    var_dir = ROOT / "var" / f"test-{uuid.uuid4().hex[:8]}"
    var_dir.mkdir(parents=True)
    settings = ToolingSettings(
        _env_file=None,
        environment="test",
        var_dir=var_dir,
        broker_port=free_port(),
        broker_controller_port=free_port(),
        broker_heap_mb=384,
        relay_port=free_port(),
        topic_prefix=f"t{uuid.uuid4().hex[:8]}",
        session_timeout_s=4,
        heartbeat_interval_s=1,
        relay_probe_interval_s=0.5,
    )
    yield settings
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def infra(platform_settings: ToolingSettings) -> Iterator[Endpoints]:
    from services.platform.migrate import migrate_database

    # The tests' own clients act as the operator (`admin`); the services they start too.
    endpoints = ensure_infra(platform_settings, principal=ADMIN)
    asyncio.run(migrate_database(endpoints.database_url))
    yield endpoints
    stop_infra(platform_settings)


@pytest.fixture(scope="session")
async def pool(infra: Endpoints) -> AsyncIterator[object]:
    from services.platform.db import create_pool

    created = await create_pool(infra.database_url, max_size=60)
    yield created
    await created.close()


@pytest.fixture(scope="session")
def store(pool):  # type: ignore[no-untyped-def]
    from services.platform.eventstore import PostgresEventStore

    return PostgresEventStore(pool)
