"""The state of one complaint as rebuilt from its events (the fold's result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from events.base import ComplaintKind, DeadlineKind, Tier


class Status(StrEnum):
    """Where a complaint stands in the lifecycle (see LIFECYCLE.md)."""

    NEW = "new"  # no event yet: the complaint does not exist
    FILED = "filed"
    VERIFIED = "verified"
    DEFERRED = "deferred"
    ARCHIVED = "archived"
    AWAITING_REPORTER = "awaiting_reporter"
    DISPOSED = "disposed"
    FORWARDED_TO_UNIT = "forwarded_to_unit"
    FOLLOWED_UP = "followed_up"
    IN_FOLLOW_UP = "in_follow_up"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    APPEALED = "appealed"
    CLOSED = "closed"
    REFERRED_TO_OMBUDSMAN = "referred_to_ombudsman"


TERMINAL = frozenset({Status.ARCHIVED, Status.CLOSED})
"""States from which no clock runs and no further work is expected (a closed complaint may
still be appealed within its window, which opens a new chapter)."""

AT_AGENCY = frozenset(
    {Status.DISPOSED, Status.FORWARDED_TO_UNIT, Status.IN_FOLLOW_UP, Status.ESCALATED}
)
"""States in which the agency holding the complaint owes a follow-up."""

_NO_DEADLINES: Mapping[DeadlineKind, datetime] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ComplaintState:
    """Everything the deciders need to know about one complaint; immutable."""

    complaint_id: UUID | None = None
    version: int = 0
    status: Status = Status.NEW
    tracking_id: str | None = None
    kind: ComplaintKind | None = None
    title: str | None = None
    category: str | None = None
    region_code: str | None = None
    channel: str | None = None
    anonymous: bool = False
    confidential: bool = False
    reporter_ref: str | None = None
    personal_data_erased: bool = False
    agency_code: str | None = None
    unit_code: str | None = None
    acknowledged: bool = False
    refused_by: tuple[str, ...] = ()
    refusals: int = 0  # "not our authority" answers, counting an agency that refuses again
    dispositions: int = 0
    escalation_level: int = 0
    escalated_to_tier: Tier | None = None
    deadlines: Mapping[DeadlineKind, datetime] = field(default_factory=lambda: _NO_DEADLINES)
    clocks_paused: bool = False
    paused_from: Status | None = None  # where a paused complaint goes back to
    paused_at: datetime | None = None  # when its clocks stopped (time left = due - paused_at)
    resume_on: date | None = None  # a deferral's own end
    extensions: int = 0
    reopen_count: int = 0
    reporter_messages: int = 0  # add_information comments and replies with a message: bounded
    agency_messages: int = 0  # follow-ups posted: bounded
    last_reporter_satisfied: bool | None = None
    rating: int | None = None  # the reporter's 1-5 rating of the handling, once
    tags: tuple[str, ...] = ()  # priority programmes and strategic issues (national admin)
    resolution_code: str | None = None
    closed_reason: str | None = None
    appeal_until: datetime | None = None  # a closure may be appealed until then (None: final)
    appeals: int = 0
    referral_reason: str | None = None  # why the Ombudsman has it
    source_system: str | None = None  # a connected system it was imported from
    external_id: str | None = None
    import_digest: str | None = None
    imported_steps: frozenset[str] = frozenset()  # the system's step ids applied
    last_imported_at: datetime | None = None  # the latest step's time in the system
    filed_at: datetime | None = None
    last_event_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True while the complaint exists and has not reached a terminal state."""
        return self.status is not Status.NEW and self.status not in TERMINAL
