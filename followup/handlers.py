"""Follow-up use cases over the ports: agency replies (HTTP and topic), what an agency may see,
the deadline scan that escalates or closes, and the demo clock (COMMAND_HANDLERS); keeping
followup's case table from the complaint events (EVENT_HANDLERS)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from events.catalog import ALL_EVENT_TYPES
from events.envelope import Actor, Envelope
from events.fold import replay
from events.messages import AgencyReply, AgencyReplyMessage, ReplyNotice
from events.state import ComplaintState
from followup import deadlines, domain
from followup.settings import FollowupSettings
from services.kernel.case_file import case_file
from services.kernel.refusals import RefusalKind, Refused
from services.platform.batch_consumer import Batch
from services.platform.clock import move_forward
from services.platform.commands import Outcome, execute
from services.platform.dispatch import Handler, dispatcher
from services.platform.logs import get_logger
from services.platform.ports import ContactErased, ContactRead, Ports, Transaction

log = get_logger("followup")
SCHEDULER = Actor(role="system", id="deadline-scheduler")


class Cases(Protocol):
    """followup's case table (`followup.store`: PostgreSQL, or in memory)."""

    async def keep(self, tx: Transaction, state: ComplaintState) -> None:
        """Track an open complaint; forget an ended one."""
        ...

    async def held_by(
        self, agency: str, limit: int, offset: int, unit: str | None = None
    ) -> list[dict[str, Any]]:
        """The complaints an agency holds now."""
        ...

    async def due(self, now: datetime, limit: int = 500) -> list[UUID]:
        """Complaints with a deadline that has passed."""
        ...


@dataclass
class FollowupDeps:
    """What followup's handlers run over."""

    ports: Ports
    cases: Cases
    settings: FollowupSettings


@dataclass(frozen=True)
class ReplyAsAgency:
    """An agency acts on a complaint disposed to it; a repeated `reply_id` is applied once."""

    agency: str
    complaint_id: UUID
    reply: AgencyReply
    reply_id: str | None = None
    unit: str | None = None  # a unit liaison acting, for its agency


@dataclass(frozen=True)
class ReplyFromTopic:
    """A signed reply from the agency-replies topic; the outcome goes back as a notice."""

    reply: AgencyReplyMessage


@dataclass(frozen=True)
class ShowToAgency:
    """The case file for the agency holding the complaint (`agency` None: the national admin)."""

    agency: str | None
    complaint_id: UUID
    unit: str | None = None


@dataclass(frozen=True)
class ListHeld:
    """The complaints an agency holds now."""

    agency: str
    limit: int = 100
    offset: int = 0
    unit: str | None = None  # only what was forwarded to this unit


@dataclass(frozen=True)
class ScanDeadlines:
    """Escalate or close every complaint whose deadline has passed."""


@dataclass(frozen=True)
class AdvanceClock:
    """Move the platform time forward (development and test only)."""

    days: float = 0
    working_days: int = 0


async def reply_as_agency(cmd: ReplyAsAgency, deps: FollowupDeps) -> Outcome:
    """Apply an agency's reply; refused unless the complaint is disposed to that agency."""
    ports, reply = deps.ports, cmd.reply
    idempotency = (
        uuid5(cmd.complaint_id, f"agency-reply\x00{cmd.unit or cmd.agency}\x00{cmd.reply_id}")
        if cmd.reply_id
        else None
    )
    await ports.clock.refresh()
    return await execute(
        ports.store,
        cmd.complaint_id,
        lambda state: domain.decide_agency_reply(
            state,
            agency=cmd.agency,
            action=reply.action,
            registry=ports.registry,
            now=ports.clock.now(),
            policy=ports.policy,
            message=reply.message,
            unit_code=reply.unit_code,
            reason=reply.reason,
            suggested_agency_code=reply.suggested_agency_code,
            max_messages=deps.settings.max_agency_messages,
            resolution_code=reply.resolution_code,
            extend_until=reply.extend_until,
            assign_to=reply.assign_to,
            outcome=reply.outcome,
            unit=cmd.unit,
            limits=domain.ExtensionLimits(
                deps.settings.max_extensions, deps.settings.max_extension_working_days
            ),
        ),
        actor=Actor(role="work_unit", id=cmd.unit)
        if cmd.unit
        else Actor(role="agency", id=cmd.agency),
        now=ports.clock.now,
        idempotency=idempotency,
    )


