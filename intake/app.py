"""The intake service: `create_app` (HTTP) and the intake-topic worker."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from intake import agents, api, systems_api
from intake.bootstrap import bootstrap
from services.platform.consumer import InFlight
from services.platform.faust_app import faust_worker
from services.platform.runtime import Runtime
from services.platform.serving import Worker, service_app


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The intake HTTP app and its background workers."""
    deps = bootstrap(rt)
    app = service_app(
        "intake",
        rt,
        title="lapor intake",
        description="Channels file complaints here; reporters follow them and reply.",
    )
    app.include_router(api.router(deps, rt.keyring))
    app.include_router(systems_api.router(deps, rt.keyring))
    rt.ready["intake-topic"] = asyncio.Event()
    rt.progress["intake-topic"] = in_flight = InFlight()
    intake_topic = faust_worker(
        rt.settings,
        app_id="intake-topic",
        bootstrap=rt.endpoints.kafka_bootstrap_servers,
        register=lambda faust_app: agents.register(faust_app, deps, rt.keyring, in_flight),
        ready=rt.ready["intake-topic"],
    )
    return app, {"intake-topic": intake_topic}
