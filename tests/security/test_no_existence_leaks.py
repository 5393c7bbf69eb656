"""On every agency-facing path, a complaint that is not the caller's and one that does not exist
get the identical answer: an agency cannot learn that a complaint exists."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from intake.handlers import FileComplaint, handle
from tests.security.apps import ADMIN, agency, client, service_app
from tests.unit.fakes import FakeSystem, fake_system, submission

HOLDER = "kota-bandung"  # where the rules dispose the sample submission
OTHER = "kab-bogor"
REPLIES: list[dict[str, Any]] = [
    {"action": "acknowledge"},
    {"action": "forward", "unit_code": f"{OTHER}.dinas-pupr"},
    {"action": "follow_up", "message": "Sedang ditangani"},
    {"action": "propose_resolution", "message": "Sudah diperbaiki"},
    {"action": "refuse", "reason": "Bukan wewenang kami"},
]


async def _filed(system: FakeSystem, *, deliver: bool = True) -> tuple[UUID, str]:
    filing = await handle(FileComplaint(submission(), "web"), system.intake)
    if deliver:
        await system.deliver(filing.complaint_id)
    return filing.complaint_id, filing.tracking_id


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json())


async def test_an_agency_reading_another_agencys_complaint_learns_nothing():
    system = fake_system()
    held, _ = await _filed(system)
    unverified, _ = await _filed(system, deliver=False)
    async with client(service_app("followup", system), **agency(OTHER)) as http:
        absent = await http.get(f"/v1/agency/complaints/{uuid4()}")
        for complaint in (held, unverified):
            _same(await http.get(f"/v1/agency/complaints/{complaint}"), absent)
    assert absent.status_code == 404 and absent.json()["error"] == "not_found"
    async with client(service_app("followup", system), **agency(HOLDER)) as http:
        assert (await http.get(f"/v1/agency/complaints/{held}")).status_code == 200


@pytest.mark.parametrize("body", REPLIES, ids=[r["action"] for r in REPLIES])
async def test_an_agency_replying_on_another_agencys_complaint_learns_nothing(body):
    system = fake_system()
    held, _ = await _filed(system)
    unverified, _ = await _filed(system, deliver=False)
    before = len(await system.store.read_all())
    async with client(service_app("followup", system), **agency(OTHER)) as http:
        absent = await http.post(f"/v1/agency/complaints/{uuid4()}/replies", json=body)
        for complaint in (held, unverified):
            mine = await http.post(f"/v1/agency/complaints/{complaint}/replies", json=body)
            _same(mine, absent)
    assert absent.status_code == 404, absent.text
    assert absent.json() == {
        "error": "not_found",
        "message": "no such complaint disposed to you",
        "errors": [],
    }
    assert len(await system.store.read_all()) == before


async def test_the_holder_can_still_reply():
    system = fake_system()
    held, _ = await _filed(system)
    async with client(service_app("followup", system), **agency(HOLDER)) as http:
        answer = await http.post(
            f"/v1/agency/complaints/{held}/replies", json={"action": "acknowledge"}
        )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("routing", "/v1/complaints/{complaint_id}"),
        ("routing", "/v1/complaints/{complaint_id}/resume"),
        ("reporting", "/v1/audit/timeline/{tracking_id}"),
    ],
)
async def test_admin_only_paths_refuse_an_agency_before_looking_the_complaint_up(name, path):
    system = fake_system()
    complaint, tracking = await _filed(system)
    method = "POST" if path.endswith("resume") else "GET"
    existing = path.format(complaint_id=complaint, tracking_id=tracking)
    absent = path.format(complaint_id=uuid4(), tracking_id="lpr-0000-0000-0000")
    async with client(service_app(name, system), **agency(HOLDER)) as http:
        refused = await http.request(method, absent)
        _same(await http.request(method, existing), refused)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    async with client(service_app(name, system), **ADMIN) as http:
        assert (await http.request(method, existing)).status_code != 403


async def test_an_agencys_complaint_list_holds_only_its_own():
    system = fake_system()
    complaint, _ = await _filed(system)
    async with client(service_app("reporting", system), **agency(OTHER)) as http:
        theirs = (await http.get("/v1/reports/complaints")).json()
    async with client(service_app("reporting", system), **agency(HOLDER)) as http:
        mine = (await http.get("/v1/reports/complaints")).json()
    assert str(complaint) in str(mine)
    assert str(complaint) not in str(theirs)