async def reply_from_topic(cmd: ReplyFromTopic, deps: FollowupDeps) -> ReplyNotice:
    """Apply a signed reply and tell the agency how it went, on its own queue."""
    reply = cmd.reply
    try:
        outcome = await reply_as_agency(
            ReplyAsAgency(reply.agency_code, reply.complaint_id, reply, reply.reply_id), deps
        )
        status = "duplicate" if outcome.duplicate else "applied"
        notice = ReplyNotice(
            reply_id=reply.reply_id, complaint_id=reply.complaint_id, status=status
        )
    except Refused as refused:
        notice = ReplyNotice(
            reply_id=reply.reply_id,
            complaint_id=reply.complaint_id,
            status="rejected",
            error=refused.code,
            problem=refused.message,
        )
    await deps.ports.publisher.publish(
        deps.ports.settings.agency_topic(reply.agency_code),
        str(reply.complaint_id),
        notice.model_dump_json().encode(),
        {"lapor_type": "reply-notice"},
    )
    return notice


async def _visible_to(
    deps: FollowupDeps, agency: str | None, complaint_id: UUID, unit: str | None = None
) -> tuple[ComplaintState, list[Envelope]]:
    stream = await deps.ports.store.read_stream(complaint_id)
    state = replay(stream)
    if not stream or not domain.visible_to(state, agency, deps.ports.registry, unit):
        # The same answer for "absent" and "not yours": nothing leaks across agencies.
        raise domain.not_yours()
    return state, stream


async def show_to_agency(cmd: ShowToAgency, deps: FollowupDeps) -> dict[str, Any]:
    """The case file; the reporter's contact only when the complaint is not anonymous."""
    state, stream = await _visible_to(deps, cmd.agency, cmd.complaint_id, cmd.unit)
    reporter = None
    if not state.anonymous and state.reporter_ref and not state.personal_data_erased:
        with contextlib.suppress(KeyError, ContactErased):
            reader = (
                f"unit {cmd.unit}"
                if cmd.unit
                else f"agency {cmd.agency}"
                if cmd.agency
                else "national admin"
            )
            read = ContactRead(reader, "case file", state.complaint_id)
            data = await deps.ports.vault.get(state.reporter_ref, read=read)
            reporter = {k: data.get(k) for k in ("name", "phone", "email")}
    return case_file(state, stream) | {"reporter": reporter}


async def list_held(cmd: ListHeld, deps: FollowupDeps) -> list[dict[str, Any]]:
    """The complaints an agency holds now (its work units' included)."""
    return await deps.cases.held_by(cmd.agency, cmd.limit, cmd.offset, cmd.unit)


async def scan_deadlines(cmd: ScanDeadlines, deps: FollowupDeps) -> int:
    """Escalate or close every complaint whose deadline has passed; returns how many."""
    ports = deps.ports
    now = await ports.clock.refresh(force=True)
    acted = 0
    for complaint_id in await deps.cases.due(now):
        outcome = await execute(
            ports.store,
            complaint_id,
            lambda state: deadlines.decide_deadlines(
                state, now=ports.clock.now(), registry=ports.registry, policy=ports.policy
            ),
            actor=SCHEDULER,
            now=ports.clock.now,
        )
        if outcome.appended:
            acted += 1
            events = [e.event_type for e in outcome.appended]
            log.info("deadline.missed", complaint_id=str(complaint_id), events=events)
    return acted


async def advance_clock(cmd: AdvanceClock, deps: FollowupDeps) -> datetime:
    """Move time forward so that deadlines expire now (refused where the clock is fixed)."""
    ports = deps.ports
    if not ports.settings.adjustable_clock:
        raise Refused("clock_fixed", "the clock is not adjustable here", kind=RefusalKind.FORBIDDEN)
    calendar = ports.policy.calendar
    return await move_forward(ports.clock, calendar, days=cmd.days, working_days=cmd.working_days)


COMMAND_HANDLERS: dict[type, Handler[FollowupDeps]] = {
    ReplyAsAgency: reply_as_agency,
    ReplyFromTopic: reply_from_topic,
    ShowToAgency: show_to_agency,
    ListHeld: list_held,
    ScanDeadlines: scan_deadlines,
    AdvanceClock: advance_clock,
}
"""Every followup use case, by its command."""


handle = dispatcher(COMMAND_HANDLERS)
"""Run one of followup's commands."""


async def keep_case(stream: list[Envelope], tx: Transaction, deps: FollowupDeps) -> None:
    """Whatever the event, the case row is recomputed from the whole stream: who holds the
    complaint now and its next deadline."""
    await deps.cases.keep(tx, replay(stream))


EVENT_HANDLERS = dict.fromkeys(ALL_EVENT_TYPES, keep_case)
"""followup reacts to every event type the same way: its case row follows the stream (the
deadline scan, not the event, escalates and closes)."""


async def on_batch(batch: Batch, tx: Transaction, deps: FollowupDeps) -> None:
    """Keep followup's table from a batch of events (once per touched complaint)."""
    touched = {e.complaint_id for e in batch.events if type(e.payload) in EVENT_HANDLERS}
    for complaint_id in touched:
        await keep_case(batch.streams[complaint_id], tx, deps)
