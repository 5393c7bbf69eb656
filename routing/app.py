"""The routing service: `create_app` (HTTP) and the complaint-events worker."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from routing import api
from routing.bootstrap import bootstrap
from routing.handlers import RoutingDeps, on_batch
from services.kernel.registry import NATIONAL_ADMIN
from services.platform import kafka
from services.platform.batch_consumer import Batch, batch_event_consumer
from services.platform.ports import Transaction
from services.platform.runtime import Runtime
from services.platform.serving import Worker, service_app


async def ensure_agency_topics(rt: Runtime) -> list[str]:
    """One queue topic per agency that holds a key (work units act through their agency), and
    the national admin's."""
    owners = [a.code for a in rt.ports.registry if a.kind != "work_unit"] + [NATIONAL_ADMIN]
    return await kafka.ensure_topics(
        rt.endpoints.kafka_bootstrap_servers,
        {rt.settings.agency_topic(code): rt.settings.agency_partitions for code in owners},
        rt.settings.topic_replication_factor,
        rt.settings.topic_min_insync_replicas,
    )


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The routing HTTP app and its background worker."""
    deps: RoutingDeps = bootstrap(rt)
    app = service_app(
        "routing",
        rt,
        title="lapor routing",
        description="The national admin's verification queue, disposition, and the registry.",
    )
    app.include_router(api.router(deps, rt.keyring))

    async def apply(batch: Batch, tx: Transaction) -> None:
        await on_batch(batch, tx, deps)

    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=f"{rt.settings.topic_prefix}-routing",
        pool=rt.pool,
        handle=apply,
    )
    rt.ready["complaint-events"] = consumer.ready

    async def events(stopping: asyncio.Event) -> None:
        await ensure_agency_topics(rt)
        await consumer.run(stopping)

    return app, {"complaint-events": events}
