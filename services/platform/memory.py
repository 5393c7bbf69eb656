"""In-memory fakes of the ports, for unit tests: an event store with the same refusals as the
PostgreSQL one (checked by the same contract tests), a clock that moves only when told, a
publisher that records what it sent, and a vault that can erase. No I/O."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from events.envelope import Envelope
from events.hashing import GENESIS, chain_hash
from services.kernel.registry import load_registry
from services.platform.policy import deadline_policy
from services.platform.ports import (
    MAX_MESSAGE_BYTES,
    AuditedEvent,
    ConcurrencyError,
    ContactErased,
    ContactRead,
    InvalidAppend,
    MessageTooLarge,
    Ports,
    StoredEvent,
    Transaction,
    check_append,
)
from services.platform.settings import PlatformSettings


@dataclass
class MemoryTransaction:
    """A unit of work: the writes it collected happen together when it commits, or never."""

    on_commit: list[Callable[[], None]] = field(default_factory=list)


class InMemoryEventStore:
    """Complaint streams in a dict, with the PostgreSQL store's rules: expected versions, unique
    event ids, unique tracking ids, and appends joined to a transaction."""

    def __init__(self) -> None:
        self._streams: dict[UUID, list[Envelope]] = {}
        self._log: list[StoredEvent] = []
        self._event_ids: set[UUID] = set()
        self._tracking: dict[str, UUID] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Collect writes; apply them all when the block ends without an exception."""
        tx = MemoryTransaction()
        yield tx
        for commit in tx.on_commit:
            commit()

    async def append(
        self,
        complaint_id: UUID,
        expected_version: int,
        events: Sequence[Envelope],
        *,
        tx: Transaction | None = None,
    ) -> list[int]:
        """Append after `expected_version`, as the PostgreSQL store does."""
        check_append(complaint_id, expected_version, events)
        async with self._lock:
            self._check_fits(complaint_id, expected_version, events)
            if isinstance(tx, MemoryTransaction):

                def commit() -> None:
                    self._store(complaint_id, expected_version, events)

                tx.on_commit.append(commit)
                return []  # positions are given at commit
            return self._store(complaint_id, expected_version, events)

    def _check_fits(self, complaint_id: UUID, expected: int, events: Sequence[Envelope]) -> None:
        current = len(self._streams.get(complaint_id, []))
        if current != expected:
            raise ConcurrencyError(complaint_id, expected, current)
        if any(e.event_id in self._event_ids for e in events):
            raise InvalidAppend("an event id of this batch is already stored")
        for event in events:
            tracking = getattr(event.payload, "tracking_id", None)
            if tracking is not None and tracking in self._tracking:
                raise InvalidAppend("this tracking id is already in use")

    def _store(self, complaint_id: UUID, expected: int, events: Sequence[Envelope]) -> list[int]:
        self._check_fits(complaint_id, expected, events)  # again: a commit comes later
        positions = []
        for event in events:
            self._streams.setdefault(complaint_id, []).append(event)
            self._event_ids.add(event.event_id)
            tracking = getattr(event.payload, "tracking_id", None)
            if tracking is not None:
                self._tracking[tracking] = complaint_id
            self._log.append(StoredEvent(len(self._log) + 1, event))
            positions.append(len(self._log))
        return positions

    async def read_stream(self, complaint_id: UUID, from_version: int = 1) -> list[Envelope]:
        """One complaint's events in version order."""
        return [e for e in self._streams.get(complaint_id, []) if e.version >= from_version]

    async def read_many(self, complaint_ids: Sequence[UUID]) -> dict[UUID, list[Envelope]]:
        """Several complaints' whole streams."""
        return {c: list(self._streams[c]) for c in complaint_ids if c in self._streams}

    async def audited_stream(self, complaint_id: UUID) -> list[AuditedEvent]:
        """One complaint's events with their position, time (recorded = occurred here) and the
        chain hash the PostgreSQL store would keep."""
        positions = {s.envelope.event_id: s.global_position for s in self._log}
        found, previous = [], GENESIS
        for event in self._streams.get(complaint_id, []):
            previous = chain_hash(previous, event.to_record())
            found.append(
                AuditedEvent(positions[event.event_id], event.occurred_at, previous.hex(), event)
            )
        return found

    async def has_event(self, event_id: UUID) -> bool:
        """Whether an event with this id is stored."""
        return event_id in self._event_ids

    async def find_by_tracking_id(self, tracking_id: str) -> UUID | None:
        """The complaint a tracking id belongs to."""
        return self._tracking.get(tracking_id)

    async def tracking_ids(self, complaint_ids: Sequence[UUID]) -> dict[UUID, str]:
        """The tracking ids of some complaints, as filed."""
        wanted = set(complaint_ids)
        return {cid: tracking for tracking, cid in self._tracking.items() if cid in wanted}

    async def stream_version(self, complaint_id: UUID) -> int:
        """The version a stream is at (0 if it has no events)."""
        return len(self._streams.get(complaint_id, []))

    async def last_position(self) -> int:
        """The global position of the latest event."""
        return len(self._log)

    async def read_all(
        self, from_position: int = 0, limit: int = 1000, settled_s: float = 0.0
    ) -> list[StoredEvent]:
        """Events after `from_position`, in global order (all settled: appends are atomic)."""
        return self._log[from_position : from_position + limit]


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The current (fake) time."""
        return self.current

    async def refresh(self, *, force: bool = False) -> datetime:
        """The current (fake) time."""
        return self.current

    async def advance(self, by: timedelta) -> datetime:
        """Move forward (never back, as the real clock)."""
        if by < timedelta(0):
            raise ValueError("the clock only moves forward: events must stay in time order")
        self.current += by
        self.offset += by
        return self.current


@dataclass(frozen=True)
class Sent:
    """One message a RecordingPublisher sent."""

    topic: str
    key: str
    value: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        """The value, decoded."""
        return json.loads(self.value)


class RecordingPublisher:
    """Records every message instead of sending it; every send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Record one message (refused, like the broker would, over MAX_MESSAGE_BYTES)."""
        if len(value) + len(key) > MAX_MESSAGE_BYTES:
            raise MessageTooLarge(f"{len(value)} bytes, over {MAX_MESSAGE_BYTES}")
        self.sent.append(Sent(topic, key, value, dict(headers)))

    async def send(
        self, topic: str, key: str, value: bytes, headers: dict[str, str]
    ) -> Awaitable[Any]:
        """Record one message; the acknowledgement is already there."""
        await self.publish(topic, key, value, headers)
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged

    def on(self, topic: str) -> list[Sent]:
        """What was sent to one topic."""
        return [s for s in self.sent if s.topic == topic]


class InMemoryVault:
    """Reporters' data in a dict (unencrypted: it never leaves the test)."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._erased: set[str] = set()
        self._counter = 0
        self._reads: list[dict[str, Any]] = []

    async def put(
        self, data: dict[str, Any], reporter_ref: str | None = None, *, tx: Transaction = None
    ) -> str:
        """Store a reporter's data (when the transaction commits, if given one)."""
        self._counter += 1
        ref = reporter_ref or f"rep_memory{self._counter:08d}"

        def write() -> None:
            self._data[ref] = dict(data)

        if isinstance(tx, MemoryTransaction):
            tx.on_commit.append(write)
        else:
            write()
        return ref

    async def get(self, reporter_ref: str, *, read: ContactRead) -> dict[str, Any]:
        """A reporter's data (the read logged); KeyError if unknown, ContactErased once erased."""
        self._reads.append(
            {
                "position": len(self._reads) + 1,
                "read_at": None,
                "reader": read.reader,
                "purpose": read.purpose,
                "complaint_id": read.complaint_id,
                "reporter_ref": reporter_ref,
            }
        )
        if reporter_ref in self._erased:
            raise ContactErased(reporter_ref)
        return dict(self._data[reporter_ref])

    def peek(self, reporter_ref: str) -> dict[str, Any]:
        """What is stored, without a read-log entry (tests only: checking what was kept)."""
        return dict(self._data[reporter_ref])

    async def reads(
        self, complaint_id: UUID | None = None, *, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The read log, oldest first."""
        found = [
            r
            for r in self._reads
            if r["position"] > after and complaint_id in (None, r["complaint_id"])
        ]
        return found[:limit]

    async def erase(self, reporter_ref: str) -> bool:
        """Forget the reporter's data for good."""
        existed = self._data.pop(reporter_ref, None) is not None
        self._erased.add(reporter_ref)
        return existed


def memory_ports(
    settings: PlatformSettings | None = None, clock: ManualClock | None = None
) -> Ports:
    """Every port as an in-memory fake, with the shipped registry and the regulated clocks."""
    settings = settings or PlatformSettings(_env_file=None, environment="test")
    return Ports(
        store=InMemoryEventStore(),
        clock=clock or ManualClock(),
        publisher=RecordingPublisher(),
        vault=InMemoryVault(),
        registry=load_registry(),
        policy=deadline_policy(settings),
        settings=settings,
    )


class NoPublishing:
    """The Publisher port of a command that only appends (the relay publishes its events)."""

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Never called by the commands that use it."""
        raise RuntimeError("this command publishes nothing directly")

    async def send(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> object:
        """Never called by the commands that use it."""
        raise RuntimeError("this command publishes nothing directly")
