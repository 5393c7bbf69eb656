"""The reporting service: `create_app` (HTTP) and the projection worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from reporting import api, open_api, store
from reporting.audit import SignCheckpoint
from reporting.bootstrap import bootstrap
from reporting.dashboard_page import install_dashboard
from reporting.handlers import ExportOpenData, handle, on_batch
from reporting.ports import ReportingDeps, consumer_name
from services.platform.logs import get_logger
from services.platform.runtime import Runtime
from services.platform.serving import Worker, periodic, service_app

log = get_logger("reporting")


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The reporting HTTP app and its projection worker."""
    deps = bootstrap(rt)
    app = service_app(
        "reporting",
        rt,
        title="lapor reporting",
        description="Read models for dashboards, and the auditor's timeline.",
    )
    api.mount(app, deps, rt.keyring)
    open_api.mount(app, deps)
    install_dashboard(app)

    events = rt.complaint_events(
        consumer_name(rt.settings.topic_prefix),
        lambda batch, tx: on_batch(batch, tx, deps),
        lock_key=store.WRITE_LOCK,
    )
    workers: dict[str, Worker] = {"complaint-events": events}
    every = {
        "checkpoints": (SignCheckpoint(), deps.settings.checkpoint_interval_s),
        "open-data": (ExportOpenData(), deps.settings.open_data_interval_s),
    }
    for name, (command, interval_s) in every.items():
        if interval_s:
            workers[name] = periodic(
                run_logged(command, deps, name), interval_s, retry_event=f"{name}.retry_later"
            )
    return app, workers


def run_logged(command: object, deps: ReportingDeps, name: str) -> Callable[[], Awaitable[None]]:
    """A periodic job: run one of reporting's commands through its table, log what it made."""

    async def run() -> None:
        made = await handle(command, deps)
        if made is not None:
            log.info(f"{name}.done", made=str(made)[:200])

    return run
