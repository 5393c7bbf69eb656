"""The wire messages of every topic besides the complaint events: what channels submit and get
back, what an agency finds on its queue, and what it replies. Part of the published contract."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from events.base import (
    AgencyCode,
    ComplaintKind,
    ExternalId,
    LongText,
    RegionCode,
    ShortText,
    Slug,
    UtcDatetime,
)

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{6,19}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")]
NationalId = Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
"""An id a client chooses (submission id, reply id, Idempotency-Key): re-sending it is harmless."""

AgencyAction = Literal[
    "acknowledge",
    "forward",
    "follow_up",
    "refuse",
    "propose_resolution",
    "request_information",
    "request_extension",
    "uphold_closure",
    "reopen",
    "interim_findings",
    "final_findings",
]
"""What an agency may do; `uphold_closure` and `reopen` are a reviewing province's answers to an
appeal, `interim_findings` and `final_findings` the Ombudsman's on a referral."""
WorkReason = Literal[
    "disposed",
    "forwarded",
    "escalated",
    "reopened",
    "reporter_replied",
    "needs_disposition",
    "appealed",
    "referred_to_ombudsman",
]


class ReporterContact(BaseModel):
    """The reporter's personal data: kept encrypted in the vault, never put in an event."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: ShortText
    phone: Phone | None = None
    email: Email | None = None
    national_id: NationalId | None = None

    @model_validator(mode="after")
    def _reachable(self) -> ReporterContact:
        if not (self.phone or self.email):
            raise ValueError("give a phone number or an e-mail address")
        return self


class Submission(BaseModel):
    """What a channel submits, over HTTP or on the intake topic."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    title: ShortText
    description: LongText
    category: Slug | None = None
    region_code: RegionCode | None = None
    channel: Slug
    kind: ComplaintKind = ComplaintKind.COMPLAINT
    anonymous: bool = False
    confidential: bool = False
    reporter: ReporterContact | None = Field(
        None, description="required unless anonymous; never shown to agencies when anonymous"
    )

    @model_validator(mode="after")
    def _contact_unless_anonymous(self) -> Submission:
        if not self.anonymous and self.reporter is None:
            raise ValueError("reporter contact is required unless the report is anonymous")
        return self


class TopicSubmission(Submission):
    """A submission on the intake topic: the channel's own id makes re-sending it harmless."""

    submission_id: ClientId


class IntakeResult(BaseModel):
    """The answer to a topic submission, on the intake-results topic, keyed by submission id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submission_id: str
    channel: str | None = None
    status: Literal["accepted", "rejected"]
    complaint_id: UUID | None = None
    tracking_id: str | None = None
    access_token: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class QueueContact(BaseModel):
    """The reporter's contact: present only when the complaint is not anonymous."""

    model_config = ConfigDict(title="ReporterContact")  # the published schema's name

    name: str | None = None
    phone: str | None = None
    email: str | None = None


WORK_ITEM_MESSAGES = 5
"""The latest messages of each kind a work item carries (the case file has them all)."""
WORK_ITEM_MESSAGE_CHARS = 2_000
"""Each message in a work item is cut to this many characters (marked with an ellipsis)."""


class WorkItem(BaseModel):
    """A complaint an agency (or the national admin) must act on: a bounded summary, whatever
    the complaint's history (the latest WORK_ITEM_MESSAGES messages of each kind, each cut to
    WORK_ITEM_MESSAGE_CHARS); the full case file is at `case_file_path` on followup.

    `work_item_id` is the id of the event that caused it: a re-delivered item has the same id.
    """

    model_config = ConfigDict(frozen=True)

    work_item_id: UUID
    reason: WorkReason
    queue: str
    complaint_id: UUID
    tracking_id: str
    version: int
    agency_code: str | None
    unit_code: str | None
    kind: str
    title: str
    description: str
    additional_information: list[str]
    reporter_messages: list[str]
    messages_omitted: int = Field(
        0, description="earlier or longer messages left out of this item: see the case file"
    )
    case_file_path: str = Field(
        "", description="the case file on followup, e.g. /v1/complaints/<complaint_id>"
    )
    category: str | None
    region_code: str | None
    anonymous: bool
    confidential: bool
    reporter: QueueContact | None
    follow_up_due: datetime | None
    refused_by: list[str]
    occurred_at: datetime


class ReplyNotice(BaseModel):
    """The outcome of a reply an agency sent on the agency-replies topic."""

    reply_id: str
    complaint_id: UUID | None
    status: Literal["applied", "duplicate", "rejected"]
    error: str | None = None
    problem: str | None = None


