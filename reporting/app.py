"""The reporting service: `create_app` (HTTP) and the projection worker."""

from __future__ import annotations

from fastapi import FastAPI

from reporting import api, store
from reporting.handlers import Projector, consumer_name
from services.batch_consumer import batch_event_consumer
from services.consumer import AppliedVersions
from services.runtime import Runtime
from services.service_main import Worker, service_app


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The reporting HTTP app and its projection worker."""
    app = service_app(
        "reporting",
        rt,
        title="lapor reporting",
        description="Read models for dashboards, and the auditor's timeline.",
    )
    app.include_router(api.router(rt))
    name = consumer_name(rt.settings.topic_prefix)
    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=name,
        applied=AppliedVersions(rt.pool, name),
        handle=Projector(rt.policy.calendar).apply,
        lock_key=store.WRITE_LOCK,
    )
    rt.ready["complaint-events"] = consumer.ready
    return app, {"complaint-events": consumer.run}
