"""The followup service: `create_app` (HTTP) and its workers (complaint events, agency
replies, the deadline scan)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from followup import agents, api
from followup.handlers import Followup
from services.batch_consumer import batch_event_consumer
from services.consumer import AppliedVersions
from services.faust_app import faust_worker
from services.runtime import Runtime
from services.service_main import Worker, service_app


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The followup HTTP app and its background workers."""
    followup = Followup(rt)
    app = service_app(
        "followup",
        rt,
        title="lapor followup",
        description="Agencies' queues and replies, deadline clocks and escalation.",
    )
    app.include_router(api.router(followup))
    name = f"{rt.settings.topic_prefix}-followup"
    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=name,
        applied=AppliedVersions(rt.pool, name),
        handle=followup.on_batch,
    )
    rt.ready["complaint-events"] = consumer.ready
    rt.ready["agency-replies"] = asyncio.Event()
    replies = faust_worker(
        rt.settings,
        app_id="agency-replies",
        bootstrap=rt.endpoints.kafka_bootstrap_servers,
        register=lambda faust_app: agents.register(faust_app, followup),
        ready=rt.ready["agency-replies"],
    )

    return app, {
        "complaint-events": consumer.run,
        "agency-replies": replies,
        "deadlines": followup.run_scheduler,
    }
