"""Connected systems in the real PostgreSQL: keys kept as digests, rotation and suspension,
imports appended to the real event store exactly once, refused steps kept and paged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from events.messages import ImportBatch, ImportItem
from intake.bootstrap import wire
from intake.connected.domain import complaint_id_of
from intake.connected.handlers import (
    ImportComplaints,
    ListRejections,
    RegisterSystem,
    RotateSystemKey,
    handle,
)
from intake.connected.store import SystemTable
from intake.settings import IntakeSettings
from intake.store import TokenTable
from services.kernel.registry import load_registry
from services.platform.memory import NoPublishing
from services.platform.runtime import database_ports
from services.platform.settings import PlatformSettings
from services.platform.tokens import token_digest

pytestmark = pytest.mark.integration
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def deps_over(pool):
    ports = database_ports(pool, PlatformSettings(), NoPublishing(), load_registry())
    return wire(ports, TokenTable(pool), SystemTable(pool), IntakeSettings()).connected


def history(external_id: str, *statuses: str) -> ImportItem:
    return ImportItem(
        external_id=external_id,
        agency_code="kota-bandung",
        title="Lampu jalan padam",
        description="Sudah seminggu.",
        category="jalan",
        region_code="32.73",
        steps=[
            {
                "step_id": f"{external_id}-{i}",
                "status": s,
                "at": T0 + timedelta(days=i),
                "message": "Sudah ditangani" if s != "diterima" else None,
            }
            for i, s in enumerate(statuses)
        ],
    )


async def test_a_system_is_kept_with_a_key_digest_and_imports_once(pool):
    deps = deps_over(pool)
    code = f"sys-{uuid.uuid4().hex[:8]}"
    answer = await handle(
        RegisterSystem(
            code,
            "Sistem uji",
            ("kota-bandung",),
            {"diterima": "filed", "ditanggapi": "follow_up", "ditutup": "closed"},
        ),
        deps,
    )
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT key_digest FROM connected_systems WHERE code = $1", code
        )
    assert bytes(stored) == token_digest(answer["key"])  # never the key itself
    rotated = (await handle(RotateSystemKey(code), deps))["key"]
    assert await deps.systems.by_key(answer["key"]) is None
    system = await deps.systems.by_key(rotated)
    assert system is not None

    batch = ImportBatch(
        items=[
            history("A-1", "diterima", "ditanggapi", "ditutup"),
            history("A-2", "diterima", "entah"),
        ]
    )
    first = await handle(ImportComplaints(system, batch), deps)
    again = await handle(ImportComplaints(system, batch), deps)
    assert (first["steps_applied"], again["steps_applied"]) == (4, 0)
    assert again["steps_already_there"] == 4
    stream = await deps.ports.store.read_stream(complaint_id_of(code, "A-1"))
    assert [e.event_type for e in stream][:2] == ["complaint.imported", "complaint.filed"]
    assert stream[-1].event_type == "complaint.closed"
    assert await deps.ports.store.verify_chains(complaint_id_of(code, "A-1")) == []
    refused = await handle(ListRejections(code), deps)
    assert [(r["external_id"], r["error"], r["field"]) for r in refused] == [
        ("A-2", "unmapped_status", "steps.1.status"),  # sent twice, kept once
    ]
    assert (await deps.systems.get(code)).last_contact_at is not None
