"""The routing service: `create_app` (HTTP) and the complaint-events worker."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from routing import api
from routing.handlers import Routing
from routing.registry import NATIONAL_ADMIN
from services import kafka
from services.batch_consumer import batch_event_consumer
from services.consumer import AppliedVersions
from services.runtime import Runtime
from services.service_main import Worker, service_app


async def ensure_agency_topics(rt: Runtime) -> list[str]:
    """One queue topic per agency that holds a key (work units act through their agency), and
    the national admin's."""
    owners = [a.code for a in rt.registry if a.kind != "work_unit"] + [NATIONAL_ADMIN]
    return await kafka.ensure_topics(
        rt.endpoints.kafka_bootstrap_servers,
        {rt.settings.agency_topic(code): rt.settings.agency_partitions for code in owners},
        rt.settings.topic_replication_factor,
    )


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The routing HTTP app and its background worker."""
    routing = Routing(rt)
    app = service_app(
        "routing",
        rt,
        title="lapor routing",
        description="The national admin's verification queue, disposition, and the registry.",
    )
    app.include_router(api.router(routing))
    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=f"{rt.settings.topic_prefix}-routing",
        applied=AppliedVersions(rt.pool, f"{rt.settings.topic_prefix}-routing"),
        handle=routing.on_batch,
    )
    rt.ready["complaint-events"] = consumer.ready

    async def events(stopping: asyncio.Event) -> None:
        await ensure_agency_topics(rt)
        await consumer.run(stopping)

    return app, {"complaint-events": events}
