"""Which events put work on an agency's queue, and the work item built for them. Pure: building
an item needs the folded state and the stream (the message itself is in `events.messages`)."""

from __future__ import annotations

from typing import Any

from events import catalog as ev
from events.base import DeadlineKind
from events.envelope import Envelope
from events.messages import QueueContact, WorkItem, WorkReason
from events.state import ComplaintState


def reason_for(payload: ev.Event, max_refusals: int, state: ComplaintState) -> WorkReason | None:
    """Which events put work on a queue."""
    if isinstance(payload, ev.Disposed):
        return "disposed"
    if isinstance(payload, ev.ForwardedToUnit):
        return "forwarded"
    if isinstance(payload, ev.Escalated):
        return "escalated"
    if isinstance(payload, ev.ComplaintReopened):
        return "reopened"
    if isinstance(payload, ev.ReporterReplied) and payload.satisfied is None and payload.message:
        # A comment while an agency holds the complaint (an answer is followed by an event
        # of its own: resolved or reopened).
        return "reporter_replied" if state.agency_code else None
    if isinstance(payload, ev.DispositionRefused):
        # Only published when no automatic re-disposition follows (routing decides that).
        return "needs_disposition"
    return None


def build_work_item(
    cause: Envelope,
    reason: WorkReason,
    queue: str,
    state: ComplaintState,
    stream: list[Envelope],
    reporter: dict[str, Any] | None,
) -> WorkItem:
    """The work item for `cause`; `reporter` must be None for an anonymous complaint (checked
    here again: anonymity is enforced by the system, not remembered by a caller)."""
    filed = next(e.payload for e in stream if isinstance(e.payload, ev.ComplaintFiled))
    assert isinstance(filed, ev.ComplaintFiled)
    contact = None
    if reporter and not state.anonymous:
        contact = QueueContact(
            name=reporter.get("name"), phone=reporter.get("phone"), email=reporter.get("email")
        )
    return WorkItem(
        work_item_id=cause.event_id,
        reason=reason,
        queue=queue,
        complaint_id=cause.complaint_id,
        tracking_id=state.tracking_id or filed.tracking_id,
        version=cause.version,
        agency_code=state.agency_code,
        unit_code=state.unit_code,
        kind=(state.kind or filed.kind).value,
        title=state.title or filed.title,
        description=filed.description,
        additional_information=[
            e.payload.message
            for e in stream
            if isinstance(e.payload, ev.InformationSupplied) and e.version <= cause.version
        ],
        reporter_messages=[
            e.payload.message
            for e in stream
            if isinstance(e.payload, ev.ReporterReplied)
            and e.payload.message
            and e.version <= cause.version
        ],
        category=state.category,
        region_code=state.region_code,
        anonymous=state.anonymous,
        confidential=state.confidential,
        reporter=contact,
        follow_up_due=state.deadlines.get(DeadlineKind.FOLLOW_UP),
        refused_by=list(state.refused_by),
        occurred_at=cause.occurred_at,
    )
