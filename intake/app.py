"""The intake service: `create_app` (HTTP for both sides), the intake-topic worker, and the
connected systems' import consumer and reconciliation."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from intake import agents, api
from intake.bootstrap import bootstrap
from intake.connected import agents as connected_agents
from intake.connected import api as connected_api
from intake.connected.handlers import ConnectedDeps, handle
from intake.connected.reconciling import Reconcile
from services.platform.consumer import InFlight
from services.platform.db import TRANSIENT_ERRORS
from services.platform.faust_app import faust_worker
from services.platform.logs import get_logger
from services.platform.runtime import Runtime
from services.platform.serving import Worker, periodic, service_app

log = get_logger("intake")


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The intake HTTP app and its background workers."""
    intake = bootstrap(rt)
    app = service_app(
        "intake",
        rt,
        title="lapor intake",
        description="Channels file complaints here; reporters follow them and reply.",
    )
    api.mount(app, intake.channels, rt.keyring)
    connected_api.mount(app, intake.connected, rt.keyring)
    rt.ready["intake-topic"] = asyncio.Event()
    rt.progress["intake-topic"] = in_flight = InFlight()
    intake_topic = faust_worker(
        rt.settings,
        app_id="intake-topic",
        bootstrap=rt.endpoints.kafka_bootstrap_servers,
        register=lambda faust_app: agents.register(
            faust_app, intake.channels, rt.keyring, in_flight
        ),
        ready=rt.ready["intake-topic"],
    )
    imports = connected_agents.topic_import_consumer(
        rt.settings, rt.endpoints.kafka_bootstrap_servers, intake.connected
    )
    # Not a readiness condition: with no import topic opened yet it has nothing assigned.
    rt.progress["system-imports"] = imports.progress
    workers: dict[str, Worker] = {"intake-topic": intake_topic, "system-imports": imports.run}
    if intake.settings.reconcile_interval_s:
        workers["reconciliation"] = reconciler(
            intake.connected, intake.settings.reconcile_interval_s
        )
    return app, workers


def reconciler(deps: ConnectedDeps, interval_s: float) -> Worker:
    """Reconcile every active system with a reconciliation endpoint, on an interval (a
    failure is kept as that reconciliation's error and shown on the health view)."""

    async def every_system() -> None:
        for record in await deps.systems.all():
            if record.system.active and record.system.reconciliation_url:
                try:
                    await handle(Reconcile(record.system.code), deps)
                except TRANSIENT_ERRORS as exc:  # the next system all the same
                    log.warning("reconciliation.retry_later", error=repr(exc))

    return periodic(every_system, interval_s, retry_event="reconciliation.retry_later")
