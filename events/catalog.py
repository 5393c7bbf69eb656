"""Every event type of the complaint lifecycle: the payloads of the published contract.

Names are past tense. Each docstring says who emits the event and when. Never edit a published
type: add a new `schema_version` and an upcaster in `events/upcasters.py`.
Kept in one module: it is the index of the published contract, read top to bottom.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from events.base import (
    AgencyCode,
    ComplaintKind,
    DeadlineKind,
    Event,
    ExternalId,
    ImportStep,
    LongText,
    RegionCode,
    ReporterRef,
    ShortText,
    Slug,
    Tier,
    UtcDatetime,
)


class ComplaintFiled(Event):
    """intake, when a channel's submission is accepted: the complaint exists from here on.

    Version 2 added `kind` and `confidential`, renamed `region` to `region_code` and added
    `resolution_due` and `submission_id` (see the upcaster from version 1).
    """

    event_type = "complaint.filed"
    schema_version = 2

    tracking_id: Slug
    kind: ComplaintKind
    title: ShortText
    description: LongText
    category: Slug | None = None
    region_code: RegionCode | None = None
    channel: Slug
    submission_id: ShortText | None = None
    anonymous: bool
    confidential: bool
    reporter_ref: ReporterRef | None = None
    verify_due: UtcDatetime
    resolution_due: UtcDatetime | None = None


class ComplaintVerified(Event):
    """routing, when the national admin accepts a report and sets title, category and privacy."""

    event_type = "complaint.verified"

    title: ShortText
    category: Slug
    region_code: RegionCode | None = None
    tags: tuple[Slug, ...] = ()
    anonymous: bool
    confidential: bool


class ComplaintArchived(Event):
    """routing, when the national admin archives a report (spam, too vague, not public service)."""

    event_type = "complaint.archived"

    reason_code: Literal["spam", "too_vague", "not_public_service", "duplicate", "other"]
    note: ShortText | None = None


class ComplaintDeferred(Event):
    """routing, when the national admin puts a report on hold (tunda) before verifying it; its
    clocks pause, and it resumes by itself on `resume_on` (if given)."""

    event_type = "complaint.deferred"

    reason: ShortText
    resume_on: date | None = None
    paused_at: UtcDatetime | None = Field(
        None, description="when the clocks stopped (absent on older events)"
    )


class ComplaintResumed(Event):
    """routing (or followup's scan on the deferral's date), when a deferred report goes back to
    verification: its clocks run again with the time they had left."""

    event_type = "complaint.resumed"

    verify_due: UtcDatetime
    deadlines: dict[DeadlineKind, UtcDatetime] | None = Field(
        None, description="every running deadline after resuming (absent on older events)"
    )


class InformationRequested(Event):
    """routing or an agency, when the reporter must add information; the clocks pause."""

    event_type = "complaint.information_requested"

    question: LongText
    requested_by: Tier
    paused_at: UtcDatetime | None = Field(
        None, description="when the clocks stopped (absent on older events)"
    )


class InformationSupplied(Event):
    """intake, when the reporter adds the requested information: the complaint goes back to
    where it was (verification, or the agency that asked) with the time its clocks had left."""

    event_type = "complaint.information_supplied"

    message: LongText
    verify_due: UtcDatetime
    deadlines: dict[DeadlineKind, UtcDatetime] | None = Field(
        None, description="every running deadline after resuming (absent on older events)"
    )


class Disposed(Event):
    """routing, when a verified complaint is sent to the agency responsible for it.

    `rule_id` names the responsibility rule for an automatic disposition; None when by hand.
    """

    event_type = "complaint.disposed"

    agency_code: AgencyCode
    rule_id: Slug | None = None
    follow_up_due: UtcDatetime


IMPORTED_RULE = "imported"
"""The `rule_id` of a disposition made by an import: the connected system's own agency already
has the complaint, so no work item goes to its queue."""


class DispositionAcknowledged(Event):
    """followup, when the agency coordinator confirms it has taken the complaint."""

    event_type = "complaint.disposition_acknowledged"

    agency_code: AgencyCode


class DispositionRefused(Event):
    """followup, when an agency answers "not our authority" (bukan wewenang); it is re-disposed."""

    event_type = "complaint.disposition_refused"

    agency_code: AgencyCode
    reason: ShortText
    suggested_agency_code: AgencyCode | None = None
    verify_due: UtcDatetime | None = Field(
        None,
        description="the national admin's clock should no rule re-dispose it (absent on older "
        "events)",
    )


class ForwardedToUnit(Event):
    """followup, when the agency coordinator forwards the complaint to one of its work units."""

    event_type = "complaint.forwarded_to_unit"

    agency_code: AgencyCode
    unit_code: AgencyCode


class FollowUpPosted(Event):
    """followup, when the agency or its work unit posts its follow-up (tindak lanjut)."""

    event_type = "complaint.follow_up_posted"

    agency_code: AgencyCode
    unit_code: AgencyCode | None = None
    message: LongText
    resolution_proposed: bool = False
    resolution_code: Slug | None = Field(
        None,
        description="with a proposed resolution: how it was resolved (one of the shipped "
        "resolution codes); the complaint then rests as resolved until the reporter confirms, "
        "disputes, or stays silent",
    )
    reply_due: UtcDatetime


class ReporterReplied(Event):
    """intake, when the reporter answers a follow-up: satisfied, not satisfied, or a comment."""

    event_type = "complaint.reporter_replied"

    satisfied: bool | None = None
    message: LongText | None = None
    reply_due: UtcDatetime | None = Field(
        None,
        description="a comment on a follow-up restarts the silence clock: the new deadline "
        "(absent on older events and when no follow-up awaits an answer)",
    )


class ComplaintReopened(Event):
    """followup, when the reporter is not satisfied: the agency must follow up again."""

    event_type = "complaint.reopened"

    reason: ShortText
    follow_up_due: UtcDatetime


class Escalated(Event):
    """followup, when a deadline is missed: the complaint moves to the next tier up.

    `to_agency_code` is None when the complaint reaches the national admin.
    """

    event_type = "complaint.escalated"

    deadline: DeadlineKind
    missed_due: UtcDatetime
    from_agency_code: AgencyCode | None = None
    to_tier: Tier
    to_agency_code: AgencyCode | None = None
    new_due: UtcDatetime


class DeadlineExtended(Event):
    """followup, when a justified extension of a running clock is recorded."""

    event_type = "complaint.deadline_extended"

    deadline: DeadlineKind
    new_due: UtcDatetime
    justification: ShortText
    requested_by: AgencyCode | None = None
    granted_by: Literal["rule", "national_admin"] | None = Field(
        None, description="the extension rule (within the limits), or the national admin"
    )


class Resolved(Event):
    """The resolution is confirmed: by the reporter (intake), by the national admin on the
    reporter's behalf (routing), or by the reporter's silence (followup's scan)."""

    event_type = "complaint.resolved"

    resolution_code: Slug
    confirmed_by: Literal["reporter", "national_admin", "reporter_silence"]


class Rated(Event):
    """intake, when the reporter rates how the complaint was handled (once, at resolution)."""

    event_type = "complaint.rated"

    rating: int = Field(ge=1, le=5)
    comment: LongText | None = None


class ComplaintClosed(Event):
    """followup, when a complaint ends: after resolution, or after the reporter's silence."""

    event_type = "complaint.closed"

    reason: Literal["resolved", "reporter_silence", "withdrawn"]
    appeal_until: UtcDatetime | None = Field(
        None,
        description="until when the reporter may appeal the closure (absent on older events "
        "and after a withdrawal)",
    )


class Appealed(Event):
    """intake, when the reporter appeals a closure within the appeal window: a reviewer above
    the agency (the province for a regency or city, the national admin otherwise) decides."""

    event_type = "complaint.appealed"

    reviewer_tier: Tier
    reviewer_code: AgencyCode | None = Field(
        None, description="the reviewing province; None when the national admin reviews"
    )
    review_due: UtcDatetime


class AppealDecided(Event):
    """routing (the national admin) or followup (a reviewing province): the closure is upheld
    (closed again, for good), or the complaint is reopened with a new owner and a fresh
    follow-up clock."""

    event_type = "complaint.appeal_decided"

    outcome: Literal["upheld", "reopened"]
    reviewer_tier: Tier
    reviewer_code: AgencyCode | None = None
    reason: ShortText
    agency_code: AgencyCode | None = Field(None, description="the new owner (reopened)")
    follow_up_due: UtcDatetime | None = Field(None, description="its clock (reopened)")


class ReferredToOmbudsman(Event):
    """intake (the reporter asks, after the resolution deadline) or followup's scan (the
    resolution deadline passed): Ombudsman RI takes the complaint over on its own queue."""

    event_type = "complaint.referred_to_ombudsman"

    reason: Literal["reporter_request", "resolution_limit"] = Field(
        "reporter_request", description="who asked (older events: always the reporter)"
    )
    consent_given_at: UtcDatetime | None = Field(
        None,
        description="when the reporter consented; None for a referral on the deadline alone "
        "(the Ombudsman then gets no contact details)",
    )
    days_open: int = Field(ge=0)
    ombudsman_code: AgencyCode | None = Field(
        None, description="the Ombudsman's principal (absent on older events)"
    )
    findings_due: UtcDatetime | None = Field(
        None, description="when the national admin expects the Ombudsman's findings"
    )


class OmbudsmanFindingsIssued(Event):
    """followup, when the Ombudsman reports on a referred complaint: an interim note, or its
    final findings, which end the complaint on the national side."""

    event_type = "complaint.ombudsman_findings_issued"

    stage: Literal["interim", "final"]
    outcome: (
        Literal["maladministration", "no_maladministration", "resolved_by_mediation", "other"]
        | None
    ) = Field(None, description="the final findings' conclusion")
    message: LongText


class ComplaintImported(Event):
    """intake, when a connected (regional) system brings in a complaint its citizens filed
    locally: where it comes from. The lifecycle events that make it visible (filed, verified,
    disposed to the system's agency) follow in the same append."""

    event_type = "complaint.imported"

    source_system: Slug
    external_id: ExternalId
    step_id: ExternalId = Field(description="the system's id of its filing step")
    local_status: ShortText
    original_at: UtcDatetime = Field(description="when it was filed in the system")
    content_digest: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of what was filed: the same external id with other content is refused",
    )


