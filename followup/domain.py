"""Follow-up decisions, pure: who holds a complaint, and the agency's replies (acknowledge,
forward, follow up, refuse, ask, extend, review an appeal, report findings), one small
function per action in a table. What a missed deadline does is in `followup.deadlines`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from events.base import DeadlineKind, Event, Tier
from events.catalog import (
    DeadlineExtended,
    DispositionAcknowledged,
    DispositionRefused,
    FollowUpPosted,
    ForwardedToUnit,
    InformationRequested,
)
from events.messages import AgencyAction
from events.state import AT_AGENCY, ComplaintState, Status
from services.kernel.appeals import AppealOutcome, decide_appeal_review, decide_findings
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.kernel.resolutions import resolution_codes
from services.kernel.workdays import DeadlinePolicy


def holder(state: ComplaintState, registry: Registry) -> str | None:
    """The agency whose key acts on the complaint now (a work unit acts through its agency)."""
    if state.agency_code is None:
        return None
    return registry.queue_owner(state.agency_code)


def not_yours() -> Refused:
    """The one refusal for "no such complaint" and "not disposed to you": an agency must not
    learn that a complaint it cannot see exists."""
    return Refused("not_found", "no such complaint disposed to you", kind=RefusalKind.NOT_FOUND)


def visible_to(
    state: ComplaintState, agency: str | None, registry: Registry, unit: str | None = None
) -> bool:
    """Whether a caller may see the complaint: the national admin (`agency` None) always; an
    agency while it holds it; a work unit while its agency holds it forwarded to the unit."""
    if agency is None:
        return True
    return (
        state.status is not Status.NEW
        and holder(state, registry) == agency
        and (unit is None or state.unit_code == unit)
    )


def _require_holder(
    state: ComplaintState, agency: str, registry: Registry, unit: str | None = None
) -> None:
    if not visible_to(state, agency, registry, unit):
        raise not_yours()


UNIT_ACTIONS = frozenset(
    {"acknowledge", "follow_up", "propose_resolution", "request_information", "request_extension"}
)
"""What a unit liaison may do on a complaint forwarded to its unit; forwarding, refusing,
appeal decisions and findings stay with its agency."""


@dataclass(frozen=True)
class _Reply:
    """An agency's reply with what deciding it needs."""

    agency: str
    registry: Registry
    now: datetime
    policy: DeadlinePolicy
    message: str | None
    unit_code: str | None
    reason: str | None
    suggested_agency_code: str | None
    resolution_code: str | None = None
    extend_until: datetime | None = None
    limits: ExtensionLimits | None = None
    assign_to: str | None = None
    outcome: str | None = None


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
    max_messages: int = 200,
    resolution_code: str | None = None,
    extend_until: datetime | None = None,
    limits: ExtensionLimits | None = None,
    assign_to: str | None = None,
    outcome: str | None = None,
    unit: str | None = None,
) -> list[Event]:
    """An agency acts on a complaint disposed to it: acknowledge, forward to one of its work
    units, post a follow-up, propose a resolution, or refuse ("not our authority"); a province
    decides an appeal it reviews; the Ombudsman reports its findings on a referral. With
    `unit`, the unit's liaison acts (only on what was forwarded to it, only UNIT_ACTIONS). At
    most `max_messages` follow-ups per complaint."""
    _require_holder(state, agency, registry, unit)
    if unit is not None and action not in UNIT_ACTIONS:
        raise Refused(
            "agency_action",
            f"a work unit cannot {_VERBS[action]}: its agency does",
            field="action",
            kind=RefusalKind.FORBIDDEN,
        )
    if state.status not in _ALLOWED_IN.get(action, AT_AGENCY):
        raise Refused("invalid_state", f"cannot {_VERBS[action]} when {state.status.value}")
    if action in ("follow_up", "propose_resolution") and state.agency_messages >= max_messages:
        raise Refused(
            "message_limit_reached",
            f"this complaint already holds {max_messages} follow-ups",
            field="message",
            kind=RefusalKind.CONFLICT,
        )
    reply = _Reply(
        agency,
        registry,
        now,
        policy,
        message,
        unit_code,
        reason,
        suggested_agency_code,
        resolution_code,
        extend_until,
        limits,
        assign_to,
        outcome,
    )
    return _AGENCY_ACTIONS[action](state, reply)


def _acknowledge(state: ComplaintState, reply: _Reply) -> list[Event]:
    if state.acknowledged:
        raise Refused("already_acknowledged", "the disposition is already acknowledged")
    return [DispositionAcknowledged(agency_code=state.agency_code or reply.agency)]


def _forward(state: ComplaintState, reply: _Reply) -> list[Event]:
    units = {u.code for u in reply.registry.units_of(reply.agency)}
    if not reply.unit_code or reply.unit_code not in units:
        raise invalid("unknown_unit", "give one of your own work units", "unit_code")
    return [ForwardedToUnit(agency_code=reply.agency, unit_code=reply.unit_code)]


def _follow_up(state: ComplaintState, reply: _Reply, *, proposed: bool) -> list[Event]:
    if not reply.message:
        raise invalid("message_required", "a follow-up needs a message", "message")
    if proposed and reply.resolution_code not in resolution_codes():
        raise invalid(
            "resolution_code_required",
            f"say how it was resolved: one of {', '.join(resolution_codes())}",
            "resolution_code",
        )
    return [
        FollowUpPosted(
            agency_code=reply.agency,
            unit_code=state.unit_code,
            message=reply.message,
            resolution_proposed=proposed,
            resolution_code=reply.resolution_code if proposed else None,
            reply_due=reply.policy.reply_due(reply.now),
        )
    ]


