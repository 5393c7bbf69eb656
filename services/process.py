"""Running one service process: settings, logging, signals, the HTTP server beside the work."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI

from services.logs import get_logger
from services.settings import PlatformSettings

log = get_logger("process")


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
