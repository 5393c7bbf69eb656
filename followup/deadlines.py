"""The deadline scan, pure: what a missed deadline does to a complaint now (resume a deferral
on its date, refer to the Ombudsman at the resolution limit, escalate a late follow-up or
appeal review to the next tier up, close after the reporter's silence), and when the scan
next has something to do. One small rule per deadline, tried in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from events.base import DeadlineKind, Event, Tier
from events.catalog import ComplaintClosed, ComplaintResumed, Escalated, Resolved
from events.state import AT_AGENCY, ComplaintState, Status
from services.kernel.appeals import referral
from services.kernel.clocks import resume_instant, resumed_deadlines
from services.kernel.registry import Registry
from services.kernel.workdays import DeadlinePolicy


@dataclass(frozen=True)
class Scan:
    """What every deadline rule decides with."""

    state: ComplaintState
    now: datetime
    registry: Registry
    policy: DeadlinePolicy


def _refer_at_resolution_limit(scan: Scan) -> list[Event] | None:
    """Unresolved at the resolution limit: the Ombudsman takes it over."""
    if not _past_resolution_limit(scan.state, scan.now):
        return None
    ombudsman = scan.registry.ombudsman
    return list(
        referral(
            scan.state,
            reason="resolution_limit",
            now=scan.now,
            policy=scan.policy,
            ombudsman=ombudsman,
        )
    )


def _escalate_appeal_review(scan: Scan) -> list[Event] | None:
    """An agency that let an appeal's review run late hands it to the national admin."""
    state, review = scan.state, scan.state.deadlines.get(DeadlineKind.APPEAL_REVIEW)
    if not (state.status is Status.APPEALED and review is not None and review < scan.now):
        return None
    if state.agency_code is None:
        return []  # the national admin reviews: flagged on its own overdue list
    return [
        Escalated(
            deadline=DeadlineKind.APPEAL_REVIEW,
            missed_due=review,
            from_agency_code=state.agency_code,
            to_tier=Tier.NATIONAL_ADMIN,
            to_agency_code=None,
            new_due=scan.policy.appeal_review_due(scan.now),
        )
    ]


def _escalate_follow_up(scan: Scan) -> list[Event] | None:
    """A late follow-up goes to the next tier up that has not refused it."""
    state, follow_up = scan.state, scan.state.deadlines.get(DeadlineKind.FOLLOW_UP)
    if not (follow_up is not None and follow_up < scan.now and state.status in AT_AGENCY):
        return None
    if state.agency_code is None:
        return []  # already with the national admin: the top of the hierarchy
    source = state.unit_code or state.agency_code
    tier, target = scan.registry.escalation_target(source)
    while target is not None and target in state.refused_by:
        # Never escalate to a tier that already said "not our authority": skip it.
        tier, target = scan.registry.escalation_target(target)
    return [
        Escalated(
            deadline=DeadlineKind.FOLLOW_UP,
            missed_due=follow_up,
            from_agency_code=source,
            to_tier=tier,
            to_agency_code=target,
            new_due=scan.policy.escalation_due(scan.now),
        )
    ]


def _close_after_silence(scan: Scan) -> list[Event] | None:
    """The reporter stayed silent after a follow-up (closed) or a proposed resolution (it
    stands, then closed)."""
    state, reply = scan.state, scan.state.deadlines.get(DeadlineKind.REPORTER_REPLY)
    if reply is None or reply >= scan.now:
        return None
    appeal_until = scan.policy.appeal_until(scan.now)
    if state.status is Status.FOLLOWED_UP:
        return [ComplaintClosed(reason="reporter_silence", appeal_until=appeal_until)]
    if state.status is Status.RESOLVED:
        code = state.resolution_code or "fixed"
        return [
            Resolved(resolution_code=code, confirmed_by="reporter_silence"),
            ComplaintClosed(reason="resolved", appeal_until=appeal_until),
        ]
    return None


DEADLINE_RULES: tuple[Callable[[Scan], list[Event] | None], ...] = (
    _refer_at_resolution_limit,
    _escalate_appeal_review,
    _escalate_follow_up,
    _close_after_silence,
)
"""The rules of an open, unpaused complaint, in order: the first that applies decides (None:
does not apply; a list, perhaps empty: decided)."""


def decide_deadlines(
    state: ComplaintState, *, now: datetime, registry: Registry, policy: DeadlinePolicy
) -> list[Event]:
    """What missed deadlines require now: escalate a late follow-up to the next tier up, or
    close a complaint whose reporter stayed silent after a follow-up. Empty when nothing is due.
    """
    if state.status is Status.DEFERRED and state.resume_on is not None:
        if now < resume_instant(state.resume_on, policy.calendar.zone):
            return []
        # The deferral ends on its date by itself, with the time the clocks had left.
        resumed = resumed_deadlines(state, now, policy)
        return [ComplaintResumed(verify_due=resumed[DeadlineKind.VERIFICATION], deadlines=resumed)]
    if not state.is_open or state.clocks_paused:
        return []
    scan = Scan(state, now, registry, policy)
    for rule in DEADLINE_RULES:
        decided = rule(scan)
        if decided is not None:
            return decided
    return []


REFERABLE = frozenset(
    {
        Status.FILED,
        Status.VERIFIED,
        Status.DISPOSED,
        Status.FORWARDED_TO_UNIT,
        Status.FOLLOWED_UP,
        Status.IN_FOLLOW_UP,
        Status.ESCALATED,
    }
)
"""Open and unresolved: referred to the Ombudsman once the resolution limit passes (a proposed
resolution awaiting the reporter, an appeal, or a paused complaint is not)."""


def _resolution_limit(state: ComplaintState) -> datetime | None:
    if state.status not in REFERABLE or state.clocks_paused:
        return None
    return state.deadlines.get(DeadlineKind.RESOLUTION)


def _past_resolution_limit(state: ComplaintState, now: datetime) -> bool:
    limit = _resolution_limit(state)
    return limit is not None and limit < now


def next_due(state: ComplaintState, zone: tzinfo = UTC) -> datetime | None:
    """The earliest instant at which `decide_deadlines` may have something to do (`zone`:
    where working days are counted, for the day a deferral ends)."""
    if state.status is Status.DEFERRED and state.resume_on is not None:
        return resume_instant(state.resume_on, zone)
    if not state.is_open or state.clocks_paused:
        return None
    candidates = [_resolution_limit(state)]
    if state.status in AT_AGENCY and state.agency_code is not None:
        candidates.append(state.deadlines.get(DeadlineKind.FOLLOW_UP))
    if state.status in (Status.FOLLOWED_UP, Status.RESOLVED):
        candidates.append(state.deadlines.get(DeadlineKind.REPORTER_REPLY))
    if state.status is Status.APPEALED and state.agency_code is not None:
        candidates.append(state.deadlines.get(DeadlineKind.APPEAL_REVIEW))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