def _refuse(state: ComplaintState, reply: _Reply) -> list[Event]:
    if not reply.reason:
        raise invalid("reason_required", "say why it is not your authority", "reason")
    if reply.suggested_agency_code:
        _check_suggestion(reply)
    return [
        DispositionRefused(
            agency_code=reply.agency,
            reason=reply.reason,
            suggested_agency_code=reply.suggested_agency_code,
            verify_due=reply.policy.verify_due(reply.now),
        )
    ]


def _check_suggestion(reply: _Reply) -> None:
    suggested = reply.registry.get(reply.suggested_agency_code)
    if suggested is None or not reply.registry.disposable(suggested.code):
        raise invalid(
            "unknown_agency",
            "suggest an agency (not a work unit) from the registry",
            "suggested_agency_code",
        )
    if reply.registry.queue_owner(suggested.code) == reply.agency:
        raise invalid(
            "suggested_yourself", "suggest another agency than yourself", "suggested_agency_code"
        )


def _request_information(state: ComplaintState, reply: _Reply) -> list[Event]:
    if not reply.message:
        raise invalid("message_required", "ask the reporter a question (message)", "message")
    asking = reply.registry.get(state.unit_code or reply.agency)
    tier = asking.tier if asking is not None else Tier.AGENCY
    # The clocks pause with the time they have left; the answer brings the complaint back here.
    return [InformationRequested(question=reply.message, requested_by=tier, paused_at=reply.now)]


@dataclass(frozen=True)
class ExtensionLimits:
    """What the extension rule grants on its own (settings): how many, how long."""

    count: int = 2
    working_days: int = 10


def _request_extension(state: ComplaintState, reply: _Reply) -> list[Event]:
    """The rule grants an extension within the limits; beyond them only the national admin."""
    limits = reply.limits or ExtensionLimits()
    due = state.deadlines.get(DeadlineKind.FOLLOW_UP)
    if not reply.reason or reply.extend_until is None:
        field = "reason" if not reply.reason else "extend_until"
        raise invalid(
            "extension_incomplete",
            "give the reason and the follow-up deadline you ask for (extend_until)",
            field,
        )
    if due is None or reply.extend_until <= due:
        raise invalid(
            "not_later", "extend_until must be after the current follow-up deadline", "extend_until"
        )
    length = reply.policy.calendar.working_days_between(due, reply.extend_until)
    if state.extensions >= limits.count or length > limits.working_days:
        raise Refused(
            "extension_limit",
            f"the rule grants at most {limits.count} extensions of {limits.working_days} "
            "working days each; ask the national admin",
            field="extend_until",
            kind=RefusalKind.CONFLICT,
        )
    return [
        DeadlineExtended(
            deadline=DeadlineKind.FOLLOW_UP,
            new_due=reply.extend_until,
            justification=reply.reason,
            requested_by=reply.agency,
            granted_by="rule",
        )
    ]


def _review_appeal(state: ComplaintState, reply: _Reply, *, outcome: AppealOutcome) -> list[Event]:
    return list(
        decide_appeal_review(
            state,
            reviewer=reply.agency,
            outcome=outcome,
            reason=reply.reason,
            assign_to=reply.assign_to,
            registry=reply.registry,
            now=reply.now,
            policy=reply.policy,
        )
    )


def _findings(state: ComplaintState, reply: _Reply, *, final: bool) -> list[Event]:
    return list(decide_findings(state, final=final, outcome=reply.outcome, message=reply.message))


_ALLOWED_IN: dict[str, frozenset[Status]] = {
    "acknowledge": AT_AGENCY | {Status.APPEALED, Status.REFERRED_TO_OMBUDSMAN},
    "uphold_closure": frozenset({Status.APPEALED}),
    "reopen": frozenset({Status.APPEALED}),
    "interim_findings": frozenset({Status.REFERRED_TO_OMBUDSMAN}),
    "final_findings": frozenset({Status.REFERRED_TO_OMBUDSMAN}),
}
"""Where an action is possible, when not only at an agency that owes a follow-up."""

_AGENCY_ACTIONS: dict[str, Callable[[ComplaintState, _Reply], list[Event]]] = {
    "uphold_closure": partial(_review_appeal, outcome="upheld"),
    "reopen": partial(_review_appeal, outcome="reopened"),
    "interim_findings": partial(_findings, final=False),
    "final_findings": partial(_findings, final=True),
    "request_extension": _request_extension,
    "request_information": _request_information,
    "acknowledge": _acknowledge,
    "forward": _forward,
    "follow_up": partial(_follow_up, proposed=False),
    "propose_resolution": partial(_follow_up, proposed=True),
    "refuse": _refuse,
}
_VERBS = {
    "acknowledge": "acknowledge",
    "forward": "forward",
    "follow_up": "follow up",
    "propose_resolution": "follow up",
    "refuse": "refuse",
    "request_information": "request information",
    "request_extension": "request an extension of",
    "uphold_closure": "decide an appeal",
    "reopen": "decide an appeal",
    "interim_findings": "report findings",
    "final_findings": "report findings",
}
