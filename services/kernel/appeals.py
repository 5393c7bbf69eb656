"""Appeals and the Ombudsman handover, pure: the reporter appeals a closure within its window;
a reviewer above the agency upholds it or reopens with a new owner; a complaint past its
resolution limit is referred to the Ombudsman, whose findings end it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.base import Event, Tier
from events.catalog import AppealDecided, Appealed, OmbudsmanFindingsIssued, ReferredToOmbudsman
from events.state import ComplaintState, Status
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.kernel.workdays import DeadlinePolicy

AppealOutcome = Literal["upheld", "reopened"]
FindingOutcome = Literal[
    "maladministration", "no_maladministration", "resolved_by_mediation", "other"
]
FINDING_OUTCOMES: tuple[FindingOutcome, ...] = (
    "maladministration",
    "no_maladministration",
    "resolved_by_mediation",
    "other",
)


def reopen_limit(state: ComplaintState, max_reopens: int) -> Refused | None:
    """The refusal once a complaint was reopened `max_reopens` times (None below that)."""
    if state.reopen_count < max_reopens:
        return None
    return Refused(
        "reopen_limit",
        f"this complaint was reopened {state.reopen_count} times already; after the "
        "resolution deadline the reporter may ask for the Ombudsman",
        kind=RefusalKind.CONFLICT,
    )


def decide_appeal(
    state: ComplaintState,
    *,
    now: datetime,
    policy: DeadlinePolicy,
    registry: Registry,
    max_reopens: int,
) -> list[Event]:
    """The reporter appeals a closure (resolved, or on silence) within the appeal window: the
    reviewer above the agency gets it with its own clock."""
    if state.status is not Status.CLOSED or state.appeal_until is None:
        raise Refused("not_appealable", "only a closure that is not final can be appealed")
    if now > state.appeal_until:
        raise Refused(
            "appeal_window_passed",
            f"appeals were possible until {state.appeal_until.isoformat()}",
        )
    refused = reopen_limit(state, max_reopens)
    if refused is not None:
        raise refused
    tier, reviewer = registry.appeal_reviewer(state.agency_code)
    return [
        Appealed(
            reviewer_tier=tier, reviewer_code=reviewer, review_due=policy.appeal_review_due(now)
        )
    ]


def decide_appeal_review(
    state: ComplaintState,
    *,
    reviewer: str | None,
    outcome: AppealOutcome,
    reason: str | None,
    assign_to: str | None,
    registry: Registry,
    now: datetime,
    policy: DeadlinePolicy,
) -> list[Event]:
    """The reviewer (`reviewer`: a province's code, or None for the national admin) upholds
    the closure or reopens the complaint with a new owner and a fresh follow-up clock."""
    if state.status is not Status.APPEALED or state.agency_code != reviewer:
        raise Refused("invalid_state", "there is no appeal waiting for this reviewer")
    if not reason:
        raise invalid("reason_required", "say why the closure stands or is reopened", "reason")
    tier = Tier.NATIONAL_ADMIN if reviewer is None else Tier.PROVINCE
    if outcome == "upheld":
        return [
            AppealDecided(
                outcome="upheld", reviewer_tier=tier, reviewer_code=reviewer, reason=reason
            )
        ]
    if not registry.disposable(assign_to):
        raise invalid(
            "unknown_agency",
            "name the agency (not a work unit) that takes the complaint up again",
            "assign_to",
        )
    return [
        AppealDecided(
            outcome="reopened",
            reviewer_tier=tier,
            reviewer_code=reviewer,
            reason=reason,
            agency_code=assign_to,
            follow_up_due=policy.follow_up_due(now),
        )
    ]


def referral(
    state: ComplaintState,
    *,
    reason: Literal["reporter_request", "resolution_limit"],
    now: datetime,
    policy: DeadlinePolicy,
    ombudsman: str | None,
) -> list[Event]:
    """The complaint goes to the Ombudsman's queue; the reporter's consent (and so the
    contact) only when the reporter asked."""
    if ombudsman is None:
        raise Refused("no_ombudsman", "no Ombudsman is registered")
    opened = state.filed_at or now
    return [
        ReferredToOmbudsman(
            reason=reason,
            consent_given_at=now if reason == "reporter_request" else None,
            days_open=max(0, (now - opened).days),
            ombudsman_code=ombudsman,
            findings_due=policy.findings_due(now),
        )
    ]


def decide_findings(
    state: ComplaintState, *, final: bool, outcome: str | None, message: str | None
) -> list[Event]:
    """The Ombudsman reports on a referred complaint: an interim note, or its final findings
    (with one of the outcomes), which end the complaint on the national side."""
    if not message:
        raise invalid("message_required", "write the findings", "message")
    if not final:
        return [OmbudsmanFindingsIssued(stage="interim", message=message)]
    if outcome not in FINDING_OUTCOMES:
        raise invalid(
            "outcome_required", f"conclude with one of {', '.join(FINDING_OUTCOMES)}", "outcome"
        )
    return [OmbudsmanFindingsIssued(stage="final", outcome=outcome, message=message)]
