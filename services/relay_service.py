"""The relay as its own process: the outbox relay plus health and metrics over HTTP."""

from __future__ import annotations

import asyncio

from services.health import health_router_app
from services.infra import ensure_infra
from services.logs import configure_logging
from services.migrate import migrate_database
from services.process import serve
from services.relay import OutboxRelay
from services.settings import PlatformSettings


def main(settings: PlatformSettings | None = None) -> None:
    """Run the relay until interrupted."""
    settings = settings or PlatformSettings()
    configure_logging(settings.log_level, settings.log_format)
    endpoints = ensure_infra(settings)
    relay = OutboxRelay(
        settings, database_url=endpoints.database_url, bootstrap=endpoints.kafka_bootstrap_servers
    )

    async def ready() -> dict[str, object]:
        status = relay.status
        return {
            "ready": status.leader or status.standby,
            "leader": status.leader,
            "standby": status.standby,
            "published": status.published,
            "replays": status.replays,
            "last_error": status.last_error,
        }

    async def work(stopping: asyncio.Event) -> None:
        await migrate_database(endpoints.database_url)
        await relay.run(stopping)

    app = health_router_app("relay", ready)
    asyncio.run(serve(settings, name="relay", app=app, port=settings.relay_port, work=work))