class StepImported(Event):
    """intake, when a connected system reports a later step of a complaint's history (its own
    status word, its time); the lifecycle event it maps to follows in the same append."""

    event_type = "complaint.step_imported"

    source_system: Slug
    step_id: ExternalId
    step: ImportStep
    local_status: ShortText
    original_at: UtcDatetime


class PersonalDataErased(Event):
    """intake, when the reporter's personal data is crypto-shredded; the log itself stays."""

    event_type = "complaint.personal_data_erased"

    reporter_ref: ReporterRef


class ComplaintTagged(Event):
    """routing, when the national admin sets the national priority programmes and strategic
    issues a complaint belongs to: the whole set (empty clears it); the dashboards filter by
    them."""

    event_type = "complaint.tagged"

    tags: tuple[Slug, ...] = Field(default=(), max_length=20)


ALL_EVENT_TYPES: tuple[type[Event], ...] = (
    ComplaintFiled,
    ComplaintVerified,
    ComplaintArchived,
    ComplaintDeferred,
    ComplaintResumed,
    InformationRequested,
    InformationSupplied,
    Disposed,
    DispositionAcknowledged,
    DispositionRefused,
    ForwardedToUnit,
    FollowUpPosted,
    ReporterReplied,
    ComplaintReopened,
    Escalated,
    DeadlineExtended,
    Resolved,
    Rated,
    ComplaintClosed,
    Appealed,
    AppealDecided,
    ReferredToOmbudsman,
    OmbudsmanFindingsIssued,
    ComplaintImported,
    StepImported,
    ComplaintTagged,
    PersonalDataErased,
)
"""The current version of every event type, in lifecycle order."""
