"""The auditor's view of a past instant, rebuilt from the log: one complaint's state as the
fold of its events that had happened by then, and the dashboards as the same projection of
every such event (in memory, with the deadlines judged at that instant)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID

from events.envelope import Envelope
from events.fold import replay
from reporting import dashboards
from reporting.replay_engine import ReplayReadModels
from services.kernel.case_file import case_file
from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import Registry
from services.kernel.workdays import WorkingCalendar
from services.platform.ports import EventStore

PAGE = 5000


def not_found(problem: str) -> Refused:
    """The refusal of an as-of question with nothing to answer."""
    return Refused("not_found", problem, kind=RefusalKind.NOT_FOUND)


async def complaint_as_of(store: EventStore, tracking_id: str, at: datetime) -> dict[str, Any]:
    """The complaint as it stood at `at`: its case file folded from the events that had
    happened by then (never a reporter's contact), and how many there were."""
    complaint_id = await store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        raise not_found("no complaint with this tracking id")
    stream = [e for e in await store.read_stream(complaint_id) if e.occurred_at <= at]
    if not stream:
        raise not_found("the complaint had not been filed at that instant")
    return {"as_of": at.isoformat(), "events": len(stream)} | case_file(replay(stream), stream)


async def streams_as_of(store: EventStore, at: datetime) -> dict[UUID, list[Envelope]]:
    """Every stream cut at `at`, read from the log in global order, page by page."""
    streams: dict[UUID, list[Envelope]] = {}
    position = 0
    while page := await store.read_all(position, PAGE):
        for stored in page:
            event = stored.envelope
            if event.occurred_at <= at:
                streams.setdefault(event.complaint_id, []).append(event)
        position = page[-1].global_position
    for stream in streams.values():
        stream.sort(key=lambda e: e.version)
    return streams


async def dashboards_as_of(
    store: EventStore,
    calendar: WorkingCalendar,
    at: datetime,
    scoring: dashboards.Scoring,
    registry: Registry,
) -> dict[str, Any]:
    """Every dashboard as it would have read at `at`: the complaint counts by status, the
    agencies' and regions' tables, the national overview and the performance rankings."""
    models = ReplayReadModels(calendar)
    await models.apply(None, await streams_as_of(store, at))  # type: ignore[arg-type]
    total, rows = await models.complaints(limit=10**9, offset=0)
    return {
        "as_of": at.isoformat(),
        "complaints": {"total": total, "by_status": dict(Counter(r["status"] for r in rows))},
        "agencies": await models.agency_performance(at),
        "regions": await models.region_rollup(at),
        "overview": await dashboards.overview(scoring, models, at),
        "performance": {
            by: await dashboards.performance(scoring, registry, models, by, at)
            for by in ("agency", "province")
        },
    }
