"""The README's rights table, walked: for every endpoint row and every role, the call is made
with that role's demo key against the services' own apps, and the answer must match the cell
(`yes`, `own`, `region`, `no`). What an oversight body or an auditor reads never carries a
reporter's contact."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from events.messages import AgencyReply
from followup.handlers import ReplyAsAgency
from followup.handlers import handle as followup
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from services.kernel.registry import load_registry
from services.platform.auth import demo_key
from tests.security.apps import client, service_app
from tests.unit.fakes import CONTACT, FakeSystem, fake_system, submission

README = Path(__file__).resolve().parents[2] / "README.md"
AGENCY, UNIT, PROVINCE = "kota-bandung", "kota-bandung.dinas-pupr", "prov-jawa-barat"
NEIGHBOUR, ELSEWHERE = "kab-bogor", "kota-surabaya"  # under the province; under another
KEYS = {
    "national admin": demo_key("national-admin"),
    "agency coordinator": demo_key(AGENCY),
    "unit liaison": demo_key(UNIT, "unit"),
    "province coordinator": demo_key(PROVINCE),
    "oversight": demo_key("ombudsman", "oversight"),
    "auditor": demo_key("bpk", "auditor"),
}
CALLER = {
    "national admin": None,
    "agency coordinator": AGENCY,
    "unit liaison": UNIT,
    "province coordinator": PROVINCE,
}


def rights_table() -> tuple[list[str], dict[str, dict[str, str]]]:
    """The roles (columns) and, per endpoint row, each role's cell."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| endpoint | national"))
    roles = [c.strip() for c in lines[start].strip("|").split("|")][1:]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(roles, cells[1:], strict=True))
    return roles, rows


@dataclass
class World:
    """One small system: a complaint disposed to the city and forwarded to its unit, one in a
    regency of the same province, one in another province; the city read the contact once."""

    system: FakeSystem
    forwarded: UUID
    tracking_id: str


async def world() -> World:
    system = fake_system()
    mine = await intake(FileComplaint(submission(), "web"), system.intake)
    for region in ("32.01", "35.78"):  # kab-bogor, kota-surabaya
        other = await intake(FileComplaint(submission(region_code=region), "web"), system.intake)
        await system.deliver(other.complaint_id)
    await system.deliver(mine.complaint_id)
    forward = AgencyReply(action="forward", unit_code=UNIT)
    await followup(ReplyAsAgency(AGENCY, mine.complaint_id, forward), system.followup)
    await system.deliver(mine.complaint_id)
    return World(system, mine.complaint_id, mine.tracking_id)


Call = tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]
"""service, method, path, query, JSON body."""


def _queue(role: str, w: World) -> Call:
    query = {"agency": AGENCY} if role == "national admin" else None
    return ("followup", "GET", "/v1/agency/queue", query, None)


def _reply(body: dict[str, Any]) -> Callable[[str, World], Call]:
    def call(role: str, w: World) -> Call:
        return ("followup", "POST", f"/v1/agency/complaints/{w.forwarded}/replies", None, body)

    return call


CALLS: dict[str, Callable[[str, World], Call]] = {
    "`routing GET /v1/verification-queue`": lambda r, w: (
        "routing",
        "GET",
        "/v1/verification-queue",
        None,
        None,
    ),
    "`followup GET /v1/agency/queue`": _queue,
    "`followup GET /v1/agency/complaints/{id}` (case file, with the contact)": lambda r, w: (
        "followup",
        "GET",
        f"/v1/agency/complaints/{w.forwarded}",
        None,
        None,
    ),
    "`followup POST /v1/agency/complaints/{id}/replies` (follow up)": _reply(
        {"action": "follow_up", "message": "Sedang dikerjakan"}
    ),
    "`followup POST /v1/agency/complaints/{id}/replies` (refuse)": _reply(
        {"action": "refuse", "reason": "Bukan wewenang kami"}
    ),
    "`reporting GET /v1/reports/complaints` (rows, no contact)": lambda r, w: (
        "reporting",
        "GET",
        "/v1/reports/complaints",
        None,
        None,
    ),
    "`reporting GET /v1/audit/timeline/{tracking_id}`": lambda r, w: (
        "reporting",
        "GET",
        f"/v1/audit/timeline/{w.tracking_id}",
        None,
        None,
    ),
    "`reporting GET /v1/reports/digests`": lambda r, w: (
        "reporting",
        "GET",
        "/v1/reports/digests",
        None,
        None,
    ),
    "`reporting GET /v1/audit/complaints/{tracking_id}?at=` (a complaint as it stood then)": (
        lambda r, w: (
            "reporting",
            "GET",
            f"/v1/audit/complaints/{w.tracking_id}",
            {"at": w.system.clock.now().isoformat()},
            None,
        )
    ),
    "`reporting GET /v1/audit/dashboards?at=` (the dashboards as they read then)": lambda r, w: (
        "reporting",
        "GET",
        "/v1/audit/dashboards",
        {"at": w.system.clock.now().isoformat()},
        None,
    ),
    "`intake GET /v1/audit/contact-reads`": lambda r, w: (
        "intake",
        "GET",
        "/v1/audit/contact-reads",
        None,
        None,
    ),
    "`reporting GET /v1/reports/agencies` (public)": lambda r, w: (
        "reporting",
        "GET",
        "/v1/reports/agencies",
        None,
        None,
    ),
    "`reporting GET /v1/open/complaints` (open data, public)": lambda r, w: (
        "reporting",
        "GET",
        "/v1/open/complaints",
        None,
        None,
    ),
    "`followup POST /v1/clock/advance`": lambda r, w: (
        "followup",
        "POST",
        "/v1/clock/advance",
        None,
        {"days": 0},
    ),
    "`intake POST /v1/systems` (connect a regional system)": lambda r, w: (
        "intake",
        "POST",
        "/v1/systems",
        None,
        {
            "code": "uji-peran",
            "name": "Uji",
            "agencies": [AGENCY],
            "status_map": {"diterima": "filed"},
        },
    ),
    "`routing POST /v1/complaints/{id}/tags` (priority programmes, strategic issues)": (
        lambda r, w: (
            "routing",
            "POST",
            f"/v1/complaints/{w.forwarded}/tags",
            None,
            {"tags": ["infrastruktur-jalan"]},
        )
    ),
}

