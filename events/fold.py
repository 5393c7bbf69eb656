"""The pure fold: `evolve(state, envelope) -> state`, and `replay` over a whole stream.

The fold records facts; it never validates, raises, logs or does I/O, so that a replay gives
exactly the state the live system had. Only the deciders (`decide_*`) validate.
Kept in one module: one `singledispatch` over every event type, so that a reader sees
at once what each event does to the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from functools import singledispatch
from types import MappingProxyType
from typing import Any

from events import catalog as ev
from events.base import DeadlineKind, Event
from events.envelope import Envelope
from events.state import ComplaintState, Status

Deadlines = Mapping[DeadlineKind, datetime]


def _set(deadlines: Deadlines, **changes: datetime | None) -> Deadlines:
    """A new deadline map with some clocks started (a datetime) or stopped (None)."""
    updated = dict(deadlines)
    for name, due in changes.items():
        kind = DeadlineKind(name)
        if due is None:
            updated.pop(kind, None)
        else:
            updated[kind] = due
    return MappingProxyType(updated)


_NONE: Deadlines = MappingProxyType({})


def evolve(state: ComplaintState, envelope: Envelope) -> ComplaintState:
    """Apply one stored event to a complaint's state; total over every event type."""
    # One `replace` per event: replay speed is rebuild speed.
    return _replace(
        state,
        **_apply(envelope.payload, state),
        complaint_id=envelope.complaint_id,
        version=envelope.version,
        last_event_at=envelope.occurred_at,
        filed_at=state.filed_at or envelope.occurred_at,
    )


_FIELDS = tuple(f.name for f in fields(ComplaintState))
_SET = object.__setattr__


def _replace(state: ComplaintState, **changes: Any) -> ComplaintState:
    """`dataclasses.replace` without re-running `__init__` (twice as fast; the fold runs once
    per event on every replay and rebuild). `changes` name fields only: the handlers below."""
    new = object.__new__(ComplaintState)
    for name in _FIELDS:
        _SET(new, name, getattr(state, name))
    for name, value in changes.items():
        _SET(new, name, value)
    return new


def replay(envelopes: Iterable[Envelope], state: ComplaintState | None = None) -> ComplaintState:
    """Fold a stream (or the rest of one, from `state`) into the complaint's state."""
    current = state or ComplaintState()
    for envelope in envelopes:
        current = evolve(current, envelope)
    return current


Changes = dict[str, Any]
"""The fields an event changes (handlers return changes; `evolve` applies them at once)."""


@singledispatch
def _apply(event: Event, state: ComplaintState) -> Changes:
    # An event type this fold does not interpret still advances the version (in `evolve`).
    return {}


@_apply.register
def _(e: ev.ComplaintFiled, s: ComplaintState) -> Changes:
    return dict(
        status=Status.FILED,
        tracking_id=e.tracking_id,
        kind=e.kind,
        title=e.title,
        category=e.category,
        region_code=e.region_code,
        channel=e.channel,
        anonymous=e.anonymous,
        confidential=e.confidential,
        reporter_ref=e.reporter_ref,
        deadlines=_set(s.deadlines, verification=e.verify_due, resolution=e.resolution_due),
    )


@_apply.register
def _(e: ev.ComplaintVerified, s: ComplaintState) -> Changes:
    return dict(
        status=Status.VERIFIED,
        title=e.title,
        category=e.category,
        region_code=e.region_code or s.region_code,
        anonymous=e.anonymous,
        confidential=e.confidential,
        tags=tuple(e.tags) or s.tags,
    )


@_apply.register
def _(e: ev.ComplaintArchived, s: ComplaintState) -> Changes:
    return dict(status=Status.ARCHIVED, deadlines=_NONE, closed_reason=e.reason_code)


@_apply.register
def _(e: ev.ComplaintDeferred, s: ComplaintState) -> Changes:
    return dict(
        status=Status.DEFERRED,
        clocks_paused=True,
        paused_from=s.status,
        paused_at=e.paused_at,
        resume_on=e.resume_on,
    )


_UNPAUSED: Changes = dict(clocks_paused=False, paused_from=None, paused_at=None, resume_on=None)


def _handed_to(agency_code: str | None) -> Changes:
    """A new holder (None: the national admin), the agency itself and not a unit of it, that
    has yet to acknowledge the complaint."""
    return dict(agency_code=agency_code, unit_code=None, acknowledged=False)


