"""Reconciling a connected system with the national record: ask the system for its cells
(per day and status), compare them with the log's, list every drifting complaint, and show
each system's integration health. One function per command, in RECONCILING_HANDLERS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from intake.connected.domain import (
    ConnectedSystem,
)
from intake.connected.ports import ConnectedDeps, unknown_system
from intake.connected.reconciliation import NationalView, cells_of, differing_cells, drift
from services.kernel.refusals import Refused
from services.platform.dispatch import Handler
from services.platform.logs import get_logger

log = get_logger("intake.connected.reconciling")


@dataclass(frozen=True)
class Reconcile:
    """Compare the system's report with the national record (the national admin, or the
    schedule)."""

    code: str


@dataclass(frozen=True)
class ShowHealth:
    """Per system: last contact, lag, backlog, drift, rejected steps."""

    code: str | None = None


@dataclass(frozen=True)
class LastReconciliation:
    """A system's latest reconciliation, with every drifting complaint (for its repair)."""

    code: str


MAX_DRIFT_DAYS = 100
"""Days whose complaints one reconciliation lists one by one (the rest: cells only)."""
MAX_DRIFT = 5_000
"""Drifting complaints one reconciliation lists."""


class TheirCell(BaseModel):
    """One cell of a system's reconciliation report."""

    model_config = ConfigDict(extra="ignore")

    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    status: str = Field(max_length=300)
    count: int = Field(ge=0)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class TheirCells(BaseModel):
    """What a system's reconciliation endpoint answers without `day`."""

    cells: list[TheirCell] = Field(max_length=1_000_000)


class TheirComplaint(BaseModel):
    """One complaint of a day, as the system holds it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=128)
    status: str = Field(max_length=300)


class TheirDay(BaseModel):
    """What a system's reconciliation endpoint answers with `?day=`."""

    complaints: list[TheirComplaint] = Field(max_length=1_000_000)


async def national_view(system: ConnectedSystem, deps: ConnectedDeps) -> dict[str, Any]:
    """id -> (day, word) of every complaint concerning the system, folded from the log."""
    view = NationalView(system, deps.ports.registry)
    cursor = 0
    while page := await deps.ports.store.read_all(cursor, 5000):
        for stored in page:
            view.add(stored.envelope)
        cursor = page[-1].global_position
    return view.entries()


async def reconcile(cmd: Reconcile, deps: ConnectedDeps) -> dict[str, Any]:
    """Ask the system for its cells, compare them with the national record's, and list the
    complaints of every differing day; the result is kept for the health view."""
    record = await deps.systems.get(cmd.code)
    if record is None:
        raise unknown_system(cmd.code)
    url = record.system.reconciliation_url
    if not url:
        raise Refused(
            "no_reconciliation_url",
            f"{cmd.code} was registered without a reconciliation endpoint",
            field="reconciliation_url",
        )
    now = await deps.ports.clock.refresh()
    result: dict[str, Any] = {"reconciled_at": now.isoformat(), "drift": []}
    try:
        theirs = TheirCells.model_validate(await deps.fetch_json(url, {}))
        ours_entries = await national_view(record.system, deps)
        ours = cells_of(ours_entries)
        their_cells = {
            (c.day, c.status): {"count": c.count, "digest": c.digest} for c in theirs.cells
        }
        differing = differing_cells(ours, their_cells)
        result |= {"cells_compared": len(set(ours) | set(their_cells))}
        result["cells_differing"] = len(differing)
        for day in sorted({d for d, _ in differing})[:MAX_DRIFT_DAYS]:
            listed = TheirDay.model_validate(await deps.fetch_json(url, {"day": day}))
            their_day = {c.id: c.status for c in listed.complaints}
            result["drift"] += drift(day, ours_entries, their_day)
        result["drift"] = result["drift"][:MAX_DRIFT]
    except (httpx.HTTPError, ValueError) as failure:  # unreachable, or an answer off-contract
        result |= {"cells_compared": 0, "cells_differing": 0, "error": str(failure)[:500]}
    await deps.systems.keep_reconciliation(cmd.code, result)
    log.info(
        "reconciliation",
        system=cmd.code,
        differing=result["cells_differing"],
        drift=len(result["drift"]),
        error=result.get("error"),
    )
    return result


async def show_health(cmd: ShowHealth, deps: ConnectedDeps) -> list[dict[str, Any]]:
    """Per system: last contact and how long ago, how far its replay is behind the log, its
    latest reconciliation's drift, and how many steps were refused."""
    now = await deps.ports.clock.refresh()
    head = await deps.ports.store.last_position()
    found = []
    for record in await deps.systems.all():
        code = record.system.code
        if cmd.code not in (None, code):
            continue
        last = await deps.systems.last_reconciliation(code)
        contact = record.last_contact_at or record.replayed_at
        found.append(
            {
                "code": code,
                "active": record.system.active,
                "last_contact_at": contact.isoformat() if contact else None,
                "lag_seconds": round((now - contact).total_seconds()) if contact else None,
                "replay_after": record.replay_after,
                "log_positions_behind": head - (record.replay_after or 0),
                "rejected_steps": await deps.systems.rejected_count(code),
                "last_reconciliation": last
                and {k: v for k, v in last.items() if k != "drift"} | {"drift": len(last["drift"])},
            }
        )
    if cmd.code is not None and not found:
        raise unknown_system(cmd.code)
    return found


async def last_reconciliation(cmd: LastReconciliation, deps: ConnectedDeps) -> dict[str, Any]:
    """The latest comparison with the drift listed (none yet: an empty result)."""
    found = await deps.systems.last_reconciliation(cmd.code)
    return found or {"reconciled_at": None, "drift": []}


RECONCILING_HANDLERS: dict[type, Handler[ConnectedDeps]] = {
    Reconcile: reconcile,
    ShowHealth: show_health,
    LastReconciliation: last_reconciliation,
}
"""The reconciliation's use cases (merged into the wing's table)."""
