"""Routing's use cases over the ports: the national admin's commands and queries, one function
per command listed in COMMAND_HANDLERS (the commands themselves are in `routing.commands`,
the reactions to complaint events in `routing.reactions`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import uuid5

from events.base import Event
from events.envelope import Actor
from events.fold import replay
from events.state import ComplaintState
from routing import domain
from routing.commands import (
    AdminCommand,
    Archive,
    ConfirmResolution,
    DecideAppeal,
    Defer,
    Dispose,
    Extend,
    ListQueue,
    RequestInformation,
    RestoreQueues,
    Resume,
    SetTags,
    ShowCaseFile,
    Verify,
)
from routing.settings import RoutingSettings
from routing.store import PutBack, QueuePage, SentItem
from services.kernel.appeals import decide_appeal_review
from services.kernel.case_file import case_file
from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import NATIONAL_ADMIN
from services.kernel.tags import tag_catalogue
from services.platform.commands import Decide, execute
from services.platform.dispatch import Handler, dispatcher
from services.platform.ports import (
    Ports,
    Transaction,
)

SYSTEM = Actor(role="system", id="routing")
ADMIN = Actor(role="national_admin", id=NATIONAL_ADMIN)


class Queue(Protocol):
    """The national admin's queue table (`routing.store`: PostgreSQL, or in memory)."""

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Add, update or remove the complaint."""
        ...

    async def list(self, page: QueuePage) -> list[dict[str, Any]]:
        """One page of the queue, oldest first."""
        ...


class SentLog(Protocol):
    """Every work item sent (`routing.store`: PostgreSQL, or in memory)."""

    async def remember(self, tx: Transaction, item: SentItem) -> None:
        """Log a work item in the consumer's transaction."""
        ...

    async def restore_if_lost(self, put_back: PutBack) -> int:
        """Hand every logged item to `put_back` if the broker lost the queues since last time."""
        ...


@dataclass
class RoutingDeps:
    """What routing's handlers run over."""

    ports: Ports
    queue: Queue
    work_items: SentLog
    settings: RoutingSettings


# -- the national admin's commands ---------------------------------------------------------


async def _run_admin(cmd: AdminCommand, deps: RoutingDeps, decide: Decide) -> dict[str, Any]:
    """Run one of the national admin's decisions; answer with the case file."""
    ports = deps.ports
    idempotency = (
        uuid5(cmd.complaint_id, f"admin\x00{cmd.idempotency_key}") if cmd.idempotency_key else None
    )
    await ports.clock.refresh()
    outcome = await execute(
        ports.store,
        cmd.complaint_id,
        decide,
        actor=ADMIN,
        now=ports.clock.now,
        idempotency=idempotency,
    )
    if outcome.state.version == 0:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    stream = await ports.store.read_stream(cmd.complaint_id)
    return {"duplicate": outcome.duplicate, "complaint": case_file(outcome.state, stream)}


async def verify(cmd: Verify, deps: RoutingDeps) -> dict[str, Any]:
    """Verify: set category, title and privacy flags (disposition follows by the rules)."""

    def decide(state: ComplaintState) -> list[Event]:
        return domain.decide_verify(
            state,
            registry=deps.ports.registry,
            title=cmd.title,
            category=cmd.category,
            region_code=cmd.region_code,
            anonymous=cmd.anonymous,
            confidential=cmd.confidential,
            tags=cmd.tags,
            now=deps.ports.clock.now(),
            policy=deps.ports.policy,
        )

    return await _run_admin(cmd, deps, decide)


async def archive(cmd: Archive, deps: RoutingDeps) -> dict[str, Any]:
    """Archive a report that will not be handled."""
    return await _run_admin(cmd, deps, lambda s: domain.decide_archive(s, cmd.reason, cmd.note))


async def defer(cmd: Defer, deps: RoutingDeps) -> dict[str, Any]:
    """Put a new report on hold."""
    now = deps.ports.clock.now
    return await _run_admin(
        cmd, deps, lambda s: domain.decide_defer(s, cmd.reason, cmd.resume_on, now())
    )


async def resume(cmd: Resume, deps: RoutingDeps) -> dict[str, Any]:
    """Take a deferred report back to verification."""
    ports = deps.ports
    return await _run_admin(
        cmd, deps, lambda s: domain.decide_resume(s, ports.clock.now(), ports.policy)
    )