ROLES, TABLE = rights_table()
CASES = [(row, role) for row in TABLE for role in ROLES]


async def call(w: World, role: str, row: str, **query: str) -> Any:
    service, method, path, params, body = CALLS[row](role, w)
    async with client(service_app(service, w.system), **{"X-API-Key": KEYS[role]}) as http:
        return await http.request(method, path, params={**(params or {}), **query}, json=body)


def test_the_table_names_every_role_and_every_row_has_a_call():
    assert list(KEYS) == ROLES
    assert set(TABLE) == set(CALLS)
    assert {cell for cells in TABLE.values() for cell in cells.values()} <= {
        "yes",
        "own",
        "region",
        "no",
    }


@pytest.mark.parametrize(("row", "role"), CASES, ids=[f"{r[:40]}-{o}" for r, o in CASES])
async def test_each_role_gets_what_its_cell_says(row, role):
    w = await world()
    cell = TABLE[row][role]
    answer = await call(w, role, row)
    if cell == "no":
        assert answer.status_code in (401, 403, 404), answer.text
        assert "error" in answer.json()
        return
    assert answer.status_code in (200, 201), answer.text
    if role in ("oversight", "auditor"):
        text = json.dumps(answer.json())
        assert all(value not in text for value in CONTACT.values())
    if "agency/queue" in row:
        await _only_its_own_queue(w, role, answer.json())
    if "reports/complaints" in row:
        await _only_its_rows(w, role, row, cell, answer.json())


async def _only_its_own_queue(w: World, role: str, page: dict[str, Any]) -> None:
    ids = [item["complaint_id"] for item in page["items"]]
    if role in ("agency coordinator", "unit liaison", "national admin"):
        assert ids == [str(w.forwarded)]  # the city's, forwarded to its unit
    else:
        assert ids == []  # nothing reached the province
    if role == "unit liaison":
        assert all(item["unit_code"] == UNIT for item in page["items"])


async def _only_its_rows(w: World, role: str, row: str, cell: str, page: dict[str, Any]) -> None:
    agencies = {item["agency_code"] for item in page["items"]}
    if cell == "yes":
        assert agencies == {AGENCY, NEIGHBOUR, ELSEWHERE}
        assert (await call(w, role, row, agency=ELSEWHERE)).status_code == 200
    elif cell == "own":
        assert agencies == {CALLER[role]}
        assert (await call(w, role, row, agency=NEIGHBOUR)).status_code == 403
    elif cell == "region":
        assert agencies == {AGENCY, NEIGHBOUR}
        assert agencies <= set(load_registry().with_descendants(CALLER[role]))
        assert (await call(w, role, row, agency=NEIGHBOUR)).status_code == 200
        refused = await call(w, role, row, agency=ELSEWHERE)
        assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "agency"


async def test_a_unit_liaison_acts_as_the_unit_and_never_for_another_unit():
    w = await world()
    system = w.system
    own = {"X-API-Key": KEYS["unit liaison"]}
    other = {"X-API-Key": demo_key("kota-bandung.dinas-kesehatan", "unit")}
    async with client(service_app("followup", system)) as http:
        body = {"action": "follow_up", "message": "Tim sudah turun ke lokasi"}
        path = f"/v1/agency/complaints/{w.forwarded}"
        assert (await http.post(f"{path}/replies", json=body, headers=other)).status_code == 404
        assert (await http.get(path, headers=other)).status_code == 404
        done = await http.post(f"{path}/replies", json=body, headers=own)
        assert done.status_code == 200, done.text
        forward = {"action": "forward", "unit_code": "kota-bandung.dinas-kesehatan"}
        refused = await http.post(f"{path}/replies", json=forward, headers=own)
        assert refused.status_code == 403 and refused.json()["error"] == "agency_action"
    last = (await system.store.read_stream(w.forwarded))[-1]
    assert (last.actor.role, last.actor.id) == ("work_unit", UNIT)


def test_the_demo_keys_of_the_readme_are_the_ones_the_keyring_accepts():
    text = README.read_text()
    for key in KEYS.values():
        assert key in text or re.sub(r"kota-bandung\.dinas-pupr", "<unit-code>", key) in text
