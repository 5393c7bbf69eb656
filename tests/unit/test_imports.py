"""Importing a connected system's complaints: the pure decider (given a stream, when a history
arrives, then events or a named refusal) and the use cases over the fakes (registration, keys,
bulk import, idempotency, bad input kept for the system to query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Status
from events.catalog import (
    ComplaintImported,
    Disposed,
    DispositionRefused,
    FollowUpPosted,
    StepImported,
)
from events.messages import ImportBatch, ImportItem
from intake.bootstrap import bootstrap_fakes
from intake.connected.domain import ConnectedSystem, complaint_id_of, decide_import
from intake.connected.handlers import (
    ImportComplaints,
    ListRejections,
    RegisterSystem,
    RotateSystemKey,
    SetSystemActive,
    handle,
)
from routing.work_items import reason_for
from services.kernel.refusals import Refused
from services.tooling.regional_demo import STATUS_MAP
from tests.unit.given import POLICY, REGISTRY, START, given

CITY = ConnectedSystem(
    code="lapor-bandung",
    name="Sistem Pengaduan Kota Bandung",
    agencies=("kota-bandung", "prov-jawa-barat"),
    status_map=STATUS_MAP,  # the reference city's words
)
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def step(step_id, status, days=0, **fields):
    return {"step_id": step_id, "status": status, "at": (T0 + timedelta(days=days)), **fields}


def item(*steps, external_id="BDG-0001", **fields):
    body = dict(
        external_id=external_id,
        agency_code="kota-bandung",
        title="Lampu jalan padam di Jl. Braga",
        description="Sudah seminggu padam.",
        category="jalan",
        region_code="32.73",
        steps=list(steps) or [step("s1", "diterima")],
    )
    return ImportItem.model_validate({**body, **fields})


def decide(state, history, system=CITY):
    return decide_import(state, history, system, now=START, policy=POLICY, registry=REGISTRY)


FULL = item(
    step("s1", "diterima"),
    step("s2", "diproses", 1),
    step("s3", "ditanggapi", 2, message="Petugas sudah dijadwalkan"),
    step("s4", "selesai", 5, message="Lampu diganti", resolution_code="fixed"),
    step("s5", "ditutup", 6),
)


def test_a_whole_history_becomes_provenance_and_the_national_lifecycle():
    decision = decide(given(), FULL)
    assert decision.applied == ["s1", "s2", "s3", "s4", "s5"] and decision.rejected is None
    imported = decision.events[0]
    assert isinstance(imported, ComplaintImported)
    assert (imported.source_system, imported.external_id, imported.original_at) == (
        "lapor-bandung",
        "BDG-0001",
        T0,
    )
    state = given(*decision.events)
    assert state.status is Status.CLOSED and state.closed_reason == "resolved"
    assert state.source_system == "lapor-bandung" and state.agency_code == "kota-bandung"
    assert state.resolution_code == "fixed"
    provenance = [e for e in decision.events if isinstance(e, StepImported)]
    assert [p.local_status for p in provenance] == ["diproses", "ditanggapi", "selesai", "ditutup"]


def test_re_sending_anything_changes_nothing():
    state = given(*decide(given(), FULL).events)
    again = decide(state, FULL)
    assert again.events == [] and again.duplicates == ["s1", "s2", "s3", "s4", "s5"]


def test_an_open_imported_complaint_runs_on_the_national_clocks():
    decision = decide(given(), item(step("s1", "diterima")))
    disposed = decision.events[-1]
    assert isinstance(disposed, Disposed) and disposed.follow_up_due == POLICY.follow_up_due(START)
    state = given(*decision.events)
    assert state.status is Status.DISPOSED
    # The system's own agency has it already: no work item on its queue.
    assert reason_for(disposed, 2, state) is None


def test_later_steps_arrive_in_later_batches():
    first = decide(given(), item(step("s1", "diterima")))
    later = decide(
        given(*first.events),
        item(step("s1", "diterima"), step("s2", "ditanggapi", 3, message="Ok")),
    )
    assert later.duplicates == ["s1"] and later.applied == ["s2"]
    assert isinstance(later.events[-1], FollowUpPosted)


def test_a_local_rejection_hands_the_complaint_to_the_national_side():
    decision = decide(given(), item(step("s1", "diterima"), step("s2", "ditolak", 1)))
    refused = decision.events[-1]
    assert isinstance(refused, DispositionRefused) and refused.agency_code == "kota-bandung"
    assert given(*decision.events).status is Status.VERIFIED  # routing re-disposes it


@pytest.mark.parametrize(
    ("history", "error", "field", "applied"),
    [
        (item(step("s1", "antri")), "unmapped_status", "steps.0.status", []),
        (item(step("s1", "diproses")), "out_of_order", "steps.0.status", []),
        (
            item(step("s1", "diterima", 5), step("s2", "diproses", 1)),
            "out_of_order",
            "steps.1.at",
            ["s1"],
        ),
        (
            item(step("s1", "diterima"), agency_code="kota-surabaya"),
            "agency_not_yours",
            "agency_code",
            [],
        ),
        (
            item(step("s1", "diterima"), step("s2", "ditanggapi", 1)),
            "message_required",
            "steps.1.message",
            ["s1"],
        ),
        (
            item(
                step("s1", "diterima"),
                step("s2", "ditutup", 1),
                step("s3", "ditanggapi", 2, message="x"),
            ),
            "contradicts_national_record",
            "steps.2.status",
            ["s1", "s2"],
        ),
    ],
)
def test_bad_history_is_named_and_the_steps_before_it_go_through(history, error, field, applied):
    decision = decide(given(), history)
    assert decision.rejected is not None
    assert (decision.rejected.error, decision.rejected.field) == (error, field)
    assert decision.applied == applied


def test_an_external_id_reused_with_other_content_is_refused():
    state = given(*decide(given(), FULL).events)
    changed = item(step("s6", "diterima", 9), title="Judul lain")
    decision = decide(state, changed)
    assert decision.rejected is not None and decision.rejected.error == "conflicting_content"
    assert decision.events == []


# -- through the use cases --------------------------------------------------------------------


async def registered(deps, **changes):
    fields = dict(
        code="lapor-bandung",
        name="Sistem Pengaduan Kota Bandung",
        agencies=("kota-bandung",),
        status_map=dict(CITY.status_map),
    )
    return await handle(RegisterSystem(**{**fields, **changes}), deps)


async def test_registration_gives_a_key_once_and_checks_agencies_and_mapping():
    deps = bootstrap_fakes().connected
    answer = await registered(deps)
    assert answer["key"] and answer["active"] is True
    system = await deps.systems.by_key(answer["key"])
    assert system is not None and system.code == "lapor-bandung"
    with pytest.raises(Refused) as exists:
        await registered(deps)
    assert exists.value.code == "system_exists"
    for changes, code in [
        ({"code": "x1", "agencies": ("nowhere",)}, "unknown_agency"),
        ({"code": "x2", "agencies": ("ombudsman-ri",)}, "unknown_agency"),
        ({"code": "x3", "status_map": {"diterima": "filed", "aneh": "teleported"}}, "unknown_step"),
        ({"code": "x4", "status_map": {"diproses": "in_progress"}}, "no_filing_status"),
    ]:
        with pytest.raises(Refused) as refused:
            await registered(deps, **changes)
        assert refused.value.code == code


async def test_a_rotated_key_replaces_the_old_one_and_suspension_is_recorded():
    deps = bootstrap_fakes().connected
    old = (await registered(deps))["key"]
    new = (await handle(RotateSystemKey("lapor-bandung"), deps))["key"]
    assert await deps.systems.by_key(old) is None
    assert (await deps.systems.by_key(new)).code == "lapor-bandung"
    suspended = await handle(SetSystemActive("lapor-bandung", False), deps)
    assert suspended["active"] is False
    assert (await deps.systems.by_key(new)).active is False


async def test_a_batch_imports_what_it_can_and_keeps_what_it_refused():
    deps = bootstrap_fakes().connected
    key = (await registered(deps))["key"]
    system = await deps.systems.by_key(key)
    batch = ImportBatch(items=[FULL, item(step("x", "antri"), external_id="BDG-0002")])
    answer = await handle(ImportComplaints(system, batch), deps)
    assert answer["steps_applied"] == 5 and answer["steps_already_there"] == 0
    assert [(r["external_id"], r["error"]) for r in answer["rejected"]] == [
        ("BDG-0002", "unmapped_status")
    ]
    again = await handle(ImportComplaints(system, batch), deps)
    assert again["steps_applied"] == 0 and again["steps_already_there"] == 5
    stream = await deps.ports.store.read_stream(complaint_id_of("lapor-bandung", "BDG-0001"))
    assert stream[0].actor.role == "connected_system" and stream[0].actor.id == "lapor-bandung"
    kept = await handle(ListRejections("lapor-bandung"), deps)
    assert [r["error"] for r in kept] == ["unmapped_status"]  # refused again: kept once
    other = ImportBatch(items=[item(step("y", "antri"), external_id="BDG-0003")])
    await handle(ImportComplaints(system, other), deps)
    kept = await handle(ListRejections("lapor-bandung"), deps)
    assert [r["external_id"] for r in kept] == ["BDG-0002", "BDG-0003"]
    assert (
        await handle(ListRejections("lapor-bandung", after=kept[0]["position"]), deps) == kept[1:]
    )


async def test_status_updates_move_a_national_complaint_the_system_holds_and_replay_has_it():
    from events.messages import StatusUpdates
    from intake.connected.handlers import ApplyStatusUpdates, ReplayForSystem
    from intake.handlers import FileComplaint
    from intake.handlers import handle as intake
    from tests.unit.fakes import fake_system, submission

    fakes = fake_system()
    deps = fakes.connected
    system = await deps.systems.by_key((await registered(deps))["key"])
    filing = await intake(FileComplaint(submission(), "web", "k1"), fakes.intake)
    other = await intake(FileComplaint(submission(region_code="35.78"), "web", "k2"), fakes.intake)
    await fakes.deliver(filing.complaint_id)  # the rules dispose it to kota-bandung
    await fakes.deliver(other.complaint_id)  # and this one to kota-surabaya

    def update(complaint_id, step_id, status, **fields):
        return {
            "complaint_id": str(complaint_id),
            "step": {"step_id": step_id, "status": status, "at": T0, **fields},
        }

    body = StatusUpdates.model_validate(
        {
            "updates": [
                update(filing.complaint_id, "u1", "diproses"),
                update(filing.complaint_id, "u2", "ditanggapi", message="Sudah dijadwalkan"),
                update(other.complaint_id, "u3", "diproses"),
            ]
        }
    )
    answer = await handle(ApplyStatusUpdates(system, body), deps)
    assert answer["steps_applied"] == 2
    assert [(r["step_id"], r["error"]) for r in answer["rejected"]] == [("u3", "not_found")]
    stream = await fakes.store.read_stream(filing.complaint_id)
    assert [e.event_type for e in stream][-4:] == [
        "complaint.step_imported",
        "complaint.disposition_acknowledged",
        "complaint.step_imported",
        "complaint.follow_up_posted",
    ]
    again = await handle(ApplyStatusUpdates(system, body), deps)
    assert again["steps_applied"] == 0 and again["steps_already_there"] == 2

    replayed = await handle(ReplayForSystem(system, 0, 1000), deps)
    assert replayed["complete"] is True
    assert {e["complaint_id"] for e in replayed["events"]} == {str(filing.complaint_id)}
    assert all(e["payload"].get("reporter_ref") is None for e in replayed["events"])
    positions = [e["position"] for e in replayed["events"]]
    assert positions == sorted(positions)
    half = await handle(ReplayForSystem(system, 0, 3), deps)
    rest = await handle(ReplayForSystem(system, half["next_after"], 1000), deps)
    assert half["events"] + rest["events"] == replayed["events"]  # resumable


def test_the_http_api_authenticates_each_system_with_its_own_key():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from intake.connected import api as systems_api
    from services.platform.auth import KeyRing, demo_key
    from services.platform.http import install_error_handlers

    deps = bootstrap_fakes().connected
    app = FastAPI()
    install_error_handlers(app)
    systems_api.mount(app, deps, KeyRing(deps.ports.settings, deps.ports.registry))
    http = TestClient(app, raise_server_exceptions=False)
    admin = {"X-API-Key": demo_key("national-admin")}
    registration = {
        "code": "lapor-bandung",
        "name": "Kota Bandung",
        "agencies": ["kota-bandung"],
        "status_map": dict(CITY.status_map),
    }
    assert http.post("/v1/systems", json=registration).status_code == 401
    assert (
        http.post(
            "/v1/systems", json=registration, headers={"X-API-Key": demo_key("kota-bandung")}
        ).status_code
        == 403
    )
    made = http.post("/v1/systems", json=registration, headers=admin)
    assert made.status_code == 201 and "key" in made.json()
    assert "key" not in http.get("/v1/systems", headers=admin).json()[0]
    own = {"X-API-Key": made.json()["key"]}
    body = {"items": [FULL.model_dump(mode="json")]}
    imported = http.post("/v1/systems/lapor-bandung/imports", json=body, headers=own)
    assert imported.status_code == 200 and imported.json()["steps_applied"] == 5
    assert (
        http.post("/v1/systems/lapor-bandung/imports", json=body, headers=admin).status_code == 401
    )
    assert http.post("/v1/systems/other/imports", json=body, headers=own).status_code == 403
    bad = http.post(
        "/v1/systems/lapor-bandung/imports", json={"items": [{"external_id": "x"}]}, headers=own
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("items.0")
    assert http.get("/v1/systems/lapor-bandung/events", headers=own).json()["complete"] is True
    assert http.post("/v1/systems/lapor-bandung/suspend", headers=admin).json()["active"] is False
    suspended = http.post("/v1/systems/lapor-bandung/imports", json=body, headers=own)
    assert suspended.status_code == 403 and suspended.json()["error"] == "suspended"
    rotated = http.post("/v1/systems/lapor-bandung/key", headers=admin).json()["key"]
    http.post("/v1/systems/lapor-bandung/resume", headers=admin)
    assert http.get("/v1/systems/lapor-bandung/rejections", headers=own).status_code == 401
    assert (
        http.get("/v1/systems/lapor-bandung/rejections", headers={"X-API-Key": rotated}).json()
        == []
    )


async def test_reconciliation_lists_each_drifting_complaint_and_feeds_the_health_view():
    from dataclasses import replace as changed

    from intake.connected.reconciliation import digest
    from intake.connected.reconciling import LastReconciliation, Reconcile, ShowHealth

    deps = bootstrap_fakes().connected
    await registered(deps, reconciliation_url="http://127.0.0.1:9/reconciliation")
    system = (await deps.systems.get("lapor-bandung")).system
    second = item(step("b1", "diterima", 3), external_id="BDG-0002")
    await handle(ImportComplaints(system, ImportBatch(items=[FULL, second])), deps)
    # The city holds both, with the words of their latest steps.
    city = {"BDG-0001": ("2025-03-01", "ditutup"), "BDG-0002": ("2025-03-04", "diterima")}

    async def city_answers(url, params):
        assert url == "http://127.0.0.1:9/reconciliation"
        if "day" in params:
            return {
                "complaints": [
                    {"id": i, "status": w} for i, (d, w) in city.items() if d == params["day"]
                ]
            }
        cells = {}
        for i, cell in city.items():
            cells.setdefault(cell, []).append(i)
        return {
            "cells": [
                {"day": d, "status": w, "count": len(ids), "digest": digest(ids)}
                for (d, w), ids in cells.items()
            ]
        }

    deps = changed(deps, fetch_json=city_answers)
    clean = await handle(Reconcile("lapor-bandung"), deps)
    assert (clean["cells_differing"], clean["drift"]) == (0, [])
    city["BDG-0002"] = ("2025-03-04", "diproses")  # a step the backbone never got
    del city["BDG-0001"]  # and a complaint the city lost
    found = await handle(Reconcile("lapor-bandung"), deps)
    assert found["drift"] == [
        {"id": "BDG-0001", "day": "2025-03-01", "national": "ditutup", "system": None},
        {"id": "BDG-0002", "day": "2025-03-04", "national": "diterima", "system": "diproses"},
    ]
    assert (await handle(LastReconciliation("lapor-bandung"), deps))["drift"] == found["drift"]
    [health] = await handle(ShowHealth(), deps)
    assert health["last_reconciliation"]["drift"] == 2 and health["rejected_steps"] == 0
    assert health["last_contact_at"] is not None


async def test_an_unreachable_system_is_recorded_as_a_failed_reconciliation():
    from dataclasses import replace as changed

    import httpx

    from intake.connected.reconciling import Reconcile

    deps = bootstrap_fakes().connected
    await registered(deps, reconciliation_url="http://127.0.0.1:9/reconciliation")

    async def unreachable(url, params):
        raise httpx.ConnectError("connection refused")

    result = await handle(Reconcile("lapor-bandung"), changed(deps, fetch_json=unreachable))
    assert "connection refused" in result["error"] and result["drift"] == []
    with pytest.raises(Refused) as refused:
        await registered(deps, code="tanpa-url")
        await handle(Reconcile("tanpa-url"), deps)
    assert refused.value.code == "no_reconciliation_url"


def test_an_overdue_imported_complaint_escalates_to_the_province_like_any_other():
    from followup.deadlines import decide_deadlines

    decision = decide(given(), item(step("s1", "diterima"), step("s2", "diproses", 1)))
    state = given(*decision.events)
    late = POLICY.follow_up_due(START) + timedelta(minutes=1)
    [escalated] = decide_deadlines(state, now=late, registry=REGISTRY, policy=POLICY)
    assert (escalated.to_tier, escalated.to_agency_code) == ("province", "prov-jawa-barat")


def test_a_local_rejection_of_an_imported_complaint_is_re_disposed_by_the_rules():
    from routing.domain import decide_auto_disposition

    decision = decide(
        given(),
        item(step("s1", "diterima"), step("s2", "ditolak", 1, message="Jalan provinsi")),
    )
    state = given(*decision.events)
    assert state.status is Status.VERIFIED and "kota-bandung" in state.refused_by
    # No other rule answers for a city road: it waits for the national admin (never back to
    # the city that refused it).
    assert (
        decide_auto_disposition(state, registry=REGISTRY, now=START, policy=POLICY, max_refusals=2)
        == []
    )
