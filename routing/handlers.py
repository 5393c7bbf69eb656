"""Routing use cases: the national admin's commands, and the reactions to complaint events
(keep the queue, dispose automatically, publish work items to agency queues)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid5

import asyncpg

from events import catalog as ev
from events.envelope import Actor, Envelope
from events.fold import replay
from events.state import ComplaintState, Status
from routing import domain, store
from routing.registry import NATIONAL_ADMIN
from routing.work_items import build_work_item, reason_for
from services.batch_consumer import Batch
from services.commands import Decide, Outcome, execute
from services.decisions import Refused
from services.logs import get_logger
from services.personal_data import PersonalDataErased
from services.runtime import Runtime

log = get_logger("routing")
SYSTEM = Actor(role="system", id="routing")
ADMIN = Actor(role="national_admin", id=NATIONAL_ADMIN)


class Routing:
    """The routing service's use cases."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._sent: list[asyncio.Future[Any]] = []

    def queue_topic(self, code: str | None) -> str:
        """The queue a complaint held by `code` goes to (None: the national admin's)."""
        owner = self.rt.registry.queue_owner(code) if code else NATIONAL_ADMIN
        return self.rt.settings.agency_topic(owner)

    async def admin_command(
        self, complaint_id: UUID, decide: Decide, idempotency_key: str | None
    ) -> Outcome:
        """Run one of the national admin's decisions against the complaint."""
        idempotency = (
            uuid5(complaint_id, f"admin\x00{idempotency_key}") if idempotency_key else None
        )
        await self.rt.clock.refresh()
        outcome = await execute(
            self.rt.store,
            complaint_id,
            decide,
            actor=ADMIN,
            now=self.rt.clock.now,
            idempotency=idempotency,
        )
        if outcome.state.version == 0:
            raise Refused("not_found", "no such complaint", status=404)
        return outcome

    # -- reactions to complaint events ------------------------------------------------------

    async def on_batch(self, batch: Batch, conn: asyncpg.Connection) -> None:
        """Apply a batch of complaint events (once, inside the consumer's transaction): keep
        the queue table, react to each event in order, and wait for every work item's
        acknowledgement before the batch commits."""
        current = {cid: replay(stream) for cid, stream in batch.streams.items()}
        for state in current.values():
            await store.keep_queue(conn, state)
        self._sent = []
        for envelope in batch.events:
            handler = EVENT_HANDLERS.get(type(envelope.payload))
            if handler is None:
                continue
            stream = batch.streams[envelope.complaint_id]
            at_event = replay(e for e in stream if e.version <= envelope.version)
            await handler(self, envelope, at_event, current[envelope.complaint_id], stream)
        sent, self._sent = self._sent, []
        await asyncio.gather(*sent)

    async def auto_dispose(
        self,
        envelope: Envelope,
        at_event: ComplaintState,
        current: ComplaintState,
        stream: list[Envelope],
    ) -> None:
        """Dispose by the rules when they give a clear answer (decided on the current state, so
        a re-delivered event does nothing twice)."""
        await self.rt.clock.refresh()

        def decide(state: ComplaintState) -> list[ev.Event]:
            return self._auto_decision(state, envelope)

        if not decide(current):
            return  # nothing to do (the usual case for a re-delivered or later event)
        await execute(
            self.rt.store,
            envelope.complaint_id,
            decide,
            actor=SYSTEM,
            now=self.rt.clock.now,
            causation_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            stream=stream,
        )

    def _auto_decision(self, state: ComplaintState, cause: Envelope) -> list[ev.Event]:
        return domain.decide_auto_disposition(
            state,
            registry=self.rt.registry,
            now=self.rt.clock.now(),
            policy=self.rt.policy,
            max_refusals=self.rt.settings.max_refusals,
            suggested_agency=getattr(cause.payload, "suggested_agency_code", None),
        )

    async def publish_work(
        self,
        envelope: Envelope,
        at_event: ComplaintState,
        current: ComplaintState,
        stream: list[Envelope],
    ) -> None:
        """Put a work item on the queue of whoever must act now."""
        reason = reason_for(envelope.payload, self.rt.settings.max_refusals, at_event)
        if reason is None:
            return
        queue = self.queue_topic(None if reason == "needs_disposition" else at_event.agency_code)
        reporter = None
        if not at_event.anonymous and at_event.reporter_ref and not at_event.personal_data_erased:
            try:
                reporter = await self.rt.vault.get(at_event.reporter_ref)
            except (KeyError, PersonalDataErased):
                reporter = None
        item = build_work_item(envelope, reason, queue, at_event, stream, reporter)
        # Sent now, acknowledged before the batch commits (a lost item is re-sent with the batch).
        self._sent.append(
            await self.rt.producer.send(
                queue,
                value=item.model_dump_json().encode(),
                key=str(envelope.complaint_id).encode(),
                headers=[("lapor_type", b"work-item")],
            )
        )

    async def refused(
        self,
        envelope: Envelope,
        at_event: ComplaintState,
        current: ComplaintState,
        stream: list[Envelope],
    ) -> None:
        """A refusal: re-dispose by the refuser's suggestion or the rules; when neither gives an
        answer (or the complaint was refused too often), the national admin's queue gets it."""
        await self.auto_dispose(envelope, at_event, current, stream)
        if current.status is Status.VERIFIED and not self._auto_decision(current, envelope):
            await self.publish_work(envelope, at_event, current, stream)


Reaction = Callable[
    [Routing, Envelope, ComplaintState, ComplaintState, list[Envelope]], Awaitable[None]
]

EVENT_HANDLERS: dict[type[ev.Event], Reaction] = {
    ev.ComplaintFiled: Routing.auto_dispose,
    ev.ComplaintVerified: Routing.auto_dispose,
    ev.ComplaintResumed: Routing.auto_dispose,
    ev.InformationSupplied: Routing.auto_dispose,
    ev.DispositionRefused: Routing.refused,
    ev.Disposed: Routing.publish_work,
    ev.ForwardedToUnit: Routing.publish_work,
    ev.Escalated: Routing.publish_work,
    ev.ComplaintReopened: Routing.publish_work,
    ev.ReporterReplied: Routing.publish_work,
}
"""What routing does for each event type; every other type only updates the queue table."""
