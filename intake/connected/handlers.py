"""Connected systems' use cases over the ports: the national admin registers, rotates and
suspends them; a system imports its complaints with their histories, replays what concerns
it, and reads back what was refused. One function per command, listed in CONNECTED_HANDLERS
(with the reconciliation's, from `intake.connected.reconciling`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from events.base import Event
from events.envelope import Actor
from events.messages import (
    ImportBatch,
    ImportItem,
    ImportRejection,
    StatusUpdate,
    StatusUpdates,
)
from events.state import ComplaintState
from intake.connected.domain import (
    ConnectedSystem,
    ImportDecision,
    complaint_id_of,
    concerns,
    decide_import,
    decide_update,
    shown_to_system,
)
from intake.connected.ports import ConnectedDeps, unknown_system
from intake.connected.reconciling import RECONCILING_HANDLERS
from intake.connected.store import STEP_MEANINGS, SystemExists
from services.kernel.refusals import Refused, invalid
from services.platform.commands import execute
from services.platform.dispatch import Handler, dispatcher
from services.platform.logs import get_logger
from services.platform.ports import SETTLE_S

log = get_logger("intake.connected.handlers")
IMPORT_CONCURRENCY = 8
"""Items of one batch imported at once (independent streams; the pool bounds the rest)."""


@dataclass(frozen=True)
class RegisterSystem:
    """Register a connected system (national admin)."""

    code: str
    name: str
    agencies: tuple[str, ...]
    status_map: dict[str, str]
    reconciliation_url: str | None = None


@dataclass(frozen=True)
class RotateSystemKey:
    """A new key for a system; the old one stops working."""

    code: str


@dataclass(frozen=True)
class SetSystemActive:
    """Suspend (False) or resume (True) a system."""

    code: str
    active: bool


@dataclass(frozen=True)
class ShowSystems:
    """Every connected system (or one)."""

    code: str | None = None


@dataclass(frozen=True)
class ImportComplaints:
    """A system's batch of complaints with their histories."""

    system: ConnectedSystem
    batch: ImportBatch


@dataclass(frozen=True)
class ApplyStatusUpdates:
    """A system's status changes on complaints it holds nationally."""

    system: ConnectedSystem
    updates: StatusUpdates


@dataclass(frozen=True)
class ReplayForSystem:
    """Everything concerning a system's agencies after a position, from the event store."""

    system: ConnectedSystem
    after: int = 0
    limit: int = 500


@dataclass(frozen=True)
class ListRejections:
    """What was refused from a system, after a position."""

    code: str
    after: int = 0
    limit: int = 100


def check_registration(cmd: RegisterSystem, deps: ConnectedDeps) -> ConnectedSystem:
    """A registration names agencies the registry knows and maps every status word to a
    national step, one of them the filing."""
    registry = deps.ports.registry
    unknown = [a for a in cmd.agencies if not registry.disposable(a)]
    if unknown or not cmd.agencies:
        raise invalid(
            "unknown_agency",
            f"name agencies (not work units) from the registry: {', '.join(unknown) or 'none'}",
            "agencies",
        )
    wrong = sorted(w for w, m in cmd.status_map.items() if m not in STEP_MEANINGS)
    if wrong:
        raise invalid(
            "unknown_step",
            f"map {', '.join(wrong)} to one of {', '.join(STEP_MEANINGS)}",
            "status_map",
        )
    if "filed" not in cmd.status_map.values():
        raise invalid("no_filing_status", "one status word must mean filed", "status_map")
    return ConnectedSystem(
        cmd.code,
        cmd.name,
        cmd.agencies,
        dict(cmd.status_map),  # type: ignore[arg-type]
        reconciliation_url=cmd.reconciliation_url,
    )


async def register_system(cmd: RegisterSystem, deps: ConnectedDeps) -> dict[str, Any]:
    """Register; the answer carries the system's key, shown this once."""
    system = check_registration(cmd, deps)
    now = await deps.ports.clock.refresh()
    try:
        key = await deps.systems.register(system, now)
    except SystemExists as exc:
        raise Refused("system_exists", f"{cmd.code} is registered already", field="code") from exc
    record = await deps.systems.get(cmd.code)
    assert record is not None
    return record.public() | {"key": key}


async def rotate_system_key(cmd: RotateSystemKey, deps: ConnectedDeps) -> dict[str, Any]:
    """A new key, shown once; the old one is refused from now on."""
    key = await deps.systems.rotate_key(cmd.code, await deps.ports.clock.refresh())
    if key is None:
        raise unknown_system(cmd.code)
    return {"code": cmd.code, "key": key}


async def set_system_active(cmd: SetSystemActive, deps: ConnectedDeps) -> dict[str, Any]:
    """Suspend or resume a system (a suspended system's calls get 403)."""
    if not await deps.systems.set_active(cmd.code, cmd.active):
        raise unknown_system(cmd.code)
    record = await deps.systems.get(cmd.code)
    assert record is not None
    return record.public()


async def show_systems(cmd: ShowSystems, deps: ConnectedDeps) -> list[dict[str, Any]]:
    """Every system (or one), without keys."""
    records = await deps.systems.all()
    found = [r.public() for r in records if cmd.code in (None, r.system.code)]
    if cmd.code is not None and not found:
        raise unknown_system(cmd.code)
    return found


async def import_complaints(cmd: ImportComplaints, deps: ConnectedDeps) -> dict[str, Any]:
    """Import every item of the batch on its own (one refused step never stops the others);
    refused steps are kept for the system to query."""
    ports = deps.ports
    now = await ports.clock.refresh()
    gate = asyncio.Semaphore(IMPORT_CONCURRENCY)

    async def one(item: ImportItem) -> ImportDecision:
        async with gate:
            return await _import_item(cmd.system, item, deps)

    decisions = await asyncio.gather(*(one(item) for item in cmd.batch.items))
    return await _answer(cmd.system, list(decisions), deps, now)


