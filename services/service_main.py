"""Running one of the four services as a process: infrastructure endpoints, migrations, the
runtime, the HTTP app (with health and metrics) and the service's background workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from services.health import health_router_app
from services.http import install_error_handlers
from services.infra import ensure_infra
from services.logs import configure_logging, get_logger
from services.migrate import migrate_database
from services.process import serve
from services.runtime import Runtime
from services.settings import PlatformSettings

Worker = Callable[[asyncio.Event], Awaitable[None]]
log = get_logger("service")


def service_app(name: str, rt: Runtime, *, title: str, description: str) -> FastAPI:
    """The FastAPI app of a service: its routes are added by the caller; health, metrics and the
    error conventions are already there."""
    app = health_router_app(name, rt.readiness())
    app.title = title
    app.description = description
    app.version = "1"
    install_error_handlers(app)
    return app


async def run_workers(rt: Runtime, workers: dict[str, Worker], stopping: asyncio.Event) -> None:
    """Run every worker until `stopping`; a worker that fails stops the process (the launcher
    reports it) rather than leaving a half-working service."""
    tasks = [asyncio.create_task(work(stopping), name=name) for name, work in workers.items()]
    if not tasks:
        await stopping.wait()
        return
    try:
        done, _ = await asyncio.wait(
            [*tasks, asyncio.create_task(stopping.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task in tasks and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        stopping.set()
        for task in tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=20)


def main(
    name: str,
    port_setting: str,
    build: Callable[[Runtime], tuple[FastAPI, dict[str, Worker]]],
    settings: PlatformSettings | None = None,
) -> None:
    """`python -m <service>`: run the service until SIGINT/SIGTERM."""
    settings = settings or PlatformSettings()
    configure_logging(settings.log_level, settings.log_format)
    endpoints = ensure_infra(settings)

    async def run() -> None:
        await migrate_database(endpoints.database_url)
        rt = await Runtime.open(settings, endpoints, name)
        try:
            app, workers = build(rt)

            async def work(stopping: asyncio.Event) -> None:
                await run_workers(rt, workers, stopping)

            await serve(
                settings, name=name, app=app, port=getattr(settings, port_setting), work=work
            )
        finally:
            await rt.close()

    asyncio.run(run())
