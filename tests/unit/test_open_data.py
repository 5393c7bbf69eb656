"""Open data over the fakes: only complaints neither confidential nor anonymous, only codes,
statuses and days; counts of everything with small cells withheld; the daily package is a
Frictionless tabular data package whose files match their descriptor, and no reporter's
personal data, nor any free text, is anywhere in it."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from reporting.handlers import (
    ExportOpenData,
    OpenAggregates,
    OpenComplaints,
    OpenTimeline,
    handle,
)
from reporting.open_data import COMPLAINT_FIELDS
from services.kernel.refusals import Refused
from tests.unit.fakes import fake_system, submission

PEOPLE = [
    {"name": "Ratna Sari Dewi", "phone": "+62 813 7777 1111", "email": "ratna.dewi@contoh.id"},
    {"name": "Bambang Priyono", "phone": "+62 852 4444 9999", "national_id": "3273011204850003"},
    {"name": "Yohana Lumban Tobing", "email": "yohana.tobing@contoh.id"},
]
SECRET_TEXT = "rumah saya di Gang Melati nomor 7"


async def three_complaints(tmp_path):
    system = fake_system(var_dir=tmp_path, open_data_min_cell=2)
    filings = []
    for person, flags in zip(
        PEOPLE, [{}, {"confidential": True}, {"anonymous": True}], strict=True
    ):
        body = {"reporter": None} if flags.get("anonymous") else {"reporter": person}
        described = f"{person['name']} melapor: {SECRET_TEXT}"
        filing = await intake(
            FileComplaint(submission(description=described, **flags, **body), "web"), system.intake
        )
        await system.deliver(filing.complaint_id)
        filings.append(filing)
    return system, filings


async def test_only_complaints_neither_confidential_nor_anonymous_and_only_codes(tmp_path):
    system, filings = await three_complaints(tmp_path)
    page = await handle(OpenComplaints(), system.reporting)
    assert [r["tracking_id"] for r in page["items"]] == [filings[0].tracking_id]
    assert set(page["items"][0]) == {f[0] for f in COMPLAINT_FIELDS}
    steps = (await handle(OpenTimeline(filings[0].tracking_id), system.reporting))["steps"]
    assert [s["event"] for s in steps][:2] == ["complaint.filed", "complaint.verified"]
    assert any(s["agency_code"] == "kota-bandung" for s in steps)
    for hidden in filings[1:]:
        with pytest.raises(Refused) as refused:
            await handle(OpenTimeline(hidden.tracking_id), system.reporting)
        assert refused.value.code == "not_found"


async def test_counts_cover_every_complaint_and_withhold_small_cells(tmp_path):
    system, _ = await three_complaints(tmp_path)
    rows = (await handle(OpenAggregates("agency"), system.reporting))["rows"]
    assert rows == [
        {
            "dimension": "agency",
            "code": "kota-bandung",
            "status": "disposed",
            "complaints": 3,
            "suppressed": False,
        }
    ]
    system.reporting.settings.open_data_min_cell = 4
    [withheld] = (await handle(OpenAggregates("agency"), system.reporting))["rows"]
    assert withheld["complaints"] is None and withheld["suppressed"] is True


async def test_the_package_matches_its_descriptor_and_holds_no_personal_data(tmp_path):
    system, filings = await three_complaints(tmp_path)
    folder = await handle(ExportOpenData(), system.reporting)
    assert (tmp_path / "open-data" / "latest").resolve() == folder.resolve()
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["profile"] == "tabular-data-package"
    assert {r["path"] for r in package["resources"]} == {
        f"{t}.{x}" for t in ("complaints", "timeline", "aggregates") for x in ("csv", "json")
    }
    for resource in package["resources"]:
        data = (folder / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
        names = [f["name"] for f in resource["schema"]["fields"]]
        if resource["format"] == "csv":
            assert next(csv.reader(data.decode().splitlines())) == names
        else:
            assert all(list(row) == names for row in json.loads(data))
    complaints = list(csv.DictReader((folder / "complaints.csv").open()))
    assert [c["tracking_id"] for c in complaints] == [filings[0].tracking_id]
    everything = "\n".join(p.read_text() for p in folder.iterdir() if p.is_file())
    for person in PEOPLE:
        for value in person.values():
            assert value not in everything, value
            assert value.replace(" ", "") not in everything.replace(" ", ""), value
    assert SECRET_TEXT not in everything
    for hidden in filings[1:]:
        assert hidden.tracking_id not in everything
