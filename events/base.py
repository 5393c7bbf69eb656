"""Base class and shared field types for every event payload of the published contract."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)


def _utc(value: datetime) -> datetime:
    """Normalise every timestamp to UTC so that canonical forms and hashes are stable."""
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """The one text form of an instant used in stored records and hashes."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


UtcDatetime = Annotated[
    AwareDatetime, Field(description="RFC 3339 timestamp with offset"), AfterValidator(_utc)
]
"""A timezone-aware timestamp, stored in UTC."""

AgencyCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,62}$")]
"""A stable agency or work-unit code; it also names the agency's queue topic."""

RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")]
"""A Kemendagri administrative code: province `31`, regency/city `31.71`, district `31.71.01`."""

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""A short machine-readable word: a category, channel, tag or reason code."""

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/-]{1,128}$")]
"""A connected system's own id for a complaint or a history step."""

ImportStep = Literal["filed", "in_progress", "follow_up", "resolved", "closed", "rejected"]
"""The national meaning of a connected system's own status word (its mapping says which)."""

# No NUL characters: PostgreSQL's jsonb cannot store them, and no human text needs them.
ShortText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, strip_whitespace=True, pattern=r"^[^\x00]*$"),
]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")]
ReporterRef = Annotated[str, StringConstraints(pattern=r"^rep_[A-Za-z0-9_-]{8,64}$")]
"""An opaque pointer into the personal-data store; never the person's data itself."""


class ComplaintKind(StrEnum):
    """What the reporter files (pengaduan, aspirasi, permintaan informasi, whistle-blowing)."""

    COMPLAINT = "complaint"
    ASPIRATION = "aspiration"
    INFORMATION_REQUEST = "information_request"
    WHISTLEBLOWING = "whistleblowing"


class DeadlineKind(StrEnum):
    """The clocks a complaint can have running."""

    VERIFICATION = "verification"  # verify and dispose: 3 working days
    FOLLOW_UP = "follow_up"  # agency's first follow-up: 5 working days after disposition
    REPORTER_REPLY = "reporter_reply"  # silence after a follow-up: auto-close after 10 days
    RESOLUTION = "resolution"  # maximum resolution time: 60 days, then the Ombudsman
    APPEAL_REVIEW = "appeal_review"  # the reviewer's decision on an appeal: 5 working days
    OMBUDSMAN_FINDINGS = "ombudsman_findings"  # the Ombudsman's findings: watched, 30 working days


class Tier(StrEnum):
    """The levels of the government hierarchy a complaint escalates through."""

    WORK_UNIT = "work_unit"
    AGENCY = "agency"
    PROVINCE = "province"
    NATIONAL_ADMIN = "national_admin"


class Event(BaseModel):
    """Base of every event payload: immutable, strict, and named by a stable type string."""

    # hide_input_in_errors: a refused value may be personal data; errors name the field only.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