class AgencyReply(BaseModel):
    """An agency's action on a complaint disposed to it (the HTTP body)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    action: AgencyAction
    message: LongText | None = Field(
        None,
        description="the follow-up (follow_up, propose_resolution), the question to the "
        "reporter (request_information: the clocks pause until the answer), or the Ombudsman's "
        "findings (interim_findings, final_findings)",
    )
    resolution_code: Slug | None = Field(
        None,
        description="how it was resolved (propose_resolution): fixed, partially_fixed, "
        "explained, not_substantiated, referred_elsewhere, not_possible, duplicate",
    )
    unit_code: AgencyCode | None = Field(None, description="the work unit (forward)")
    reason: ShortText | None = Field(
        None,
        description="why it is not your authority (refuse), needs more time "
        "(request_extension), or why an appeal is upheld or reopened (uphold_closure, reopen)",
    )
    assign_to: AgencyCode | None = Field(
        None, description="the agency that takes an appealed complaint up again (reopen)"
    )
    outcome: (
        Literal["maladministration", "no_maladministration", "resolved_by_mediation", "other"]
        | None
    ) = Field(None, description="the conclusion of the Ombudsman's final_findings")
    extend_until: UtcDatetime | None = Field(
        None, description="the follow-up deadline asked for (request_extension)"
    )
    suggested_agency_code: AgencyCode | None = Field(None, description="who it belongs to (refuse)")


class AgencyReplyMessage(AgencyReply):
    """An agency reply on `<prefix>.agency-replies.v1`, signed in the `lapor_signature` header
    (hex HMAC-SHA256 of the message value under the agency's API key)."""

    reply_id: ClientId = Field(description="the agency's id for it; a re-send is applied once")
    agency_code: AgencyCode
    complaint_id: UUID


# -- connected (regional) systems ------------------------------------------------------------

MAX_IMPORT_ITEMS = 200
"""Complaints in one import batch (HTTP body or one topic message carries one)."""
MAX_IMPORT_STEPS = 100
"""History steps of one complaint in one import."""


class ImportStepIn(BaseModel):
    """One step of a complaint's history in a connected system, in its own words."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    step_id: ExternalId = Field(
        description="the system's id of the step: re-sending it is harmless"
    )
    status: ShortText = Field(description="the system's own status word (mapped at registration)")
    at: UtcDatetime = Field(description="when the step happened in the system")
    message: LongText | None = Field(None, description="a follow-up's text, or why it was rejected")
    resolution_code: Slug | None = Field(None, description="how it was resolved (resolved steps)")


class ImportItem(BaseModel):
    """A complaint filed in a connected system, with its history so far (oldest step first)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    external_id: ExternalId
    agency_code: AgencyCode = Field(description="the system's agency that holds it")
    kind: ComplaintKind = ComplaintKind.COMPLAINT
    title: ShortText
    description: LongText
    category: Slug | None = None
    region_code: RegionCode | None = None
    confidential: bool = False
    steps: list[ImportStepIn] = Field(min_length=1, max_length=MAX_IMPORT_STEPS)


class ImportBatch(BaseModel):
    """What a connected system sends to `POST /v1/systems/{code}/imports`."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    items: list[ImportItem] = Field(min_length=1, max_length=MAX_IMPORT_ITEMS)


class StatusUpdate(BaseModel):
    """A connected system's status change on a complaint the national side disposed to one of
    its agencies (or imported from it): the step's status word is mapped as for imports."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    complaint_id: UUID
    step: ImportStepIn


class StatusUpdates(BaseModel):
    """What a connected system sends to `POST /v1/systems/{code}/status-updates`."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    updates: list[StatusUpdate] = Field(min_length=1, max_length=MAX_IMPORT_ITEMS)


class ImportRejection(BaseModel):
    """One step (or item) that was not imported, and why; the rest of the batch goes on."""

    model_config = ConfigDict(frozen=True)

    external_id: str
    step_id: str | None = None
    error: str
    field: str | None = None
    problem: str


# -- the log's signed checkpoints -----------------------------------------------------------


class SignedCheckpoint(BaseModel):
    """A signed statement of the whole log at one global position, on
    `<prefix>.checkpoints.v1` and `GET /v1/audit/checkpoints` (reporting): `root` is the SHA-256
    over every stream's head at `log_position` (one line "<complaint id> <version> <hash>\\n" per
    stream, sorted by complaint id); `signature` is Ed25519 over `body()` by `public_key`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_position: int = Field(ge=0)
    streams: int = Field(ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")
    made_at: UtcDatetime
    previous_root: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")

    def body(self) -> bytes:
        """The exact bytes signed: canonical JSON of every field but the signature."""
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
