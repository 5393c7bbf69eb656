"""Intake decisions, pure: what a channel may submit, and the filing of a complaint."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from events.base import ComplaintKind, LongText, RegionCode, ShortText, Slug
from events.catalog import ComplaintFiled
from events.state import ComplaintState, Status
from services.decisions import Refused
from services.workdays import DeadlinePolicy

_IDS = UUID("8a7c1f0e-5b1d-4e43-9a57-0c6a3c1f2d10")  # namespace for ids derived from channel keys
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{6,19}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")]
NationalId = Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
SubmissionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


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

    submission_id: SubmissionId


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


def complaint_id_for(channel: str, key: str, secret: bytes = b"") -> UUID:
    """The complaint id for a channel's idempotency key or submission id: a retry finds the same
    stream, and the event store's first-version check makes the second filing impossible.

    Keyed by a server secret, so nobody can work out a complaint (or its tracking id) from a
    guessed key."""
    mac = hmac.new(secret, f"{channel}\x00{key}".encode(), "sha256").hexdigest()
    return uuid5(_IDS, mac)


def tracking_id_for(complaint_id: UUID) -> str:
    """A short, unambiguous, human-friendly id (60 bits, Crockford base32): lpr-xxxx-xxxx-xxxx."""
    number = int.from_bytes(hashlib.sha256(complaint_id.bytes).digest()[:8], "big") >> 4
    chars = "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(12)))
    return f"lpr-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def access_token_for(secret: bytes, complaint_id: UUID) -> str:
    """The reporter's access token: derived, so a retried filing returns the same one."""
    digest = hmac.new(secret, b"reporter-access\x00" + complaint_id.bytes, "sha256").digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_matches(secret: bytes, complaint_id: UUID, token: str | None) -> bool:
    """Constant-time check of a reporter's access token."""
    if not token:
        return False
    expected = access_token_for(secret, complaint_id).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "surrogateescape"))


def same_submission(filed: ComplaintFiled, submission: Submission) -> bool:
    """Whether a complaint was filed from this very submission (an idempotent retry). Compared
    with the filing itself: the national admin may have changed title or flags since."""
    fields = ("title", "description", "kind", "channel", "category", "region_code")
    return all(getattr(filed, f) == getattr(submission, f) for f in fields) and (
        filed.anonymous,
        filed.confidential,
    ) == (submission.anonymous, submission.confidential)


def decide_file(
    state: ComplaintState,
    submission: Submission,
    *,
    tracking_id: str,
    reporter_ref: str | None,
    now: datetime,
    policy: DeadlinePolicy,
    submission_id: str | None = None,
) -> list[ComplaintFiled]:
    """File a new complaint; refused when the stream already exists."""
    if state.status is not Status.NEW:
        raise Refused("already_filed", "this complaint was already filed", status=409)
    return [
        ComplaintFiled(
            tracking_id=tracking_id,
            kind=submission.kind,
            title=submission.title,
            description=submission.description,
            category=submission.category,
            region_code=submission.region_code,
            channel=submission.channel,
            submission_id=submission_id,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            reporter_ref=reporter_ref,
            verify_due=policy.verify_due(now),
            resolution_due=policy.resolution_due(now),
        )
    ]