async def request_information(cmd: RequestInformation, deps: RoutingDeps) -> dict[str, Any]:
    """Ask the reporter for more; the clocks pause until the answer."""
    now = deps.ports.clock.now
    return await _run_admin(
        cmd, deps, lambda s: domain.decide_request_information(s, cmd.question, now())
    )


async def extend(cmd: Extend, deps: RoutingDeps) -> dict[str, Any]:
    """Grant an extension the rule would not: recorded with its reason."""
    now = deps.ports.clock.now
    return await _run_admin(
        cmd,
        deps,
        lambda s: domain.decide_extend(
            s, new_due=cmd.new_due, justification=cmd.justification, now=now()
        ),
    )


async def confirm_resolution(cmd: ConfirmResolution, deps: RoutingDeps) -> dict[str, Any]:
    """Confirm a proposed resolution for a reporter who cannot (anonymous, no token)."""
    ports = deps.ports
    return await _run_admin(
        cmd, deps, lambda s: domain.decide_confirm_resolution(s, ports.clock.now(), ports.policy)
    )


async def set_tags(cmd: SetTags, deps: RoutingDeps) -> dict[str, Any]:
    """Tag a complaint with national priority programmes and strategic issues."""
    return await _run_admin(cmd, deps, lambda s: domain.decide_tags(s, cmd.tags, tag_catalogue()))


async def decide_appeal(cmd: DecideAppeal, deps: RoutingDeps) -> dict[str, Any]:
    """Review an appeal the national admin holds (appeals against agencies other than a
    regency's or city's, and those a province let lie)."""
    ports = deps.ports

    def decide(state: ComplaintState) -> list[Event]:
        return list(
            decide_appeal_review(
                state,
                reviewer=None,
                outcome=cmd.outcome,
                reason=cmd.reason,
                assign_to=cmd.assign_to,
                registry=ports.registry,
                now=ports.clock.now(),
                policy=ports.policy,
            )
        )

    return await _run_admin(cmd, deps, decide)


async def dispose(cmd: Dispose, deps: RoutingDeps) -> dict[str, Any]:
    """Dispose by hand to an agency (never to one that refused this complaint)."""
    ports = deps.ports

    def decide(state: ComplaintState) -> list[Event]:
        return domain.decide_dispose(
            state,
            agency_code=cmd.agency_code,
            registry=ports.registry,
            now=ports.clock.now(),
            policy=ports.policy,
        )

    return await _run_admin(cmd, deps, decide)


async def show_case_file(cmd: ShowCaseFile, deps: RoutingDeps) -> dict[str, Any]:
    """The case file of any complaint, for the national admin."""
    stream = await deps.ports.store.read_stream(cmd.complaint_id)
    if not stream:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    return case_file(replay(stream), stream)


async def list_queue(cmd: ListQueue, deps: RoutingDeps) -> list[dict[str, Any]]:
    """One page of the national admin's queue."""
    status = cmd.status.value if cmd.status else None
    overdue_at = await deps.ports.clock.refresh() if cmd.overdue else None
    return await deps.queue.list(QueuePage(status, cmd.limit, cmd.offset, overdue_at))


async def restore_queues(cmd: RestoreQueues, deps: RoutingDeps) -> int:
    """Send every logged work item again (same ids: agencies de-duplicate) when the broker has
    lost the queues; returns how many."""
    publisher = deps.ports.publisher

    async def put_back(items: list[SentItem]) -> None:
        headers = {"lapor_type": "work-item"}
        sent = [await publisher.send(i.queue, str(i.complaint_id), i.body, headers) for i in items]
        await asyncio.gather(*sent)

    return await deps.work_items.restore_if_lost(put_back)


COMMAND_HANDLERS: dict[type, Handler[RoutingDeps]] = {
    Verify: verify,
    Archive: archive,
    Defer: defer,
    Resume: resume,
    RequestInformation: request_information,
    ConfirmResolution: confirm_resolution,
    Extend: extend,
    DecideAppeal: decide_appeal,
    Dispose: dispose,
    SetTags: set_tags,
    ShowCaseFile: show_case_file,
    ListQueue: list_queue,
    RestoreQueues: restore_queues,
}
"""Every command and query of routing's HTTP API."""


handle = dispatcher(COMMAND_HANDLERS)
"""Run one of routing's commands."""
