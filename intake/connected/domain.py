"""Importing a connected system's complaints, pure: each step of a history, in the system's own
words, becomes a provenance event and the national lifecycle event its mapping names; a step
already applied is skipped, a step that cannot be applied is named with the reason.
Kept in one module: import and status-update decisions share
the step mapping and the refusals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from events.base import DeadlineKind, Event, ImportStep
from events.catalog import (
    IMPORTED_RULE,
    ComplaintClosed,
    ComplaintFiled,
    ComplaintImported,
    ComplaintVerified,
    Disposed,
    DispositionAcknowledged,
    DispositionRefused,
    FollowUpPosted,
    StepImported,
)
from events.envelope import Envelope
from events.fold import apply_payload
from events.messages import ImportItem, ImportRejection, ImportStepIn, StatusUpdate
from events.state import AT_AGENCY, ComplaintState, Status
from services.kernel.registry import Registry
from services.kernel.resolutions import resolution_codes
from services.kernel.tracking import tracking_id_for
from services.kernel.workdays import DeadlinePolicy

_IMPORTS = UUID("3f0b9a52-8d0e-4c1e-9a64-7f4b1c2d9e21")


@dataclass(frozen=True)
class ConnectedSystem:
    """A regional (or ministry) complaint system registered with the backbone."""

    code: str
    name: str
    agencies: tuple[str, ...]
    status_map: Mapping[str, ImportStep]
    active: bool = True
    reconciliation_url: str | None = None  # the system's documented endpoint (see README)


def complaint_id_of(system: str, external_id: str) -> UUID:
    """The national id of a system's complaint: the same external id always lands on it."""
    return uuid5(_IMPORTS, f"{system}\x00{external_id}")