@_apply.register
def _(e: ev.ComplaintResumed, s: ComplaintState) -> Changes:
    if e.deadlines is None:  # older events: a fresh verification clock
        return dict(
            status=Status.FILED,
            **_UNPAUSED,
            deadlines=_set(s.deadlines, verification=e.verify_due),
        )
    return dict(status=Status.FILED, **_UNPAUSED, deadlines=MappingProxyType(dict(e.deadlines)))


@_apply.register
def _(e: ev.InformationRequested, s: ComplaintState) -> Changes:
    return dict(
        status=Status.AWAITING_REPORTER,
        clocks_paused=True,
        paused_from=s.status,
        paused_at=e.paused_at,
    )


@_apply.register
def _(e: ev.InformationSupplied, s: ComplaintState) -> Changes:
    said = s.reporter_messages + 1
    if e.deadlines is None:  # older events: back to verification with a fresh clock
        return dict(
            status=Status.FILED,
            **_UNPAUSED,
            reporter_messages=said,
            deadlines=_set(s.deadlines, verification=e.verify_due),
        )
    return dict(
        status=s.paused_from or Status.FILED,  # back where it was: verification or the agency
        **_UNPAUSED,
        reporter_messages=said,
        deadlines=MappingProxyType(dict(e.deadlines)),
    )


@_apply.register
def _(e: ev.Disposed, s: ComplaintState) -> Changes:
    return dict(
        status=Status.DISPOSED,
        **_handed_to(e.agency_code),
        dispositions=s.dispositions + 1,
        deadlines=_set(s.deadlines, verification=None, follow_up=e.follow_up_due),
    )


@_apply.register
def _(e: ev.DispositionAcknowledged, s: ComplaintState) -> Changes:
    return dict(acknowledged=True)


@_apply.register
def _(e: ev.DispositionRefused, s: ComplaintState) -> Changes:
    refused = s.refused_by if e.agency_code in s.refused_by else (*s.refused_by, e.agency_code)
    return dict(
        status=Status.VERIFIED,
        **_handed_to(None),
        refused_by=refused,
        refusals=s.refusals + 1,
        # Back with the national admin until re-disposed: its own clock runs meanwhile.
        deadlines=_set(s.deadlines, follow_up=None, verification=e.verify_due),
    )


@_apply.register
def _(e: ev.ForwardedToUnit, s: ComplaintState) -> Changes:
    return dict(status=Status.FORWARDED_TO_UNIT, agency_code=e.agency_code, unit_code=e.unit_code)


@_apply.register
def _(e: ev.FollowUpPosted, s: ComplaintState) -> Changes:
    proposal = e.resolution_proposed and e.resolution_code is not None
    return dict(
        # A coded proposal rests as resolved until the reporter confirms, disputes or stays
        # silent (older proposals, without a code, were plain follow-ups).
        status=Status.RESOLVED if proposal else Status.FOLLOWED_UP,
        resolution_code=e.resolution_code if proposal else s.resolution_code,
        agency_messages=s.agency_messages + 1,
        deadlines=_set(s.deadlines, follow_up=None, reporter_reply=e.reply_due),
    )


@_apply.register
def _(e: ev.ReporterReplied, s: ComplaintState) -> Changes:
    said = 1 if e.message else 0
    changes: Changes = dict(
        last_reporter_satisfied=e.satisfied, reporter_messages=s.reporter_messages + said
    )
    if e.reply_due is not None:  # a comment on the follow-up: the silence clock starts again
        changes["deadlines"] = _set(s.deadlines, reporter_reply=e.reply_due)
    return changes


@_apply.register
def _(e: ev.ComplaintReopened, s: ComplaintState) -> Changes:
    return dict(
        status=Status.IN_FOLLOW_UP,
        reopen_count=s.reopen_count + 1,
        deadlines=_set(s.deadlines, reporter_reply=None, follow_up=e.follow_up_due),
    )


@_apply.register
def _(e: ev.Escalated, s: ComplaintState) -> Changes:
    if e.deadline is DeadlineKind.APPEAL_REVIEW:
        # A reviewer that let an appeal lie: the appeal moves up, and stays an appeal.
        return dict(
            agency_code=e.to_agency_code,
            acknowledged=False,
            deadlines=_set(s.deadlines, appeal_review=e.new_due),
        )
    return dict(
        status=Status.ESCALATED,
        escalation_level=s.escalation_level + 1,
        escalated_to_tier=e.to_tier,
        **_handed_to(e.to_agency_code),  # the next tier up has yet to take it
        deadlines=_set(s.deadlines, **{e.deadline.value: e.new_due}),
    )


