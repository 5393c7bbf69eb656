"""Pausing and resuming a complaint's clocks, pure: a pause keeps the time each deadline had
left, and resuming gives it back from now, never a fresh clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from events.base import DeadlineKind
from events.state import ComplaintState, Status
from services.kernel.workdays import DeadlinePolicy


def resumed_deadlines(
    state: ComplaintState, now: datetime, policy: DeadlinePolicy
) -> dict[DeadlineKind, datetime]:
    """Every deadline of a paused complaint, moved on by the time it was paused. Without a
    recorded pause (older streams), the verification clock starts afresh, as it did then."""
    if state.paused_at is None:
        return {**state.deadlines, DeadlineKind.VERIFICATION: policy.verify_due(now)}
    left = {kind: max(due - state.paused_at, timedelta(0)) for kind, due in state.deadlines.items()}
    resumed = {kind: now + remaining for kind, remaining in left.items()}
    if state.paused_from in (None, Status.FILED) and DeadlineKind.VERIFICATION not in resumed:
        resumed[DeadlineKind.VERIFICATION] = policy.verify_due(now)  # verification must run
    return resumed


def resume_instant(day: date, zone: tzinfo) -> datetime:
    """When a deferral set to end on `day` ends: the start of that day where working days are
    counted."""
    return datetime.combine(day, time(0), tzinfo=zone)