def content_digest(item: ImportItem) -> str:
    """What makes an external id's complaint itself: re-sending it with other content is
    refused rather than silently changing the record."""
    content = item.model_dump(mode="json", exclude={"steps"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass
class ImportDecision:
    """The events to append for one item, which steps they apply, which were there already,
    and the first step refused (the steps after it wait for a corrected re-send)."""

    events: list[Event] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: ImportRejection | None = None


class _Reject(Exception):
    def __init__(self, error: str, problem: str, field: str | None = None) -> None:
        super().__init__(problem)
        self.error, self.problem, self.field = error, problem, field

    def naming(self, external_id: str, step: ImportStepIn) -> ImportRejection:
        """The refusal as the system is told it: which complaint, which step, why."""
        return ImportRejection(
            external_id=external_id,
            step_id=step.step_id,
            error=self.error,
            field=self.field,
            problem=self.problem,
        )


@dataclass(frozen=True)
class _Against:
    """What a system's steps are decided against, besides the national record: the system
    itself, the time, the deadline rules and the agency registry."""

    system: ConnectedSystem
    now: datetime
    policy: DeadlinePolicy
    registry: Registry


def decide_import(
    state: ComplaintState,
    item: ImportItem,
    system: ConnectedSystem,
    *,
    now: datetime,
    policy: DeadlinePolicy,
    registry: Registry,
) -> ImportDecision:
    """Decide every step of `item` not applied yet, in order, against the national record."""
    decision = ImportDecision()
    digest = content_digest(item)
    against = _Against(system, now, policy, registry)
    for index, step in enumerate(item.steps):
        try:
            if state.import_digest is not None and state.import_digest != digest:
                raise _Reject(
                    "conflicting_content",
                    f"{item.external_id} was imported with other content",
                    "external_id",
                )
            if step.step_id in state.imported_steps:
                decision.duplicates.append(step.step_id)
                continue
            events = _step(state, item, against, step, index, digest)
        except _Reject as refused:
            decision.rejected = refused.naming(item.external_id, step)
            return decision
        for event in events:
            state = apply_payload(state, event)
        decision.events += events
        decision.applied.append(step.step_id)
    return decision


def decide_update(
    state: ComplaintState,
    update: StatusUpdate,
    system: ConnectedSystem,
    *,
    now: datetime,
    policy: DeadlinePolicy,
    registry: Registry,
) -> ImportDecision:
    """A status change from the system on a complaint it holds nationally (filed through the
    backbone and disposed to one of its agencies, or imported from it)."""
    decision = ImportDecision()
    step = update.step
    reference = str(update.complaint_id)
    try:
        if state.status is Status.NEW or (
            state.source_system is None and not _held_by(state, system, registry)
        ):
            raise _Reject("not_found", "no such complaint held by this system", "complaint_id")
        if step.step_id in state.imported_steps:
            decision.duplicates.append(step.step_id)
            return decision
        against = _Against(system, now, policy, registry)
        events = _later(state, against, step, _meaning(system, step, "step"), "step")
    except _Reject as refused:
        decision.rejected = refused.naming(reference, step)
        return decision
    decision.events, decision.applied = events, [step.step_id]
    return decision


def _held_by(state: ComplaintState, system: ConnectedSystem, registry: Registry) -> bool:
    return _holder(state, registry) in system.agencies


def _holder(state: ComplaintState, registry: Registry) -> str | None:
    """The agency whose queue the complaint is in (a work unit's agency for a unit)."""
    return registry.queue_owner(state.agency_code) if state.agency_code else None


def _step(
    state: ComplaintState,
    item: ImportItem,
    against: _Against,
    step: ImportStepIn,
    index: int,
    digest: str,
) -> list[Event]:
    where = f"steps.{index}"
    meaning = _meaning(against.system, step, where)
    if state.status is Status.NEW:
        if meaning != "filed":
            raise _Reject("out_of_order", "a history begins with its filing", f"{where}.status")
        return _filed(item, against, step, digest)
    return _later(state, against, step, meaning, where)


def _meaning(system: ConnectedSystem, step: ImportStepIn, where: str) -> ImportStep:
    meaning = system.status_map.get(step.status)
    if meaning is None:
        raise _Reject(
            "unmapped_status",
            f"{step.status!r} is not in {system.code}'s status mapping",
            f"{where}.status",
        )
    return meaning


def _later(
    state: ComplaintState, against: _Against, step: ImportStepIn, meaning: ImportStep, where: str
) -> list[Event]:
    """A step after the filing: in order, on this system's complaint, as the record allows."""
    system = against.system
    if state.last_imported_at is not None and step.at < state.last_imported_at:
        raise _Reject(
            "out_of_order", "this step happened before one already imported", f"{where}.at"
        )
    if state.source_system not in (None, system.code):
        raise _Reject("contradicts_national_record", "another system's complaint")
    provenance = StepImported(
        source_system=system.code,
        step_id=step.step_id,
        step=meaning,
        local_status=step.status,
        original_at=step.at,
    )
    return [provenance, *_national(state, against, step, meaning, where)]


def _filed(item: ImportItem, against: _Against, step: ImportStepIn, digest: str) -> list[Event]:
    system, now, policy = against.system, against.now, against.policy
    if item.agency_code not in system.agencies or not against.registry.disposable(item.agency_code):
        raise _Reject(
            "agency_not_yours",
            f"{system.code} does not speak for {item.agency_code}",
            "agency_code",
        )
    complaint_id = complaint_id_of(system.code, item.external_id)
    # The national clocks start when the national side can see the complaint (now), not at
    # the local filing: nobody could monitor it before.
    return [
        ComplaintImported(
            source_system=system.code,
            external_id=item.external_id,
            step_id=step.step_id,
            local_status=step.status,
            original_at=step.at,
            content_digest=digest,
        ),
        ComplaintFiled(
            tracking_id=tracking_id_for(complaint_id),
            kind=item.kind,
            title=item.title,
            description=item.description,
            category=item.category,
            region_code=item.region_code,
            channel=f"system-{system.code}"[:64],
            anonymous=False,
            confidential=item.confidential,
            verify_due=policy.verify_due(now),
            resolution_due=policy.resolution_due(now),
        ),
        ComplaintVerified(
            title=item.title,
            category=item.category or "lainnya",
            region_code=item.region_code,
            anonymous=False,
            confidential=item.confidential,
        ),
        Disposed(
            agency_code=item.agency_code,
            rule_id=IMPORTED_RULE,
            follow_up_due=policy.follow_up_due(now),
        ),
    ]


def _national(
    state: ComplaintState, against: _Against, step: ImportStepIn, meaning: ImportStep, where: str
) -> list[Event]:
    """The lifecycle event a later step means, if the national record allows it."""
    system, now, policy = against.system, against.now, against.policy
    holder = _holder(state, against.registry)
    if meaning == "filed":
        raise _Reject("out_of_order", "already filed", f"{where}.status")
    if meaning == "closed":
        if not state.is_open or state.status in (Status.APPEALED, Status.REFERRED_TO_OMBUDSMAN):
            raise _Reject("contradicts_national_record", _is(state), f"{where}.status")
        # The reporter confirmed (or not) in the system: no appeal window on the national side.
        return [ComplaintClosed(reason="resolved")]
    if holder not in system.agencies:
        raise _Reject(
            "contradicts_national_record",
            f"{system.code} does not hold it nationally ({_is(state)})",
            f"{where}.status",
        )
    at_agency = state.status in AT_AGENCY
    agency = state.agency_code or holder
    if meaning == "in_progress":
        if not at_agency:
            raise _Reject("contradicts_national_record", _is(state), f"{where}.status")
        return [] if state.acknowledged else [DispositionAcknowledged(agency_code=agency)]
    if meaning == "rejected":
        if not at_agency:
            raise _Reject("contradicts_national_record", _is(state), f"{where}.status")
        # Another agency's: the national side re-disposes it.
        return [
            DispositionRefused(
                agency_code=agency,
                reason=(step.message or step.status)[:300],
                verify_due=policy.verify_due(now),
            )
        ]
    if not (at_agency or state.status is Status.FOLLOWED_UP):
        raise _Reject("contradicts_national_record", _is(state), f"{where}.status")
    assert agency is not None  # held by one of the system's agencies (checked above)
    return [
        _follow_up(
            step, agency, resolved=meaning == "resolved", where=where, due=policy.reply_due(now)
        )
    ]


def _follow_up(
    step: ImportStepIn, agency: str, *, resolved: bool, where: str, due: datetime
) -> FollowUpPosted:
    """A follow-up (or a proposed resolution) the system's agency posted."""
    if not step.message:
        raise _Reject("message_required", "a follow-up needs its text", f"{where}.message")
    if resolved and (step.resolution_code or "fixed") not in resolution_codes():
        raise _Reject(
            "unknown_resolution_code",
            f"one of {', '.join(resolution_codes())}",
            f"{where}.resolution_code",
        )
    return FollowUpPosted(
        agency_code=agency,
        message=step.message,
        resolution_proposed=resolved,
        resolution_code=(step.resolution_code or "fixed") if resolved else None,
        reply_due=due,
    )


def _is(state: ComplaintState) -> str:
    due = state.deadlines.get(DeadlineKind.FOLLOW_UP)
    clock = f", follow-up due {due.isoformat()}" if due else ""
    return f"nationally it is {state.status.value}{clock}"


_HOLDERS = ("agency_code", "to_agency_code", "unit_code", "reviewer_code")


def hands_to_system(payload: Event, system: ConnectedSystem, registry: Registry) -> bool:
    """Whether an event puts the complaint with one of the system's agencies (or their work
    units): disposed, forwarded, escalated or sent for review there."""
    for name in _HOLDERS:
        code = getattr(payload, name, None)
        if code and registry.queue_owner(code) in system.agencies:
            return True
    return False


def concerns(stream: list[Envelope], system: ConnectedSystem, registry: Registry) -> bool:
    """Whether a complaint concerns the system: imported from it, or held by one of its
    agencies (or their work units) at any time."""
    return any(
        getattr(e.payload, "source_system", None) == system.code
        or hands_to_system(e.payload, system, registry)
        for e in stream
    )


def shown_to_system(envelope: Envelope) -> dict[str, Any]:
    """An event as a connected system gets it on replay: the stored record without the
    pointer into the personal-data store."""
    record = envelope.to_record()
    if "reporter_ref" in record["payload"]:
        record["payload"] = {**record["payload"], "reporter_ref": None}
    return record
