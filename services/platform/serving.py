"""Serving one process: the HTTP app (health, metrics, error conventions) beside the background
workers, on loopback, until SIGINT/SIGTERM. The entry points in `services.tooling.entrypoints`
find the engines and call `run_service`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI

from services.platform.db import TRANSIENT_ERRORS
from services.platform.health import Check, health_router_app
from services.platform.http import install_error_handlers, install_http_safety
from services.platform.logs import get_logger
from services.platform.migrate import migrate_database
from services.platform.ratelimit import install_rate_limit_handler
from services.platform.runtime import Runtime
from services.platform.settings import Endpoints, PlatformSettings

Worker = Callable[[asyncio.Event], Awaitable[None]]
"""A background task of a service: runs until the event is set."""
Build = Callable[[Runtime], tuple[FastAPI, dict[str, Worker]]]
"""A service's `create_app`: its HTTP app and its workers, over an open runtime."""

log = get_logger("serving")


def periodic(
    job: Callable[[], Awaitable[object]],
    interval_s: float,
    *,
    retry_event: str,
    at_start: bool = False,
    retry_on: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
) -> Worker:
    """A worker that runs `job` every `interval_s` until stopped (the first time at once with
    `at_start`, else after one interval); a transient error (`retry_on`: storage by default)
    is logged as `retry_event` and the next round tries again."""

    async def run(stopping: asyncio.Event) -> None:
        wait = not at_start
        while not stopping.is_set():
            if wait:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=interval_s)
                if stopping.is_set():
                    return
            wait = True
            try:
                await job()
            except retry_on as exc:
                log.warning(retry_event, error=repr(exc))

    return run


async def serve(
    settings: PlatformSettings,
    *,
    name: str,
    app: FastAPI,
    port: int,
    work: Callable[[asyncio.Event], Awaitable[None]],
) -> None:
    """Run `work` and an HTTP server on loopback until SIGINT/SIGTERM, then stop both cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.host, port=port, log_config=None, access_log=False)
    )
    http = asyncio.create_task(server.serve())
    worker = asyncio.create_task(work(stopping))
    log.info("service.started", service=name, url=f"http://{settings.host}:{port}")
    done, _ = await asyncio.wait(
        {http, worker, asyncio.create_task(stopping.wait())}, return_when=asyncio.FIRST_COMPLETED
    )
    stopping.set()
    server.should_exit = True
    failed = [t for t in done if t is not http and t.exception() is not None]
    for task in failed:
        log.error("service.failed", service=name, error=repr(task.exception()))
    await asyncio.gather(http, worker, return_exceptions=True)
    log.info("service.stopped", service=name)
    if failed:
        raise SystemExit(1)


def service_app(name: str, rt: Runtime, *, title: str, description: str) -> FastAPI:
    """The FastAPI app of a service: its routes are added by the caller; health, metrics, the
    error conventions and the HTTP safety middleware are already there."""
    return http_app(name, rt.settings, rt.readiness(), title=title, description=description)


def http_app(
    name: str, settings: PlatformSettings, ready: Check, *, title: str, description: str
) -> FastAPI:
    """`service_app` without a runtime: what tests build over the in-memory fakes."""
    app = health_router_app(name, ready)
    app.title = title
    app.description = description
    app.version = "1"
    install_error_handlers(app)
    install_rate_limit_handler(app)
    install_http_safety(app, settings)
    return app


async def run_workers(workers: dict[str, Worker], stopping: asyncio.Event) -> None:
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


async def run_service(
    settings: PlatformSettings, endpoints: Endpoints, name: str, port: int, build: Build
) -> None:
    """Migrate, open the runtime, build the service and serve it until a signal."""
    await migrate_database(endpoints.database_url)
    rt = await Runtime.open(settings, endpoints, name)
    try:
        app, workers = build(rt)

        async def work(stopping: asyncio.Event) -> None:
            await run_workers(workers, stopping)

        await serve(settings, name=name, app=app, port=port, work=work)
    finally:
        await rt.close()
