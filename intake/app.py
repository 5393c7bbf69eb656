"""The intake service: `create_app` (HTTP) and the intake-topic worker."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from intake import agents, api
from intake.handlers import Intake
from services.faust_app import create_faust_app
from services.runtime import Runtime
from services.service_main import Worker, service_app


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The intake HTTP app and its background workers."""
    intake = Intake(rt)
    app = service_app(
        "intake",
        rt,
        title="lapor intake",
        description="Channels file complaints here; reporters follow them and reply.",
    )
    app.include_router(api.router(intake))
    rt.ready["intake-topic"] = asyncio.Event()

    async def intake_topic(stopping: asyncio.Event) -> None:
        faust_app = create_faust_app(
            rt.settings, app_id="intake-topic", bootstrap=rt.endpoints.kafka_bootstrap_servers
        )
        agents.register(faust_app, intake)
        await faust_app.start()
        rt.ready["intake-topic"].set()
        try:
            await stopping.wait()
        finally:
            await faust_app.stop()

    return app, {"intake-topic": intake_topic}
