"""The followup service: `create_app` (HTTP) and its workers (complaint events, agency
replies, the deadline scan)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from followup import agents, api
from followup.bootstrap import bootstrap
from followup.handlers import FollowupDeps, ScanDeadlines, handle, on_batch
from services.platform.consumer import InFlight
from services.platform.faust_app import faust_worker
from services.platform.logs import get_logger
from services.platform.runtime import Runtime
from services.platform.serving import Worker, periodic, service_app

log = get_logger("followup")


def deadline_scanner(deps: FollowupDeps, interval_s: float) -> Worker:
    """Scan on an interval until stopped (any number of instances may run: the expected
    version makes a second escalation of the same miss impossible)."""
    return periodic(
        lambda: handle(ScanDeadlines(), deps),
        interval_s,
        retry_event="deadline.scan_retry",
        at_start=True,
    )


def create_app(rt: Runtime) -> tuple[FastAPI, dict[str, Worker]]:
    """The followup HTTP app and its background workers."""
    deps = bootstrap(rt)
    app = service_app(
        "followup",
        rt,
        title="lapor followup",
        description="Agencies' queues and replies, deadline clocks and escalation.",
    )
    api.mount(app, deps, rt.keyring)

    events = rt.complaint_events(
        f"{rt.settings.topic_prefix}-followup", lambda batch, tx: on_batch(batch, tx, deps)
    )
    rt.ready["agency-replies"] = asyncio.Event()
    rt.progress["agency-replies"] = in_flight = InFlight()
    replies = faust_worker(
        rt.settings,
        app_id="agency-replies",
        bootstrap=rt.endpoints.kafka_bootstrap_servers,
        register=lambda faust_app: agents.register(faust_app, deps, rt.keyring, in_flight),
        ready=rt.ready["agency-replies"],
    )
    return app, {
        "complaint-events": events,
        "agency-replies": replies,
        "deadlines": deadline_scanner(deps, deps.settings.deadline_scan_interval_s),
    }
