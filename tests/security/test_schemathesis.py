"""schemathesis over every service's OpenAPI document, in process: each app is built over one
set of in-memory fakes (a few complaints filed and disposed first) and called with the national
admin's demo key, so the generated requests get past the 401. No answer may be a server error,
and every answer must conform to what the document says.

Bounded so that the whole module takes seconds: SCHEMATHESIS_MAX_EXAMPLES examples per operation
(25 by default), derandomized (the same cases on every run). To search longer and wider:

    SCHEMATHESIS_MAX_EXAMPLES=1000 SCHEMATHESIS_RANDOM=1 \\
        PYTHONPATH=. .venv/bin/python -m pytest -q tests/security/test_schemathesis.py

(`SCHEMATHESIS_RANDOM=1` draws new cases on each run; a failure prints the case to replay.)
"""

from __future__ import annotations

import asyncio
import os
import zlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from tests.security.apps import ADMIN, CHANNEL, agency, service_app
from tests.unit.fakes import FakeSystem, fake_system, submission

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("SCHEMATHESIS_RANDOM", "") != "1"


@dataclass(frozen=True)
class Seeded:
    """A complaint filed before the run: its ids, and the reporter's token."""

    complaint_id: UUID
    tracking_id: str
    access_token: str


def _seeded() -> tuple[FakeSystem, list[Seeded]]:
    """A fake system with a few complaints along the lifecycle, so that generated requests
    also reach real complaints, not only an empty store."""
    # No rate limits in the way: every generated request reaches its route.
    unlimited = "1000000/minute"
    system = fake_system(
        filing_rate_per_client=unlimited,
        filing_rate_per_channel=unlimited,
        reply_rate_per_client=unlimited,
        agency_rate_per_key=unlimited,
    )
    seeded: list[Seeded] = []

    async def seed() -> None:
        for fields in ({}, {"anonymous": True, "reporter": None}, {"category": None}):
            filing = await intake(FileComplaint(submission(**fields), "web"), system.intake)
            await system.deliver(filing.complaint_id)
            seeded.append(Seeded(filing.complaint_id, filing.tracking_id, filing.access_token))

    asyncio.run(seed())
    return system, seeded


def _config(key: str | None) -> schemathesis.Config:
    auth = {"openapi": {"ApiKey": {"api_key": key}}} if key else {}
    return schemathesis.Config.from_dict(
        {
            # Through the documented scheme, so that schemathesis knows which requests carry
            # the key (its negative cases drop it and expect a refusal).
            "auth": auth,
            # Unknown query parameters are ignored, as HTTP APIs commonly do; not a failure.
            "generation": {"allow-extra-parameters": False},
        }
    )


SYSTEM, SEEDED = _seeded()
SCHEMAS = {
    name: schemathesis.openapi.from_asgi(
        "/openapi.json", service_app(service, SYSTEM), config=_config(key)
    )
    for name, service, key in [
        # The channel the generated filings name when they pass validation is seldom "web":
        # most are refused (403, channel_mismatch), the rest reach the decider.
        ("intake", "intake", CHANNEL["X-API-Key"]),
        ("routing", "routing", ADMIN["X-API-Key"]),
        ("followup", "followup", ADMIN["X-API-Key"]),
        # The agency the seeded complaints are disposed to: its replies reach the decider.
        ("followup_agency", "followup", agency("kota-bandung")["X-API-Key"]),
        ("reporting", "reporting", ADMIN["X-API-Key"]),
    ]
}
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _aim(case: Any) -> None:
    """Point two cases in three at a seeded complaint (chosen from the case itself, so a
    derandomized run stays the same), with the reporter's token where one is asked for."""
    path = case.path_parameters or {}
    pick = zlib.crc32(repr((case.body, case.query, path)).encode()) % (len(SEEDED) * 3 // 2)
    if pick >= len(SEEDED):
        return
    target = SEEDED[pick]
    if "complaint_id" in path:
        path["complaint_id"] = str(target.complaint_id)
    if "tracking_id" in path:
        path["tracking_id"] = target.tracking_id
        case.headers = {**(case.headers or {}), "X-Access-Token": target.access_token}


def _call(case: Any) -> None:
    if case.meta is None or case.meta.generation.mode.is_positive:
        _aim(case)
    # Not positive_data_acceptance: a request the schema allows may still break a domain rule
    # (a contact unless anonymous; the admin naming an agency), and is rightly refused (422).
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@SCHEMAS["intake"].parametrize()
@BOUNDED
def test_intake(case: Any) -> None:
    _call(case)


@SCHEMAS["routing"].parametrize()
@BOUNDED
def test_routing(case: Any) -> None:
    _call(case)


@SCHEMAS["followup"].parametrize()
@BOUNDED
def test_followup(case: Any) -> None:
    _call(case)


@SCHEMAS["followup_agency"].parametrize()
@BOUNDED
def test_followup_as_an_agency(case: Any) -> None:
    _call(case)


@SCHEMAS["reporting"].parametrize()
@BOUNDED
def test_reporting(case: Any) -> None:
    _call(case)
