"""Routing's reactions to complaint events (EVENT_HANDLERS): dispose by the rules, and put
work items on the queue of whoever must act; applied a batch at a time by `on_batch`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from events import catalog as ev
from events.base import Event
from events.envelope import Envelope
from events.fold import replay
from events.messages import WorkItem
from events.state import ComplaintState, Status
from routing import domain
from routing.handlers import SYSTEM, RoutingDeps
from routing.store import SentItem
from routing.work_items import build_work_item, reason_for, shares_contact
from services.kernel.registry import NATIONAL_ADMIN
from services.platform.batch_consumer import Batch
from services.platform.commands import execute
from services.platform.logs import get_logger
from services.platform.ports import (
    ContactErased,
    ContactRead,
    MessageTooLarge,
    Transaction,
)


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


def _auto_decision(state: ComplaintState, cause: Envelope, deps: RoutingDeps) -> list[Event]:
    ports = deps.ports
    return domain.decide_auto_disposition(
        state,
        registry=ports.registry,
        now=ports.clock.now(),
        policy=ports.policy,
        max_refusals=deps.settings.max_refusals,
        suggested_agency=getattr(cause.payload, "suggested_agency_code", None),
    )


async def auto_dispose(reaction: Reaction, deps: RoutingDeps) -> None:
    """Dispose by the rules when they give a clear answer (decided on the current state, so a
    re-delivered event does nothing twice)."""
    ports, envelope = deps.ports, reaction.envelope
    await ports.clock.refresh()

    def decide(state: ComplaintState) -> list[Event]:
        return _auto_decision(state, envelope, deps)

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
    reason = reason_for(envelope.payload, deps.settings.max_refusals, at_event)
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
    if current.status is Status.VERIFIED and not _auto_decision(current, reaction.envelope, deps):
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
