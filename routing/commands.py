"""Routing's commands: what the national admin decides and asks, as plain data (the use cases
that run them are in `routing.handlers`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from events.state import Status
from routing.domain import ArchiveReason
from services.kernel.appeals import AppealOutcome


@dataclass(frozen=True, kw_only=True)
class AdminCommand:
    """A national admin's command on one complaint; a repeated key is applied once."""

    complaint_id: UUID
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class Verify(AdminCommand):
    """Accept the report; set what the reporter could not know."""

    category: str
    title: str | None = None
    region_code: str | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Archive(AdminCommand):
    """Archive with a reason."""

    reason: ArchiveReason
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Defer(AdminCommand):
    """Put on hold (tunda)."""

    reason: str
    resume_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Resume(AdminCommand):
    """Back to verification, with a fresh clock."""


@dataclass(frozen=True, kw_only=True)
class Extend(AdminCommand):
    """Extend an agency's follow-up deadline beyond the rule's limits."""

    new_due: datetime
    justification: str


@dataclass(frozen=True, kw_only=True)
class ConfirmResolution(AdminCommand):
    """Confirm a proposed resolution on the reporter's behalf."""


@dataclass(frozen=True, kw_only=True)
class DecideAppeal(AdminCommand):
    """Uphold a closure under appeal, or reopen it with a new owner."""

    outcome: AppealOutcome
    reason: str
    assign_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestInformation(AdminCommand):
    """Ask the reporter for more."""

    question: str


@dataclass(frozen=True, kw_only=True)
class Dispose(AdminCommand):
    """Dispose by hand to an agency."""

    agency_code: str


@dataclass(frozen=True, kw_only=True)
class SetTags(AdminCommand):
    """Set the complaint's priority programmes and strategic issues (the whole set)."""

    tags: tuple[str, ...]


@dataclass(frozen=True)
class ShowCaseFile:
    """One complaint's current state (no personal data)."""

    complaint_id: UUID


@dataclass(frozen=True)
class RestoreQueues:
    """After a broker reset: every work item back on its queue, in order."""


@dataclass(frozen=True)
class ListQueue:
    """What waits for the national admin, oldest first."""

    status: Status | None = None
    limit: int = 100
    offset: int = 0
    overdue: bool = False
