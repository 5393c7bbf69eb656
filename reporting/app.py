"""The reporting service: `create_app` (HTTP) and the projection worker."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from reporting import api, checkpoints_api, open_api, store
from reporting.bootstrap import bootstrap
from reporting.dashboard_page import install_dashboard
from reporting.handlers import ExportOpenData, consumer_name, handle, on_batch
from services.platform.batch_consumer import Batch, batch_event_consumer
from services.platform.checkpoints import CheckpointTable, public_hex, signer_of
from services.platform.logs import get_logger
from services.platform.ports import Transaction
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
    app.include_router(api.router(deps, rt.keyring))
    app.include_router(open_api.router(deps))
    install_dashboard(app)

    async def apply(batch: Batch, tx: Transaction) -> None:
        await on_batch(batch, tx, deps)

    consumer = batch_event_consumer(
        rt.settings,
        rt.endpoints.kafka_bootstrap_servers,
        name=consumer_name(rt.settings.topic_prefix),
        pool=rt.pool,
        handle=apply,
        lock_key=store.WRITE_LOCK,
    )
    rt.ready["complaint-events"] = consumer.ready
    rt.progress["complaint-events"] = consumer.progress
    table = CheckpointTable(rt.pool)
    key = signer_of(rt.settings.checkpoint_signing_key.get_secret_value())
    app.include_router(checkpoints_api.router(table, rt.keyring, public_hex(key)))
    workers: dict[str, Worker] = {"complaint-events": consumer.run}
    if rt.settings.checkpoint_interval_s:
        workers["checkpoints"] = checkpointer(rt, table, key)
    if rt.settings.open_data_interval_s:

        async def export() -> None:
            folder = await handle(ExportOpenData(), deps)
            log.info("open_data.exported", folder=str(folder))

        workers["open-data"] = periodic(
            export, rt.settings.open_data_interval_s, retry_event="open_data.retry_later"
        )
    return app, workers


def checkpointer(rt: Runtime, table: CheckpointTable, key: Ed25519PrivateKey) -> Worker:
    """Sign a checkpoint of the log on an interval (when it moved) and publish it."""

    async def sign_and_publish() -> None:
        made = await table.make(key, await rt.ports.clock.refresh())
        if made is not None:
            value = made.model_dump_json().encode()
            headers = {"lapor_type": "checkpoint"}
            await rt.ports.publisher.publish(
                rt.settings.checkpoints_topic, "checkpoint", value, headers
            )

    return periodic(
        sign_and_publish, rt.settings.checkpoint_interval_s, retry_event="checkpoint.retry_later"
    )
