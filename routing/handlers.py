"""Routing use cases over the ports: the national admin's commands and queries
(COMMAND_HANDLERS), and the reactions to complaint events (EVENT_HANDLERS): dispose by the
rules, and put work items on the queue of whoever must act."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from events import catalog as ev
from events.base import Event
from events.envelope import Actor, Envelope
from events.fold import replay
from events.messages import WorkItem
from events.state import ComplaintState, Status
from routing import domain
from routing.domain import ArchiveReason
from routing.store import PutBack, SentItem
from routing.work_items import build_work_item, reason_for, shares_contact
from services.kernel.appeals import AppealOutcome, decide_appeal_review
from services.kernel.case_file import case_file
from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import NATIONAL_ADMIN
from services.kernel.tags import tag_catalogue
from services.platform.batch_consumer import Batch
from services.platform.commands import Decide, execute
from services.platform.dispatch import Handler, dispatch
from services.platform.logs import get_logger
from services.platform.ports import (
    ContactErased,
    ContactRead,
    MessageTooLarge,
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

    async def list(
        self,
        *,
        status: str | None,
        limit: int,
        offset: int,
        overdue_at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """One page of the queue, oldest first (only the overdue ones with `overdue_at`)."""
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


# -- the national admin's commands ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AdminCommand:
    """A national admin's command on one complaint; a repeated key is applied once."""

    complaint_id: UUID
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class Verify(AdminCommand):
    """Accept the report; set what the reporter could not know."""

    category: str
    title: str | None = None
    region_code: str | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Archive(AdminCommand):
    """Archive with a reason."""

    reason: ArchiveReason
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Defer(AdminCommand):
    """Put on hold (tunda)."""

    reason: str
    resume_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Resume(AdminCommand):
    """Back to verification, with a fresh clock."""


@dataclass(frozen=True, kw_only=True)
class Extend(AdminCommand):
    """Extend an agency's follow-up deadline beyond the rule's limits."""

    new_due: datetime
    justification: str


@dataclass(frozen=True, kw_only=True)
class ConfirmResolution(AdminCommand):
    """Confirm a proposed resolution on the reporter's behalf."""


@dataclass(frozen=True, kw_only=True)
class DecideAppeal(AdminCommand):
    """Uphold a closure under appeal, or reopen it with a new owner."""

    outcome: AppealOutcome
    reason: str
    assign_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestInformation(AdminCommand):
    """Ask the reporter for more."""

    question: str


@dataclass(frozen=True, kw_only=True)
class Dispose(AdminCommand):
    """Dispose by hand to an agency."""

    agency_code: str


@dataclass(frozen=True, kw_only=True)
class SetTags(AdminCommand):
    """Set the complaint's priority programmes and strategic issues (the whole set)."""

    tags: tuple[str, ...]


@dataclass(frozen=True)
class ShowCaseFile:
    """One complaint's current state (no personal data)."""

    complaint_id: UUID


@dataclass(frozen=True)
class RestoreQueues:
    """After a broker reset: every work item back on its queue, in order."""


@dataclass(frozen=True)
class ListQueue:
    """What waits for the national admin, oldest first."""

    status: Status | None = None
    limit: int = 100
    offset: int = 0
    overdue: bool = False


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
    return await deps.queue.list(
        status=status, limit=cmd.limit, offset=cmd.offset, overdue_at=overdue_at
    )


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


async def handle(command: object, deps: RoutingDeps) -> Any:
    """Run one of routing's commands."""
    return await dispatch(COMMAND_HANDLERS, command, deps)


# -- reactions to complaint events ---------------------------------------------------------


@dataclass
class Reaction:
    """One event to react to: the state just after it, the current state, the whole stream,
    and the batch's pending work-item acknowledgements (awaited before the batch commits)."""

    envelope: Envelope
    at_event: ComplaintState
    current: ComplaintState
    stream: list[Envelope]
    tx: Transaction = None
    sent: list[Awaitable[Any]] = field(default_factory=list)


EventHandler = Callable[[Reaction, RoutingDeps], Awaitable[None]]


def _auto_decision(state: ComplaintState, cause: Envelope, ports: Ports) -> list[Event]:
    return domain.decide_auto_disposition(
        state,
        registry=ports.registry,
        now=ports.clock.now(),
        policy=ports.policy,
        max_refusals=ports.settings.max_refusals,
        suggested_agency=getattr(cause.payload, "suggested_agency_code", None),
    )


async def auto_dispose(reaction: Reaction, deps: RoutingDeps) -> None:
    """Dispose by the rules when they give a clear answer (decided on the current state, so a
    re-delivered event does nothing twice)."""
    ports, envelope = deps.ports, reaction.envelope
    await ports.clock.refresh()

    def decide(state: ComplaintState) -> list[Event]:
        return _auto_decision(state, envelope, ports)

    if not decide(reaction.current):
        return  # nothing to do (the usual case for a re-delivered or later event)
    await execute(
        ports.store,
        envelope.complaint_id,
        decide,
        actor=SYSTEM,
        now=ports.clock.now,
        causation_id=envelope.event_id,
        correlation_id=envelope.correlation_id,
        stream=reaction.stream,
    )


