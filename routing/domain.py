"""Routing decisions, pure: verification by the national admin, and disposition to agencies
(automatic when the rules give a clear answer, by hand otherwise, never back to a refuser)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Literal

from events.base import ComplaintKind, DeadlineKind, Event, Tier
from events.catalog import (
    ComplaintArchived,
    ComplaintClosed,
    ComplaintDeferred,
    ComplaintResumed,
    ComplaintTagged,
    ComplaintVerified,
    DeadlineExtended,
    Disposed,
    InformationRequested,
    Resolved,
)
from events.state import ComplaintState, Status
from services.kernel.clocks import resumed_deadlines
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.kernel.workdays import DeadlinePolicy

ArchiveReason = Literal["spam", "too_vague", "not_public_service", "duplicate", "other"]

BEFORE_DISPOSITION = frozenset({Status.FILED, Status.DEFERRED, Status.VERIFIED})


def awaits_national_admin(state: ComplaintState) -> bool:
    """True when the complaint needs the national admin: not yet verified or disposed,
    escalated to the top of the hierarchy, or an appeal it reviews."""
    if state.status in BEFORE_DISPOSITION or state.status is Status.AWAITING_REPORTER:
        return True
    return state.status in (Status.ESCALATED, Status.APPEALED) and state.agency_code is None


def on_national_admin_list(state: ComplaintState) -> bool:
    """True for what the national admin's queue lists: what it must act on, and the referrals
    whose Ombudsman findings it watches."""
    return awaits_national_admin(state) or state.status is Status.REFERRED_TO_OMBUDSMAN


_ADMIN_CLOCK = {
    Status.ESCALATED: DeadlineKind.FOLLOW_UP,
    Status.APPEALED: DeadlineKind.APPEAL_REVIEW,
    Status.REFERRED_TO_OMBUDSMAN: DeadlineKind.OMBUDSMAN_FINDINGS,
}


def national_admin_due(state: ComplaintState) -> datetime | None:
    """The national admin's own deadline on a complaint on its list: verification (and
    re-disposition after a refusal), the clock an escalation to the top or an appeal set, or
    the date the Ombudsman's findings are expected (flagged overdue after it). None while the
    clocks are paused or someone else holds it."""
    if not on_national_admin_list(state) or state.clocks_paused:
        return None
    return state.deadlines.get(_ADMIN_CLOCK.get(state.status, DeadlineKind.VERIFICATION))


def _require(state: ComplaintState, allowed: frozenset[Status], action: str) -> None:
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    if state.status not in allowed:
        raise Refused("invalid_state", f"cannot {action} a complaint that is {state.status.value}")


def decide_verify(
    state: ComplaintState,
    *,
    registry: Registry,
    title: str | None,
    category: str,
    region_code: str | None,
    anonymous: bool | None,
    confidential: bool | None,
    tags: tuple[str, ...] = (),
    now: datetime | None = None,
    policy: DeadlinePolicy | None = None,
) -> list[Event]:
    """The national admin verifies a report, setting its title, category and privacy flags. A
    deferred report is resumed first (its clocks run again with the time they had left)."""
    _require(state, frozenset({Status.FILED, Status.DEFERRED}), "verify")
    if registry.categories and category not in registry.categories:
        raise invalid("unknown_category", "no such category", "category")
    resumed: list[Event] = []
    if state.status is Status.DEFERRED:
        if now is None or policy is None:
            raise Refused("deferred", "resume the complaint before verifying it")
        resumed = decide_resume(state, now, policy)
    return [
        *resumed,
        ComplaintVerified(
            title=title or state.title or "",
            category=category,
            region_code=region_code or state.region_code,
            tags=tags,
            # The admin may add protection, never remove what the reporter asked for: a
            # forgotten checkbox must not expose anyone.
            anonymous=state.anonymous or bool(anonymous),
            confidential=state.confidential or bool(confidential),
        ),
    ]


def decide_archive(state: ComplaintState, reason: ArchiveReason, note: str | None) -> list[Event]:
    """The national admin archives a report that will not be handled, with the reason."""
    escalated_to_top = state.status is Status.ESCALATED and state.agency_code is None
    if not escalated_to_top:
        _require(state, BEFORE_DISPOSITION | {Status.AWAITING_REPORTER}, "archive")
    return [ComplaintArchived(reason_code=reason, note=note)]


def decide_defer(
    state: ComplaintState, reason: str, resume_on: date | None, now: datetime | None = None
) -> list[Event]:
    """The national admin puts a new report on hold (tunda): its clocks pause until it is
    resumed, by hand or by itself on `resume_on`."""
    _require(state, frozenset({Status.FILED}), "defer")
    if resume_on is not None and now is not None and resume_on <= now.date():
        raise invalid("resume_on_past", "resume_on must be a later day", "resume_on")
    return [ComplaintDeferred(reason=reason, resume_on=resume_on, paused_at=now)]


def decide_resume(state: ComplaintState, now: datetime, policy: DeadlinePolicy) -> list[Event]:
    """A deferred report goes back to verification with the time its clocks had left."""
    _require(state, frozenset({Status.DEFERRED}), "resume")
    deadlines = resumed_deadlines(state, now, policy)
    return [ComplaintResumed(verify_due=deadlines[DeadlineKind.VERIFICATION], deadlines=deadlines)]


def decide_request_information(
    state: ComplaintState, question: str, now: datetime | None = None
) -> list[Event]:
    """The national admin asks the reporter for more; the clocks pause until the answer."""
    _require(state, BEFORE_DISPOSITION, "request information on")
    return [
        InformationRequested(question=question, requested_by=Tier.NATIONAL_ADMIN, paused_at=now)
    ]


def decide_extend(
    state: ComplaintState, *, new_due: datetime, justification: str, now: datetime
) -> list[Event]:
    """The national admin extends an agency's follow-up deadline beyond what the extension
    rule grants on its own (recorded, with the reason, on the public timeline)."""
    due = state.deadlines.get(DeadlineKind.FOLLOW_UP)
    if due is None or state.agency_code is None or state.clocks_paused:
        raise Refused("invalid_state", "only a running follow-up deadline can be extended")
    if new_due <= max(due, now):
        raise invalid("not_later", "new_due must be after the current deadline", "new_due")
    return [
        DeadlineExtended(
            deadline=DeadlineKind.FOLLOW_UP,
            new_due=new_due,
            justification=justification,
            requested_by=state.agency_code,
            granted_by="national_admin",
        )
    ]


def decide_confirm_resolution(
    state: ComplaintState, now: datetime, policy: DeadlinePolicy
) -> list[Event]:
    """The national admin confirms a proposed resolution on the reporter's behalf (an
    anonymous reporter without a token cannot): the agency's code stands; the closure may
    still be appealed."""
    _require(state, frozenset({Status.RESOLVED}), "confirm the resolution of")
    return [
        Resolved(resolution_code=state.resolution_code or "fixed", confirmed_by="national_admin"),
        ComplaintClosed(reason="resolved", appeal_until=policy.appeal_until(now)),
    ]


def decide_tags(
    state: ComplaintState, tags: tuple[str, ...], catalogue: Collection[str]
) -> list[Event]:
    """The national admin sets the priority programmes and strategic issues of a filed
    complaint (the whole set): only tags of the catalogue; the same set again changes nothing."""
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    unknown = sorted(set(tags) - set(catalogue))
    if unknown:
        raise invalid(
            "unknown_tag",
            f"not a priority programme or strategic issue: {', '.join(unknown)} "
            "(GET /v1/reports/tags lists them)",
            "tags",
        )
    wanted = tuple(sorted(set(tags)))
    return [] if wanted == tuple(sorted(state.tags)) else [ComplaintTagged(tags=wanted)]


def decide_dispose(
    state: ComplaintState,
    *,
    agency_code: str,
    registry: Registry,
    now: datetime,
    policy: DeadlinePolicy,
    rule_id: str | None = None,
) -> list[Event]:
    """Dispose a verified complaint (or one escalated to the national admin) to an agency."""
    if state.status in {Status.FILED, Status.DEFERRED, Status.AWAITING_REPORTER}:
        raise Refused("not_verified", "verify the complaint before disposing it")
    escalated_to_top = state.status is Status.ESCALATED and state.agency_code is None
    if not (state.status is Status.VERIFIED or escalated_to_top):
        _require(state, frozenset({Status.VERIFIED}), "dispose")
    agency = registry.get(agency_code)
    if agency is None:
        raise invalid("unknown_agency", "no such agency", "agency_code")
    if agency.kind == "work_unit":
        raise invalid(
            "work_unit",
            "dispose to the agency; its coordinator forwards to a work unit",
            "agency_code",
        )
    if not registry.disposable(agency_code):
        raise invalid(
            "not_disposable", "the Ombudsman receives referrals, not dispositions", "agency_code"
        )
    if agency_code in state.refused_by:
        raise Refused(
            "refused_before",
            f"{agency_code} already answered 'not our authority' for this complaint",
            field="agency_code",
        )
    return [
        Disposed(agency_code=agency_code, rule_id=rule_id, follow_up_due=policy.follow_up_due(now))
    ]


def clear_answer(state: ComplaintState, registry: Registry) -> tuple[str, str] | None:
    """The (rule id, agency) the rules give for this complaint, skipping agencies that refused
    it; None when there is no clear answer."""
    for rule_id, code in registry.candidates(state.category, state.region_code):
        if code not in state.refused_by:
            return rule_id, code
    return None


def decide_auto_disposition(
    state: ComplaintState,
    *,
    registry: Registry,
    now: datetime,
    policy: DeadlinePolicy,
    max_refusals: int,
    suggested_agency: str | None = None,
) -> list[Event]:
    """What routing does on its own: verify and dispose a new report when the rules give a clear
    answer, re-dispose after a refusal, or nothing (the national admin decides).

    Whistle-blowing reports and reports without a category always wait for the national admin.
    """
    if state.status is Status.FILED:
        return _dispose_new(state, registry, policy.follow_up_due(now))
    if state.status is Status.VERIFIED:
        due = policy.follow_up_due(now)
        return _redispose(state, registry, due, max_refusals, suggested_agency)
    return []


def _dispose_new(state: ComplaintState, registry: Registry, due: datetime) -> list[Event]:
    """Verify and dispose a new report when the rules give a clear answer."""
    if state.kind is ComplaintKind.WHISTLEBLOWING or not state.category:
        return []
    if registry.categories and state.category not in registry.categories:
        return []
    answer = clear_answer(state, registry)
    if answer is None:
        return []
    verified = ComplaintVerified(
        title=state.title or "",
        category=state.category,
        region_code=state.region_code,
        anonymous=state.anonymous,
        confidential=state.confidential,
    )
    rule_id, code = answer
    return [verified, Disposed(agency_code=code, rule_id=rule_id, follow_up_due=due)]


def _redispose(
    state: ComplaintState,
    registry: Registry,
    due: datetime,
    max_refusals: int,
    suggested_agency: str | None,
) -> list[Event]:
    """After a refusal: the refuser's suggestion, else the rules, else the national admin."""
    if state.kind is ComplaintKind.WHISTLEBLOWING:
        return []  # the national admin decides who may see a whistle-blower's report
    if state.refusals >= max_refusals:
        return []  # the national admin's queue
    if state.escalation_level > 0:
        # A higher tier refused an escalated complaint: the rules would hand it back to the
        # tier that missed its deadline, with a fresh clock. The national admin decides.
        return []
    suggested = registry.get(suggested_agency)
    if (
        suggested is not None
        and registry.disposable(suggested.code)
        and suggested.code not in state.refused_by
    ):
        return [
            Disposed(agency_code=suggested.code, rule_id="suggested-by-refuser", follow_up_due=due)
        ]
    answer = clear_answer(state, registry)
    if answer is None:
        return []
    rule_id, code = answer
    return [Disposed(agency_code=code, rule_id=rule_id, follow_up_due=due)]
