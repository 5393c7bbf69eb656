"""Follow-up decisions, pure: agency replies, reporter replies, and what a missed deadline does
(escalate to the next tier up, or close after the reporter's silence)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.base import DeadlineKind, Event
from events.catalog import (
    ComplaintClosed,
    ComplaintReopened,
    DispositionAcknowledged,
    DispositionRefused,
    Escalated,
    FollowUpPosted,
    ForwardedToUnit,
    InformationSupplied,
    ReferredToOmbudsman,
    ReporterReplied,
    Resolved,
)
from events.state import ComplaintState, Status
from routing.registry import Registry
from services.decisions import Refused
from services.workdays import DeadlinePolicy

AgencyAction = Literal["acknowledge", "forward", "follow_up", "refuse", "propose_resolution"]
ReporterAction = Literal["add_information", "satisfied", "not_satisfied", "refer_to_ombudsman"]

AT_AGENCY = frozenset(
    {Status.DISPOSED, Status.FORWARDED_TO_UNIT, Status.IN_FOLLOW_UP, Status.ESCALATED}
)
"""States in which the agency holding the complaint owes a follow-up."""


def holder(state: ComplaintState, registry: Registry) -> str | None:
    """The agency whose key acts on the complaint now (a work unit acts through its agency)."""
    if state.agency_code is None:
        return None
    return registry.queue_owner(state.agency_code)


def _require_holder(state: ComplaintState, agency: str, registry: Registry) -> None:
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", status=404)
    if holder(state, registry) != agency:
        # Not "forbidden on this complaint": an agency must not learn what it cannot see.
        raise Refused("not_disposed_to_you", "this complaint is not disposed to you", status=403)


def decide_agency_reply(
    state: ComplaintState,
    *,
    agency: str,
    action: AgencyAction,
    registry: Registry,
    now: datetime,
    policy: DeadlinePolicy,
    message: str | None = None,
    unit_code: str | None = None,
    reason: str | None = None,
    suggested_agency_code: str | None = None,
) -> list[Event]:
    """An agency acts on a complaint disposed to it: acknowledge, forward to one of its work
    units, post a follow-up, propose a resolution, or refuse ("not our authority")."""
    _require_holder(state, agency, registry)
    code = state.agency_code or agency
    if action == "acknowledge":
        if state.status not in AT_AGENCY:
            raise Refused("invalid_state", f"cannot acknowledge when {state.status.value}")
        if state.acknowledged:
            raise Refused("already_acknowledged", "the disposition is already acknowledged")
        return [DispositionAcknowledged(agency_code=code)]
    if action == "forward":
        if state.status not in AT_AGENCY:
            raise Refused("invalid_state", f"cannot forward when {state.status.value}")
        if not unit_code or unit_code not in {u.code for u in registry.units_of(agency)}:
            raise Refused(
                "unknown_unit", "give one of your own work units", field="unit_code", status=422
            )
        return [ForwardedToUnit(agency_code=agency, unit_code=unit_code)]
    if action in ("follow_up", "propose_resolution"):
        if state.status not in AT_AGENCY:
            raise Refused("invalid_state", f"cannot follow up when {state.status.value}")
        if not message:
            raise Refused(
                "message_required", "a follow-up needs a message", field="message", status=422
            )
        return [
            FollowUpPosted(
                agency_code=agency,
                unit_code=state.unit_code,
                message=message,
                resolution_proposed=action == "propose_resolution",
                reply_due=policy.reply_due(now),
            )
        ]
    # refuse
    if state.status not in AT_AGENCY:
        raise Refused("invalid_state", f"cannot refuse when {state.status.value}")
    if not reason:
        raise Refused(
            "reason_required", "say why it is not your authority", field="reason", status=422
        )
    if suggested_agency_code:
        suggested = registry.get(suggested_agency_code)
        if suggested is None or suggested.kind == "work_unit":
            raise Refused(
                "unknown_agency",
                "suggest an agency (not a work unit) from the registry",
                field="suggested_agency_code",
                status=422,
            )
        if registry.queue_owner(suggested.code) == agency:
            raise Refused(
                "suggested_yourself",
                "suggest another agency than yourself",
                field="suggested_agency_code",
                status=422,
            )
    return [
        DispositionRefused(
            agency_code=agency, reason=reason, suggested_agency_code=suggested_agency_code
        )
    ]


def decide_reporter_reply(
    state: ComplaintState,
    *,
    action: ReporterAction,
    message: str | None,
    now: datetime,
    policy: DeadlinePolicy,
) -> list[Event]:
    """The reporter answers: adds information, is satisfied (resolved, then closed), is not
    satisfied (reopened), or consents to an Ombudsman referral after the resolution deadline."""
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", status=404)
    if not state.is_open:
        raise Refused("closed", f"the complaint is {state.status.value}")
    if action == "add_information":
        if not message:
            raise Refused("message_required", "add a message", field="message", status=422)
        if state.status is Status.AWAITING_REPORTER:
            return [InformationSupplied(message=message, verify_due=policy.verify_due(now))]
        return [ReporterReplied(message=message)]
    if action in ("satisfied", "not_satisfied"):
        if state.status is not Status.FOLLOWED_UP:
            raise Refused("no_follow_up", "there is no follow-up to answer yet")
        if action == "satisfied":
            return [
                ReporterReplied(satisfied=True, message=message),
                Resolved(resolution_code="fixed", confirmed_by="reporter"),
                ComplaintClosed(reason="resolved"),
            ]
        return [
            ReporterReplied(satisfied=False, message=message),
            ComplaintReopened(
                # A fixed reason: the reporter's own words stay in ReporterReplied, which the
                # public timeline does not show (they may hold personal details).
                reason="the reporter is not satisfied",
                follow_up_due=policy.follow_up_due(now),
            ),
        ]
    due = state.deadlines.get(DeadlineKind.RESOLUTION)
    if due is None or now <= due:
        raise Refused(
            "too_early", "an Ombudsman referral is possible once the resolution deadline passed"
        )
    opened = state.filed_at or now
    return [ReferredToOmbudsman(consent_given_at=now, days_open=max(0, (now - opened).days))]


def decide_deadlines(
    state: ComplaintState, *, now: datetime, registry: Registry, policy: DeadlinePolicy
) -> list[Event]:
    """What missed deadlines require now: escalate a late follow-up to the next tier up, or
    close a complaint whose reporter stayed silent after a follow-up. Empty when nothing is due.
    """
    if not state.is_open or state.clocks_paused:
        return []
    follow_up = state.deadlines.get(DeadlineKind.FOLLOW_UP)
    if follow_up is not None and follow_up < now and state.status in AT_AGENCY:
        if state.agency_code is None:
            return []  # already with the national admin: the top of the hierarchy
        source = state.unit_code or state.agency_code
        tier, target = registry.escalation_target(source)
        while target is not None and target in state.refused_by:
            # Never escalate to a tier that already said "not our authority": skip it.
            tier, target = registry.escalation_target(target)
        return [
            Escalated(
                deadline=DeadlineKind.FOLLOW_UP,
                missed_due=follow_up,
                from_agency_code=source,
                to_tier=tier,
                to_agency_code=target,
                new_due=policy.escalation_due(now),
            )
        ]
    reply = state.deadlines.get(DeadlineKind.REPORTER_REPLY)
    if reply is not None and reply < now and state.status is Status.FOLLOWED_UP:
        return [ComplaintClosed(reason="reporter_silence")]
    return []


def next_due(state: ComplaintState) -> datetime | None:
    """The earliest instant at which `decide_deadlines` may have something to do."""
    if not state.is_open or state.clocks_paused:
        return None
    candidates = []
    if state.status in AT_AGENCY and state.agency_code is not None:
        candidates.append(state.deadlines.get(DeadlineKind.FOLLOW_UP))
    if state.status is Status.FOLLOWED_UP:
        candidates.append(state.deadlines.get(DeadlineKind.REPORTER_REPLY))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
