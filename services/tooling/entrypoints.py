"""The process entry points the launcher starts: `python -m <service>` and `python -m services
relay`. Each finds the engines (starting the embedded ones if needed) and serves one process."""

from __future__ import annotations

import asyncio

from services.platform.health import health_router_app
from services.platform.logs import configure_logging
from services.platform.migrate import migrate_database
from services.platform.relay import OutboxRelay
from services.platform.serving import Build, run_service, serve
from services.tooling.broker_auth import service_principal
from services.tooling.embedded import ensure_infra
from services.tooling.settings import ToolingSettings


def service_main(name: str, port_setting: str, build: Build) -> None:
    """Run one of the four services until SIGINT/SIGTERM."""
    settings = ToolingSettings()
    configure_logging(settings.log_level, settings.log_format)
    endpoints = ensure_infra(settings, principal=service_principal(name))
    port = getattr(settings, port_setting)
    asyncio.run(run_service(settings, endpoints, name, port, build))


def relay_main() -> None:
    """Run the outbox relay (plus health and metrics over HTTP) until interrupted."""
    settings = ToolingSettings()
    configure_logging(settings.log_level, settings.log_format)
    endpoints = ensure_infra(settings, principal=service_principal("relay"))
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
