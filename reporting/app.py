"""The reporting service: `create_app` (HTTP) and the projection worker."""

from __future__ import annotations

from fastapi import FastAPI

from reporting import api, store
from reporting.bootstrap import bootstrap
from reporting.handlers import consumer_name, on_batch
from services.platform.batch_consumer import Batch, batch_event_consumer
from services.platform.ports import Transaction
from services.platform.runtime import Runtime
from services.platform.serving import Worker, service_app


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The reporting HTTP app and its projection worker."""
    deps = bootstrap(rt)
    app = service_app(
        "reporting",
        rt,
        title="lapor reporting",
        description="Read models for dashboards, and the auditor's timeline.",
    )
    app.include_router(api.router(deps, rt.keyring))

    async def apply(batch: Batch, tx: Transaction) -> None:
        await on_batch(batch, tx, deps)

    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=consumer_name(rt.settings.topic_prefix),
        pool=rt.pool,
        handle=apply,
        lock_key=store.WRITE_LOCK,
    )
    rt.ready["complaint-events"] = consumer.ready
    rt.progress["complaint-events"] = consumer.progress
    return app, {"complaint-events": consumer.run}