async def publish_work(reaction: Reaction, deps: RoutingDeps) -> None:
    """Put a work item on the queue of whoever must act now."""
    ports, envelope, at_event = deps.ports, reaction.envelope, reaction.at_event
    reason = reason_for(envelope.payload, ports.settings.max_refusals, at_event)
    if reason is None:
        return
    holder = None if reason == "needs_disposition" else at_event.agency_code
    owner = ports.registry.queue_owner(holder) if holder else NATIONAL_ADMIN
    queue = ports.settings.agency_topic(owner)
    reporter = None
    if shares_contact(envelope.payload, at_event) and at_event.reporter_ref:
        try:
            read = ContactRead(f"routing for {owner}", f"work item {reason}", at_event.complaint_id)
            reporter = await ports.vault.get(at_event.reporter_ref, read=read)
        except (KeyError, ContactErased):
            reporter = None
    item = build_work_item(envelope, reason, queue, at_event, reaction.stream, reporter)
    body = item.model_dump_json().encode()
    # Sent now, acknowledged before the batch commits (a lost item is re-sent with the batch),
    # and logged in the batch's transaction (to be put back should the broker lose it).
    key = str(envelope.complaint_id)
    try:
        ack = await ports.publisher.send(queue, key, body, {"lapor_type": "work-item"})
    except MessageTooLarge as exc:
        # Never sendable: retrying would stall every complaint behind it. Set aside (without
        # the body, which is too large for any topic) and go on.
        await _set_aside(deps, item, len(body), str(exc))
        return
    reaction.sent.append(ack)
    await deps.work_items.remember(
        reaction.tx, SentItem(item.work_item_id, queue, envelope.complaint_id, body)
    )


async def refused(reaction: Reaction, deps: RoutingDeps) -> None:
    """A refusal: re-dispose by the refuser's suggestion or the rules; when neither gives an
    answer (or the complaint was refused too often), the national admin's queue gets it."""
    await auto_dispose(reaction, deps)
    current = reaction.current
    if current.status is Status.VERIFIED and not _auto_decision(
        current, reaction.envelope, deps.ports
    ):
        await publish_work(reaction, deps)


async def supplied(reaction: Reaction, deps: RoutingDeps) -> None:
    """The reporter's answer: verification goes on (and may dispose at once), or, when an
    agency asked, the complaint is back on that agency's queue."""
    if reaction.at_event.agency_code:
        await publish_work(reaction, deps)
    else:
        await auto_dispose(reaction, deps)


EVENT_HANDLERS: dict[type[ev.Event], EventHandler] = {
    ev.ComplaintFiled: auto_dispose,
    ev.ComplaintVerified: auto_dispose,
    ev.ComplaintResumed: auto_dispose,
    ev.InformationSupplied: supplied,
    ev.DispositionRefused: refused,
    ev.Disposed: publish_work,
    ev.ForwardedToUnit: publish_work,
    ev.Escalated: publish_work,
    ev.ComplaintReopened: publish_work,
    ev.ReporterReplied: publish_work,
    ev.Appealed: publish_work,
    ev.AppealDecided: publish_work,
    ev.ReferredToOmbudsman: publish_work,
}
"""What routing does for each event type; every other type only updates the queue table."""


async def _set_aside(deps: RoutingDeps, item: WorkItem, size: int, problem: str) -> None:
    get_logger("routing").error(
        "routing.work_item_dead_lettered",
        work_item_id=str(item.work_item_id),
        queue=item.queue,
        size=size,
    )
    note = {
        "work_item_id": str(item.work_item_id),
        "complaint_id": str(item.complaint_id),
        "queue": item.queue,
        "size_bytes": size,
    }
    await deps.ports.publisher.publish(
        deps.ports.settings.dead_letter_topic,
        str(item.complaint_id),
        json.dumps(note).encode(),
        {
            "dlq_reason": f"work item too large to send: {problem}"[:4000],
            "dlq_stage": "produce",
            "dlq_consumer": "routing",
            "dlq_topic": item.queue,
        },
    )


async def on_batch(batch: Batch, tx: Transaction, deps: RoutingDeps) -> None:
    """Apply a batch of complaint events (once, inside the consumer's transaction): keep the
    queue table, react to each event in order, and wait for every work item's acknowledgement
    before the batch commits."""
    current = {cid: replay(stream) for cid, stream in batch.streams.items()}
    for state in current.values():
        await deps.queue.keep(tx, state)
    sent: list[Awaitable[Any]] = []
    for envelope in batch.events:
        handler = EVENT_HANDLERS.get(type(envelope.payload))
        if handler is None:
            continue
        stream = batch.streams[envelope.complaint_id]
        at_event = replay(e for e in stream if e.version <= envelope.version)
        reaction = Reaction(envelope, at_event, current[envelope.complaint_id], stream, tx, sent)
        await handler(reaction, deps)
    await asyncio.gather(*sent)
