"""Running a decision against the event store: load the stream, fold it, decide, append with the
expected version, and on a conflict decide again against the fresh state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from prometheus_client import Counter

from events.base import Event
from events.envelope import Actor, Envelope, stamp
from events.fold import replay
from events.state import ComplaintState
from services.platform.logs import current_correlation, note
from services.platform.ports import ConcurrencyError, EventStore, InvalidAppend, Transaction

Decide = Callable[[ComplaintState], Sequence[Event]]
"""A decider with its command bound: state -> the events to append (or raises Refused)."""

AlsoInTransaction = Callable[[Transaction], Awaitable[None]]
"""Writes that must commit with the append or not at all (a filing's personal data)."""

CONFLICTS = Counter("lapor_command_conflicts_total", "appends retried after a conflict")


@dataclass(frozen=True)
class Outcome:
    """What a command did: the new state, the envelopes appended, and whether it was a repeat."""

    state: ComplaintState
    appended: list[Envelope]
    duplicate: bool = False


async def load(store: EventStore, complaint_id: UUID) -> ComplaintState:
    """A complaint's current state, folded from its events."""
    return replay(await store.read_stream(complaint_id))


def event_ids(idempotency: UUID, count: int) -> list[UUID]:
    """Stable event ids for a command identified by `idempotency` (a retry gets the same ids)."""
    return [uuid5(idempotency, str(i)) for i in range(count)]


async def execute(
    store: EventStore,
    complaint_id: UUID,
    decide: Decide,
    *,
    actor: Actor,
    now: Callable[[], datetime],
    idempotency: UUID | None = None,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    attempts: int = 8,
    stream: list[Envelope] | None = None,
    also: AlsoInTransaction | None = None,
) -> Outcome:
    """Decide against the current state and append; retry on a concurrent append.

    With `idempotency`, the events get ids derived from it: a command seen before is answered
    with the current state and `duplicate=True` instead of being applied twice. `stream`, when
    the caller has just read it, saves the first read (a stale one only costs a retry).
    `also` runs in the append's transaction, again on every attempt.
    """
    note(complaint_id=str(complaint_id))
    correlation_id = correlation_id or current_correlation()
    for attempt in range(attempts):
        if attempt == 0 and stream is not None:
            envelopes = stream
        else:
            envelopes = await store.read_stream(complaint_id)
        state = replay(envelopes)
        if idempotency is not None and await store.has_event(event_ids(idempotency, 1)[0]):
            return Outcome(state, [], duplicate=True)
        events = list(decide(state))
        if not events:
            return Outcome(state, [])
        ids = event_ids(idempotency, len(events)) if idempotency is not None else None
        stamped = stamp(
            events,
            complaint_id=complaint_id,
            expected_version=state.version,
            actor=actor,
            occurred_at=now(),
            correlation_id=correlation_id or (envelopes[0].correlation_id if envelopes else None),
            causation_id=causation_id,
            event_ids=ids,
        )
        try:
            await _append(store, complaint_id, state.version, stamped, also)
        except ConcurrencyError:
            CONFLICTS.inc()
            continue
        except InvalidAppend:
            if idempotency is not None and await store.has_event(event_ids(idempotency, 1)[0]):
                return Outcome(await load(store, complaint_id), [], duplicate=True)
            raise
        return Outcome(replay(stamped, state), stamped)
    raise ConcurrencyError(complaint_id, -1, None)


async def _append(
    store: EventStore,
    complaint_id: UUID,
    expected: int,
    stamped: list[Envelope],
    also: AlsoInTransaction | None,
) -> None:
    if also is None:
        await store.append(complaint_id, expected, stamped)
        return
    async with store.transaction() as tx:
        await also(tx)
        await store.append(complaint_id, expected, stamped, tx=tx)
