"""The routing service: `create_app` (HTTP) and the complaint-events worker."""

from __future__ import annotations

from aiokafka.errors import KafkaError
from fastapi import FastAPI

from routing import api
from routing.bootstrap import bootstrap
from routing.handlers import RestoreQueues, RoutingDeps, handle
from routing.reactions import on_batch
from services.platform.db import TRANSIENT_ERRORS
from services.platform.logs import get_logger
from services.platform.runtime import Runtime
from services.platform.serving import Worker, periodic, service_app

log = get_logger("routing")


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The routing HTTP app and its background worker."""
    deps: RoutingDeps = bootstrap(rt)
    app = service_app(
        "routing",
        rt,
        title="lapor routing",
        description="The national admin's verification queue, disposition, and the registry.",
    )
    api.mount(app, deps, rt.keyring)

    events = rt.complaint_events(
        f"{rt.settings.topic_prefix}-routing", lambda batch, tx: on_batch(batch, tx, deps)
    )

    return app, {
        "complaint-events": events,
        "queue-keeper": queue_keeper(deps, rt.settings.relay_probe_interval_s),
    }


def queue_keeper(deps: RoutingDeps, interval_s: float) -> Worker:
    """Put every work item back on its queue after the broker lost them (Tansu, the in-memory
    fallback; on Apache Kafka the relay never counts a reset, so this never sends)."""

    async def restore() -> None:
        restored = await handle(RestoreQueues(), deps)
        if restored:
            log.warning("routing.queues_restored", work_items=restored)

    return periodic(
        restore,
        interval_s,
        retry_event="routing.restore_retry",
        at_start=True,
        retry_on=(*TRANSIENT_ERRORS, KafkaError),
    )
