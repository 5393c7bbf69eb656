"""The auditor's use cases: a complaint's timeline, a complaint and the dashboards as they
stood at a past instant (rebuilt from the log), and the log's signed checkpoints (signed on
an interval, published, listed). One function per command, in AUDIT_HANDLERS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.base import format_time
from reporting.as_of import complaint_as_of, dashboards_as_of
from reporting.ports import ReportingDeps, Signing
from reporting.settings import KeyHolder
from services.kernel.refusals import RefusalKind, Refused
from services.platform.checkpoints import SignedCheckpoint, public_hex
from services.platform.dispatch import Handler
from services.platform.ports import AuditedEvent, EventStore


@dataclass(frozen=True)
class Timeline:
    """Every event of one complaint (auditors)."""

    tracking_id: str


@dataclass(frozen=True)
class ComplaintAsOf:
    """One complaint's state at a past instant (auditors)."""

    tracking_id: str
    at: datetime


@dataclass(frozen=True)
class DashboardsAsOf:
    """The dashboards at a past instant (auditors)."""

    at: datetime


@dataclass(frozen=True)
class SignCheckpoint:
    """Sign the log's heads now (if it moved) and publish the checkpoint (the operator's
    command, which has no producer, only keeps it: auditors read it over HTTP)."""

    publish: bool = True


@dataclass(frozen=True)
class ListCheckpoints:
    """Signed checkpoints, oldest first, after a position."""

    after: int = 0
    limit: int = 100


@dataclass(frozen=True)
class CheckpointKey:
    """The public key every checkpoint must be signed with."""


async def timeline(cmd: Timeline, deps: ReportingDeps) -> list[dict[str, Any]]:
    """Every event of a complaint: what, who, when, with the full payload (auditors only)."""
    holders = deps.settings.holders(bool(deps.ports.settings.demo_keys))
    return await timeline_of(deps.ports.store, cmd.tracking_id, holders)


async def timeline_of(
    store: EventStore, tracking_id: str, holders: Mapping[str, list[KeyHolder]] | None = None
) -> list[dict[str, Any]]:
    """The auditor's timeline straight from an event store (the API and the CLI both): each
    event with when it happened and when it was recorded, its place in the log, its chain hash,
    and the named person who held the actor's key then (where known)."""
    complaint_id = await store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        raise Refused("not_found", "no complaint with this tracking id", kind=RefusalKind.NOT_FOUND)
    audited = await store.audited_stream(complaint_id)
    return [_timeline_entry(event, holders or {}) for event in audited]


def _timeline_entry(audited: AuditedEvent, holders: Mapping[str, list[KeyHolder]]) -> dict:
    e = audited.envelope
    return {
        "version": e.version,
        "occurred_at": format_time(e.occurred_at),
        "recorded_at": format_time(audited.recorded_at),
        "global_position": audited.global_position,
        "hash": audited.hash,
        "event_type": e.event_type,
        "schema_version": e.schema_version,
        "actor": {
            "role": e.actor.role,
            "id": e.actor.id,
            "person": holder_at(holders, f"{e.actor.role}:{e.actor.id}", e.occurred_at),
        },
        "event_id": str(e.event_id),
        "causation_id": str(e.causation_id) if e.causation_id else None,
        "payload": e.payload.model_dump(mode="json"),
    }


def holder_at(holders: Mapping[str, list[KeyHolder]], key: str, at: datetime) -> str | None:
    """The person who held `key` at `at`: the latest holder whose `since` is not after it."""
    held = [h for h in holders.get(key, []) if h.since <= at]
    return max(held, key=lambda h: h.since).person if held else None


async def complaint_then(cmd: ComplaintAsOf, deps: ReportingDeps) -> dict[str, Any]:
    """One complaint as it stood at an instant."""
    return await complaint_as_of(deps.ports.store, cmd.tracking_id, cmd.at)


async def dashboards_then(cmd: DashboardsAsOf, deps: ReportingDeps) -> dict[str, Any]:
    """The dashboards as they read at an instant, rebuilt from the log."""
    ports = deps.ports
    return await dashboards_as_of(
        ports.store, ports.policy.calendar, cmd.at, deps.scoring, ports.registry
    )


def _signing(deps: ReportingDeps) -> Signing:
    if deps.signing is None:
        raise Refused("unavailable", "no checkpoints are kept here", kind=RefusalKind.NOT_FOUND)
    return deps.signing


async def sign_checkpoint(cmd: SignCheckpoint, deps: ReportingDeps) -> SignedCheckpoint | None:
    """Sign a checkpoint of the log (None when it has not moved) and publish it."""
    signing, ports = _signing(deps), deps.ports
    made = await signing.checkpoints.make(signing.key, await ports.clock.refresh())
    if made is not None and cmd.publish:
        value = made.model_dump_json().encode()
        headers = {"lapor_type": "checkpoint"}
        await ports.publisher.publish(
            ports.settings.checkpoints_topic, "checkpoint", value, headers
        )
    return made


async def list_checkpoints(cmd: ListCheckpoints, deps: ReportingDeps) -> list[dict[str, Any]]:
    """Signed checkpoints, oldest first; page with `after` = the last `position` seen."""
    return await _signing(deps).checkpoints.listed(cmd.after, cmd.limit)


async def checkpoint_key(cmd: CheckpointKey, deps: ReportingDeps) -> dict[str, str]:
    """The Ed25519 public key (hex) every checkpoint must be signed with."""
    return {"algorithm": "Ed25519", "public_key": public_hex(_signing(deps).key)}


AUDIT_HANDLERS: dict[type, Handler[ReportingDeps]] = {
    Timeline: timeline,
    ComplaintAsOf: complaint_then,
    DashboardsAsOf: dashboards_then,
    SignCheckpoint: sign_checkpoint,
    ListCheckpoints: list_checkpoints,
    CheckpointKey: checkpoint_key,
}
"""The auditor's use cases (merged into reporting's table)."""
