"""The ports the use cases run over: the event store, the clock, the publisher and the
personal-data vault, plus the bundle a service's handlers receive. Adapters: `eventstore`,
`clock`, `publisher`, `vault` (real) and `memory` (in-memory fakes for unit tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from events.envelope import Envelope
from services.kernel.registry import Registry
from services.kernel.workdays import DeadlinePolicy
from services.platform.settings import PlatformSettings

Transaction = Any
"""An open unit of work (an asyncpg connection inside a transaction, or a fake's token): the
writes that receive it commit or roll back together."""

SETTLE_S = 5.0
"""Appends commit well within this many seconds: a reader of the global order that stops
before events recorded more recently never has an event appear later below a position it
passed (regional replay, signed checkpoints)."""

Anchors = dict[str, tuple[int, str]]
"""complaint id -> (version, hex hash) of its stream head, kept outside the system by auditors."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event with its place in the global order."""

    global_position: int
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class AuditedEvent:
    """An event as the auditor sees it: where it stands in the global order, when the store
    recorded it (beside when it happened, in the envelope) and its chain hash."""

    global_position: int
    recorded_at: datetime
    hash: str
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class BrokenChain:
    """Where a complaint's hash chain does not hold."""

    complaint_id: UUID
    version: int
    reason: str


class ConcurrencyError(Exception):
    """The stream moved on: `expected_version` is stale. Reload the state and decide again."""

    def __init__(self, complaint_id: UUID, expected: int, actual: int | None) -> None:
        self.complaint_id = complaint_id
        self.expected = expected
        self.actual = actual
        found = "unknown (a concurrent append won)" if actual is None else str(actual)
        super().__init__(
            f"complaint {complaint_id}: expected version {expected}, stream is at {found}"
        )


class InvalidAppend(ValueError):
    """The events handed to `append` do not belong at that place in that stream."""


def check_append(complaint_id: UUID, expected_version: int, events: Sequence[Envelope]) -> None:
    """Refuse (InvalidAppend) events that do not follow `expected_version` in this stream."""
    if expected_version < 0:
        raise InvalidAppend("expected_version must be 0 (new stream) or more")
    if not events:
        raise InvalidAppend("nothing to append")
    for offset, event in enumerate(events, start=1):
        if event.complaint_id != complaint_id:
            raise InvalidAppend(f"event {event.event_id} belongs to {event.complaint_id}")
        if event.version != expected_version + offset:
            raise InvalidAppend(
                f"event {event.event_id} has version {event.version}, "
                f"expected {expected_version + offset}"
            )


class EventStore(Protocol):
    """Complaint streams: optimistic appends and reads (the record of truth)."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work that `append` (and the vault's `put`) can join."""
        ...

    async def append(
        self,
        complaint_id: UUID,
        expected_version: int,
        events: Sequence[Envelope],
        *,
        tx: Transaction | None = None,
    ) -> list[int]:
        """Append after `expected_version`; ConcurrencyError when the stream moved on."""
        ...

    async def read_stream(self, complaint_id: UUID, from_version: int = 1) -> list[Envelope]:
        """One complaint's events in version order."""
        ...

    async def has_event(self, event_id: UUID) -> bool:
        """Whether an event with this id is stored."""
        ...

    async def find_by_tracking_id(self, tracking_id: str) -> UUID | None:
        """The complaint a tracking id belongs to."""
        ...

    async def tracking_ids(self, complaint_ids: Sequence[UUID]) -> dict[UUID, str]:
        """The tracking ids of some complaints, as filed."""
        ...

    async def stream_version(self, complaint_id: UUID) -> int:
        """The version a stream is at (0 if it has no events)."""
        ...

    async def last_position(self) -> int:
        """The global position of the latest event (0 for an empty store)."""
        ...

    async def read_many(self, complaint_ids: Sequence[UUID]) -> dict[UUID, list[Envelope]]:
        """Several complaints' whole streams in one read (absent ones are left out)."""
        ...

    async def audited_stream(self, complaint_id: UUID) -> list[AuditedEvent]:
        """One complaint's events in version order, each with its global position, the time
        the store recorded it and its chain hash (hex)."""
        ...

    async def read_all(
        self, from_position: int = 0, limit: int = 1000, settled_s: float = 0.0
    ) -> list[StoredEvent]:
        """Committed events after `from_position`, in global order; with `settled_s`, only up
        to the first one recorded less than that long ago (a reader that resumes after the
        last position it saw then misses nothing committed late with a lower position, as long
        as appends commit within `settled_s`)."""
        ...


class Clock(Protocol):
    """The platform time every service agrees on."""

    offset: timedelta
    """How far the platform time is ahead of real time (0 outside demos and tests)."""

    def now(self) -> datetime:
        """The current platform time (UTC)."""
        ...

    async def refresh(self, *, force: bool = False) -> datetime:
        """The current time, re-reading a moved clock where needed."""
        ...

    async def advance(self, by: timedelta) -> datetime:
        """Move time forward (demo and tests only; the caller checks the setting)."""
        ...


MAX_MESSAGE_BYTES = 1_048_576
"""The largest message the platform produces (the producers' and the brokers' default limit)."""


class MessageTooLarge(ValueError):
    """A message over MAX_MESSAGE_BYTES: it can never be sent, so retrying is pointless (the
    caller sets it aside on the dead-letter topic and goes on)."""


class Publisher(Protocol):
    """Sends JSON messages to topics; delivery is acknowledged by the broker. A message that
    can never be sent raises MessageTooLarge (at once, or from the acknowledgement)."""

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Send one message and wait for the acknowledgement."""
        ...

    async def send(
        self, topic: str, key: str, value: bytes, headers: dict[str, str]
    ) -> Awaitable[Any]:
        """Send one message; the returned awaitable completes on acknowledgement."""
        ...


class PersonalDataVault(Protocol):
    """Reporters' contact data, apart from the event log, erasable (crypto-shredding)."""

    async def put(
        self, data: dict[str, Any], reporter_ref: str | None = None, *, tx: Transaction = None
    ) -> str:
        """Store a reporter's data; returns the reporter ref."""
        ...

    async def get(self, reporter_ref: str, *, read: ContactRead) -> dict[str, Any]:
        """A reporter's data; KeyError if unknown, ContactErased once erased. Every read is
        logged with who read it, why, and for which complaint."""
        ...

    async def erase(self, reporter_ref: str) -> bool:
        """Destroy the reporter's key; True if there was one."""
        ...

    async def reads(
        self, complaint_id: UUID | None = None, *, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The read log, oldest first, after a position: every complaint's or one's."""
        ...


@dataclass(frozen=True)
class ContactRead:
    """Who reads a reporter's contact, why, and for which complaint (the read log's entry)."""

    reader: str
    purpose: str
    complaint_id: UUID | None


class ContactErased(LookupError):
    """The reporter's key was erased: the data can never be read again (the event that records
    it is `events.catalog.PersonalDataErased`)."""


@dataclass
class Ports:
    """What every service's handlers run over: the ports and the pure knowledge they need."""

    store: EventStore
    clock: Clock
    publisher: Publisher
    vault: PersonalDataVault
    registry: Registry
    policy: DeadlinePolicy
    settings: PlatformSettings