async def _answer(
    system: ConnectedSystem, decisions: list[ImportDecision], deps: ConnectedDeps, now: Any
) -> dict[str, Any]:
    """Keep what was refused, note the contact, and say what happened to each step."""
    rejected = [d.rejected for d in decisions if d.rejected is not None]
    await deps.systems.reject(system.code, rejected, now)
    await deps.systems.touch(system.code, now)
    applied = sum(len(d.applied) for d in decisions)
    duplicates = sum(len(d.duplicates) for d in decisions)
    log.info(
        "import.batch",
        system=system.code,
        items=len(decisions),
        applied=applied,
        duplicates=duplicates,
        rejected=len(rejected),
    )
    return {
        "items": len(decisions),
        "steps_applied": applied,
        "steps_already_there": duplicates,
        "rejected": [r.model_dump() for r in rejected],
    }


async def _import_item(
    system: ConnectedSystem, item: ImportItem, deps: ConnectedDeps
) -> ImportDecision:
    ports = deps.ports

    def decide(state: ComplaintState) -> ImportDecision:
        return decide_import(
            state, item, system, now=ports.clock.now(), policy=ports.policy, registry=ports.registry
        )

    try:
        return await _append_decision(
            system, complaint_id_of(system.code, item.external_id), decide, deps
        )
    except Refused as refused:  # the store refused the append (e.g. an invalid event)
        return ImportDecision(
            rejected=ImportRejection(
                external_id=item.external_id, error=refused.code, problem=refused.message
            )
        )


async def _append_decision(
    system: ConnectedSystem,
    complaint_id: UUID,
    decide: Callable[[ComplaintState], ImportDecision],
    deps: ConnectedDeps,
) -> ImportDecision:
    """Append, as the system, the events `decide` decides for one complaint (decided again
    on a concurrent append: the last attempt's decision is the one appended)."""
    ports = deps.ports
    decided: list[ImportDecision] = []

    def events_of(state: ComplaintState) -> list[Event]:
        decided.append(decide(state))
        return decided[-1].events

    await execute(
        ports.store,
        complaint_id,
        events_of,
        actor=Actor(role="connected_system", id=system.code),
        now=ports.clock.now,
    )
    return decided[-1]


async def apply_status_updates(cmd: ApplyStatusUpdates, deps: ConnectedDeps) -> dict[str, Any]:
    """Apply each status change on its own, in order; refused ones are named and kept."""
    now = await deps.ports.clock.refresh()
    decisions = [await _apply_update(cmd.system, u, deps) for u in cmd.updates.updates]
    return await _answer(cmd.system, decisions, deps, now)


async def _apply_update(
    system: ConnectedSystem, update: StatusUpdate, deps: ConnectedDeps
) -> ImportDecision:
    ports = deps.ports

    def decide(state: ComplaintState) -> ImportDecision:
        return decide_update(
            state,
            update,
            system,
            now=ports.clock.now(),
            policy=ports.policy,
            registry=ports.registry,
        )

    return await _append_decision(system, update.complaint_id, decide, deps)


REPLAY_SCAN = 20_000
"""Events of the whole log one replay page looks at, at most (its cursor moves past them)."""


async def replay_for_system(cmd: ReplayForSystem, deps: ConnectedDeps) -> dict[str, Any]:
    """The events of every complaint that concerns the system (imported from it, or held by
    one of its agencies at any time), in global order, from the event store (not Kafka
    retention). Resumable: call again with `after` = `next_after`; `complete` once the page
    reached the settled end of the log. Reporter references are left out."""
    store, registry = deps.ports.store, deps.ports.registry
    concerned: dict[Any, bool] = {}
    found: list[dict[str, Any]] = []
    cursor, scanned, complete = cmd.after, 0, False
    while len(found) < cmd.limit and scanned < REPLAY_SCAN:
        page = await store.read_all(cursor, 1000, settled_s=SETTLE_S)
        if not page:
            complete = True
            break
        # Whether each complaint concerns the system: its whole stream says; one read a page.
        unknown = {s.envelope.complaint_id for s in page} - concerned.keys()
        for complaint_id, stream in (await store.read_many(sorted(unknown))).items():
            concerned[complaint_id] = concerns(stream, cmd.system, registry)
        for stored in page:
            envelope = stored.envelope
            if concerned.get(envelope.complaint_id):
                found.append({"position": stored.global_position, **shown_to_system(envelope)})
            cursor = stored.global_position
            if len(found) >= cmd.limit:
                break
        scanned += len(page)
    await deps.systems.replayed(cmd.system.code, cursor, await deps.ports.clock.refresh())
    return {"events": found, "next_after": cursor, "complete": complete}


async def list_rejections(cmd: ListRejections, deps: ConnectedDeps) -> list[dict[str, Any]]:
    """Refused steps, oldest first, after a position (resumable)."""
    if await deps.systems.get(cmd.code) is None:
        raise unknown_system(cmd.code)
    return await deps.systems.rejections(cmd.code, cmd.after, cmd.limit)


CONNECTED_HANDLERS: dict[type, Handler[ConnectedDeps]] = {
    **RECONCILING_HANDLERS,
    RegisterSystem: register_system,
    RotateSystemKey: rotate_system_key,
    SetSystemActive: set_system_active,
    ShowSystems: show_systems,
    ImportComplaints: import_complaints,
    ApplyStatusUpdates: apply_status_updates,
    ReplayForSystem: replay_for_system,
    ListRejections: list_rejections,
}
"""Every use case of the connected systems, by its command."""


handle = dispatcher(CONNECTED_HANDLERS)
"""Run one of the connected systems' commands."""
