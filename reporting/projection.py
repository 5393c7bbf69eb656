"""The read-model projection, pure: one complaint's stream -> its row and its agency facts.

Live updates and the full rebuild both call this on whole streams, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import catalog as ev
from events.base import DeadlineKind
from events.envelope import Envelope
from events.fold import evolve
from events.state import TERMINAL, ComplaintState
from services.kernel.workdays import WorkingCalendar

COMPLAINT_COLUMNS = (
    "complaint_id",
    "tracking_id",
    "kind",
    "title",
    "category",
    "region_code",
    "province_code",
    "channel",
    "status",
    "agency_code",
    "unit_code",
    "anonymous",
    "confidential",
    "filed_at",
    "first_disposed_at",
    "first_follow_up_at",
    "first_follow_up_agency",
    "days_to_first_follow_up",
    "closed_at",
    "closed_reason",
    "resolution_code",
    "escalations",
    "refusals",
    "reopen_count",
    "verify_due",
    "follow_up_due",
    "reply_due",
    "version",
    "last_event_at",
    "source_system",
    "tags",
)
FACT_COLUMNS = ("complaint_id", "agency_code", "fact", "times")
GROUP_KEYS = {"province": "province_code", "agency": "agency_code", "unit": "unit_code"}
"""The column each dashboard grouping counts by (None: the whole nation in one group)."""
FACTS = (
    "received",
    "refused",
    "escalated_from",
    "extended",
    "rated",
    "rating_points",
    "appealed",
    "referred_to_ombudsman",
)
"""Every kind of agency fact (the read model's table checks the same list)."""
UNKNOWN_PROVINCE = "unknown"


@dataclass(frozen=True)
class Projected:
    """A complaint's read-model row and its (agency, fact) counts."""

    row: tuple[Any, ...]
    facts: list[tuple[Any, ...]]
    agencies: set[str]
    province: str


def project(stream: list[Envelope], calendar: WorkingCalendar) -> Projected:
    """Fold a whole stream into the complaint's row and facts."""
    state = ComplaintState()
    first_disposed: datetime | None = None
    first_follow_up: datetime | None = None
    first_follow_up_agency: str | None = None
    closed_at: datetime | None = None
    escalations = 0
    facts: dict[tuple[str, str], int] = {}

    def count(agency: str | None, fact: str) -> None:
        assert fact in FACTS, fact
        if agency:
            facts[(agency, fact)] = facts.get((agency, fact), 0) + 1

    for envelope in stream:
        payload = envelope.payload
        if isinstance(payload, ev.Disposed):
            first_disposed = first_disposed or envelope.occurred_at
            count(payload.agency_code, "received")
        elif isinstance(payload, ev.Escalated):
            escalations += 1
            count(payload.from_agency_code, "escalated_from")
            count(payload.to_agency_code, "received")
        elif isinstance(payload, ev.DispositionRefused):
            count(payload.agency_code, "refused")
        elif isinstance(payload, ev.DeadlineExtended):
            count(payload.requested_by, "extended")
        elif isinstance(payload, ev.Rated) and state.agency_code:
            # The reporter's rating goes to the agency that handled it: how many ratings, and
            # their sum (the average is one division away).
            count(state.agency_code, "rated")
            for _ in range(payload.rating):
                count(state.agency_code, "rating_points")
        elif isinstance(payload, ev.Appealed):
            count(state.agency_code, "appealed")  # against the agency that closed it
        elif isinstance(payload, ev.AppealDecided) and payload.outcome == "reopened":
            count(payload.agency_code, "received")
        elif isinstance(payload, ev.ReferredToOmbudsman):
            count(state.agency_code, "referred_to_ombudsman")  # the agency that held it
        elif isinstance(payload, ev.FollowUpPosted) and first_follow_up is None:
            first_follow_up = envelope.occurred_at
            first_follow_up_agency = payload.agency_code
        state = evolve(state, envelope)
        if state.status not in TERMINAL:
            closed_at = None  # open, or reopened on appeal
        elif closed_at is None:
            closed_at = envelope.occurred_at
    days = (
        calendar.working_days_between(first_disposed, first_follow_up)
        if first_disposed and first_follow_up
        else None
    )
    province = state.region_code[:2] if state.region_code else UNKNOWN_PROVINCE
    milestones = (first_disposed, first_follow_up, first_follow_up_agency, days, closed_at)
    row = _row(state, province, milestones, escalations)
    agencies = {a for (a, _) in facts} | {
        a for a in (state.agency_code, first_follow_up_agency) if a
    }
    return Projected(
        row,
        [(state.complaint_id, agency, fact, times) for (agency, fact), times in facts.items()],
        agencies,
        province,
    )


def _row(
    state: ComplaintState, province: str, milestones: tuple[Any, ...], escalations: int
) -> tuple[Any, ...]:
    """The complaint's read-model row, in COMPLAINT_COLUMNS order."""
    return (
        state.complaint_id,
        state.tracking_id or "",
        state.kind.value if state.kind else "complaint",
        state.title or "",
        state.category,
        state.region_code,
        province,
        state.channel or "",
        state.status.value,
        state.agency_code,
        state.unit_code,
        state.anonymous,
        state.confidential,
        state.filed_at,
        *milestones,
        state.closed_reason,
        state.resolution_code,
        escalations,
        state.refusals,
        state.reopen_count,
        # A paused complaint (deferred, awaiting the reporter) has no running deadline: it is
        # never counted overdue while its clocks stand still.
        *(
            None if state.clocks_paused else state.deadlines.get(kind)
            for kind in (
                DeadlineKind.VERIFICATION,
                DeadlineKind.FOLLOW_UP,
                DeadlineKind.REPORTER_REPLY,
            )
        ),
        state.version,
        state.last_event_at,
        state.source_system,
        list(state.tags),
    )
