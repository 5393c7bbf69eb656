"""Which events put work on an agency's queue, and the work item built for them. Pure: building
an item needs the folded state and the stream (the message itself is in `events.messages`)."""

from __future__ import annotations

from typing import Any

from events import catalog as ev
from events.base import DeadlineKind
from events.envelope import Envelope
from events.messages import (
    WORK_ITEM_MESSAGE_CHARS,
    WORK_ITEM_MESSAGES,
    QueueContact,
    WorkItem,
    WorkReason,
)
from events.state import ComplaintState


def reason_for(payload: ev.Event, max_refusals: int, state: ComplaintState) -> WorkReason | None:
    """Which events put work on a queue."""
    if isinstance(payload, ev.Disposed):
        # An import's disposition: the connected system's agency has it already.
        return None if payload.rule_id == ev.IMPORTED_RULE else "disposed"
    if isinstance(payload, ev.ForwardedToUnit):
        return "forwarded"
    if isinstance(payload, ev.Escalated):
        return "escalated"
    if isinstance(payload, ev.ComplaintReopened):
        return "reopened"
    if isinstance(payload, ev.AppealDecided):
        return "reopened" if payload.outcome == "reopened" else None
    if isinstance(payload, ev.Appealed):
        return "appealed"
    if isinstance(payload, ev.ReferredToOmbudsman):
        return "referred_to_ombudsman" if state.agency_code else None
    if isinstance(payload, ev.ReporterReplied) and payload.satisfied is None and payload.message:
        # A comment while an agency holds the complaint (an answer is followed by an event
        # of its own: resolved or reopened).
        # (On a closed complaint the words go with the appeal that follows, to its reviewer.)
        return "reporter_replied" if state.agency_code and state.is_open else None
    if isinstance(payload, ev.InformationSupplied) and state.agency_code:
        # The answer to an agency's question: back on its queue.
        return "reporter_replied"
    if isinstance(payload, ev.DispositionRefused):
        # Only published when no automatic re-disposition follows (routing decides that).
        return "needs_disposition"
    return None


def shares_contact(payload: ev.Event, state: ComplaintState) -> bool:
    """Whether the work item for `payload` may carry the reporter's contact: never for an
    anonymous complaint, and to the Ombudsman only with the reporter's consent."""
    if state.anonymous or not state.reporter_ref or state.personal_data_erased:
        return False
    return not (isinstance(payload, ev.ReferredToOmbudsman) and payload.consent_given_at is None)


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
    additional, omitted_info = _latest(
        [
            e.payload.message
            for e in stream
            if isinstance(e.payload, ev.InformationSupplied) and e.version <= cause.version
        ]
    )
    comments, omitted_comments = _latest(
        [
            e.payload.message
            for e in stream
            if isinstance(e.payload, ev.ReporterReplied)
            and e.payload.message
            and e.version <= cause.version
        ]
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
        additional_information=additional,
        reporter_messages=comments,
        messages_omitted=omitted_info + omitted_comments,
        case_file_path=f"/v1/complaints/{cause.complaint_id}",
        category=state.category,
        region_code=state.region_code,
        anonymous=state.anonymous,
        confidential=state.confidential,
        reporter=contact,
        follow_up_due=state.deadlines.get(DeadlineKind.FOLLOW_UP),
        refused_by=list(state.refused_by),
        occurred_at=cause.occurred_at,
    )


def _latest(messages: list[str]) -> tuple[list[str], int]:
    """The latest messages, each cut to size, and how many were left out or cut: a work item
    stays small however long the complaint's history grows."""
    kept = messages[-WORK_ITEM_MESSAGES:]
    cut = [
        m if len(m) <= WORK_ITEM_MESSAGE_CHARS else m[: WORK_ITEM_MESSAGE_CHARS - 1] + "…"
        for m in kept
    ]
    shortened = sum(len(m) > WORK_ITEM_MESSAGE_CHARS for m in kept)
    return cut, len(messages) - len(kept) + shortened