@_apply.register
def _(e: ev.DeadlineExtended, s: ComplaintState) -> Changes:
    return dict(
        extensions=s.extensions + 1,
        deadlines=_set(s.deadlines, **{e.deadline.value: e.new_due}),
    )


@_apply.register
def _(e: ev.Resolved, s: ComplaintState) -> Changes:
    return dict(
        status=Status.RESOLVED,
        resolution_code=e.resolution_code,
        deadlines=_set(s.deadlines, follow_up=None, reporter_reply=None),
    )


@_apply.register
def _(e: ev.ComplaintTagged, s: ComplaintState) -> Changes:
    return dict(tags=tuple(e.tags))


@_apply.register
def _(e: ev.Rated, s: ComplaintState) -> Changes:
    return dict(rating=e.rating)


@_apply.register
def _(e: ev.ComplaintClosed, s: ComplaintState) -> Changes:
    return dict(
        status=Status.CLOSED, closed_reason=e.reason, deadlines=_NONE, appeal_until=e.appeal_until
    )


@_apply.register
def _(e: ev.Appealed, s: ComplaintState) -> Changes:
    return dict(
        status=Status.APPEALED,
        **_handed_to(e.reviewer_code),  # None: the national admin reviews
        appeals=s.appeals + 1,
        appeal_until=None,  # one appeal per closure
        deadlines=MappingProxyType({DeadlineKind.APPEAL_REVIEW: e.review_due}),
    )


@_apply.register
def _(e: ev.AppealDecided, s: ComplaintState) -> Changes:
    if e.outcome == "upheld":  # closed again, for good
        return dict(status=Status.CLOSED, deadlines=_NONE, appeal_until=None)
    return dict(
        status=Status.DISPOSED,
        **_handed_to(e.agency_code),
        dispositions=s.dispositions + 1,
        reopen_count=s.reopen_count + 1,
        closed_reason=None,
        resolution_code=None,
        last_reporter_satisfied=None,
        deadlines=_set(_NONE, follow_up=e.follow_up_due),
    )


@_apply.register
def _(e: ev.ReferredToOmbudsman, s: ComplaintState) -> Changes:
    return dict(
        status=Status.REFERRED_TO_OMBUDSMAN,
        **_UNPAUSED,  # the Ombudsman's clock runs from now
        **_handed_to(e.ombudsman_code),
        referral_reason=e.reason,
        deadlines=_set(_NONE, ombudsman_findings=e.findings_due),
    )


@_apply.register
def _(e: ev.OmbudsmanFindingsIssued, s: ComplaintState) -> Changes:
    if e.stage == "interim":
        return dict(agency_messages=s.agency_messages + 1)
    return dict(
        status=Status.CLOSED,
        closed_reason=f"ombudsman_{e.outcome or 'other'}",
        agency_messages=s.agency_messages + 1,
        deadlines=_NONE,
        appeal_until=None,  # the Ombudsman's findings are not appealed here
    )


@_apply.register
def _(e: ev.ComplaintImported, s: ComplaintState) -> Changes:
    return dict(
        source_system=e.source_system,
        external_id=e.external_id,
        import_digest=e.content_digest,
        imported_steps=s.imported_steps | {e.step_id},
        last_imported_at=e.original_at,
    )


@_apply.register
def _(e: ev.StepImported, s: ComplaintState) -> Changes:
    return dict(imported_steps=s.imported_steps | {e.step_id}, last_imported_at=e.original_at)


@_apply.register
def _(e: ev.PersonalDataErased, s: ComplaintState) -> Changes:
    return dict(reporter_ref=None, personal_data_erased=True)


def handled_event_types() -> frozenset[type[Event]]:
    """The payload classes the fold interprets (checked against the catalogue by a test)."""
    return frozenset(cls for cls in _apply.registry if cls is not Event and cls is not object)


def apply_payload(state: ComplaintState, event: Event) -> ComplaintState:
    """The state after one more event not yet stored (no envelope: version and times stay):
    for deciders that decide several steps in a row."""
    return _replace(state, **_apply(event, state))
