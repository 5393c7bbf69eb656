"""Given events / when command / then events: the shared helpers of the decider tests.

`given(*payloads)` folds payloads into the complaint's state as if they were its stored stream;
`stream(*payloads)` returns those envelopes. Everything here is pure: no database, no broker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from events import Actor, ComplaintState, Envelope, Event, replay, stamp
from events.catalog import ComplaintFiled, ComplaintVerified, Disposed
from followup.deadlines import decide_deadlines
from followup.domain import decide_agency_reply
from intake.domain import decide_reporter_reply
from services.kernel.appeals import AppealOutcome, decide_appeal_review
from services.kernel.refusals import Refused
from services.kernel.registry import load_registry
from services.kernel.workdays import DeadlinePolicy, WorkingCalendar
from services.platform.http import STATUS_OF_REFUSAL

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""Monday 23 November 2026, 09:00 in Jakarta: when the given streams begin."""
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
"""When the command under test runs (after every event of a short given stream)."""
COMPLAINT_ID = UUID("6f1c3b9e-2a47-4d7b-9a0e-5c2d8e1f4a31")
ACTOR = Actor(role="system", id="given")

CALENDAR = WorkingCalendar("Asia/Jakarta")
POLICY = DeadlinePolicy(CALENDAR)
REGISTRY = load_registry()


def stream(
    *payloads: Event,
    start: datetime = START,
    times: Sequence[datetime] | None = None,
    complaint_id: UUID = COMPLAINT_ID,
) -> list[Envelope]:
    """One envelope per payload, versions 1.., one minute apart (or at the given `times`)."""
    if times is not None and len(times) != len(payloads):
        raise ValueError("give one time per payload")
    envelopes: list[Envelope] = []
    for offset, payload in enumerate(payloads):
        occurred_at = times[offset] if times is not None else start + timedelta(minutes=offset)
        envelopes += stamp(
            [payload],
            complaint_id=complaint_id,
            expected_version=offset,
            actor=ACTOR,
            occurred_at=occurred_at,
        )
    return envelopes


def given(*payloads: Event, start: datetime = START) -> ComplaintState:
    """The state of a complaint whose stream is exactly these payloads."""
    return replay(stream(*payloads, start=start))


def filed(**changes: Any) -> ComplaintFiled:
    """A valid ComplaintFiled: a road complaint in Kota Bandung (32.73), from the web."""
    fields: dict[str, Any] = dict(
        tracking_id="lpr-abcd-efgh-jkmn",
        kind="complaint",
        title="Jalan berlubang di Jl. Asia Afrika",
        description="Lubang besar di depan gedung merdeka, sudah dua minggu.",
        category="jalan",
        region_code="32.73",
        channel="web",
        anonymous=False,
        confidential=False,
        reporter_ref="rep_reporter01",
        verify_due=POLICY.verify_due(START),
        resolution_due=POLICY.resolution_due(START),
    )
    return ComplaintFiled(**{**fields, **changes})


def verified(**changes: Any) -> ComplaintVerified:
    """The national admin's verification of `filed()` as it is."""
    fields: dict[str, Any] = dict(
        title="Jalan berlubang di Jl. Asia Afrika",
        category="jalan",
        region_code="32.73",
        anonymous=False,
        confidential=False,
    )
    return ComplaintVerified(**{**fields, **changes})


def disposed(agency_code: str = "kota-bandung", **changes: Any) -> Disposed:
    """A disposition, with the follow-up clock started at START."""
    fields: dict[str, Any] = dict(
        agency_code=agency_code, rule_id=None, follow_up_due=POLICY.follow_up_due(START)
    )
    return Disposed(**{**fields, **changes})


def agency_reply(
    state: ComplaintState, agency: str, action: Any, *, now: datetime = NOW, **fields: Any
) -> list[Event]:
    """When: an agency answers (the shipped registry and deadline rules)."""
    return decide_agency_reply(
        state, agency=agency, action=action, registry=REGISTRY, now=now, policy=POLICY, **fields
    )


def reporter_reply(
    state: ComplaintState,
    action: Any,
    message: str | None = None,
    *,
    now: datetime = NOW,
    **fields: Any,
) -> list[Event]:
    """When: the reporter answers (the shipped registry and deadline rules)."""
    return decide_reporter_reply(
        state, action=action, message=message, now=now, policy=POLICY, registry=REGISTRY, **fields
    )


def deadlines(state: ComplaintState, now: datetime) -> list[Event]:
    """When: the deadline scan looks at the complaint at `now`."""
    return decide_deadlines(state, now=now, registry=REGISTRY, policy=POLICY)


def appeal_review(
    state: ComplaintState,
    reviewer: str | None,
    outcome: AppealOutcome,
    *,
    reason: str,
    assign_to: str | None,
    now: datetime = NOW,
) -> list[Event]:
    """When: a reviewer (None: the national admin) decides an appeal."""
    return list(
        decide_appeal_review(
            state,
            reviewer=reviewer,
            outcome=outcome,
            reason=reason,
            assign_to=assign_to,
            registry=REGISTRY,
            now=now,
            policy=POLICY,
        )
    )


@contextmanager
def refused(code: str, *, status: int = 409, field: str | None = None) -> Iterator[None]:
    """Then: the command is refused with this code, HTTP status and field (and no events)."""
    with pytest.raises(Refused) as caught:
        yield
    assert caught.value.code == code, caught.value.message
    assert STATUS_OF_REFUSAL[caught.value.kind] == status
    assert caught.value.field == field
