"""The attacks on intake, run through its public HTTP interface (in process, over the in-memory
fakes) and its topic decoder, each asserting that it now fails: unauthenticated or impersonating
channels, stolen or derived tokens, replays, floods, endless comments, and reading or erasing
personal data without the right."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from intake import api
from intake.agents import Undeliverable, submission_decoder
from intake.bootstrap import bootstrap_fakes
from services.platform.auth import KeyRing, demo_key, sign
from services.platform.http import install_error_handlers
from services.platform.memory import memory_ports
from services.platform.ports import ContactRead
from services.platform.ratelimit import install_rate_limit_handler
from services.platform.settings import DEV_MASTER_KEY, PlatformSettings
from tests.e2e.system import ROOT
from tests.unit.fakes import CONTACT, split_settings, submission

WEB = {"X-API-Key": demo_key("web", "channel")}
SMS = {"X-API-Key": demo_key("sms", "channel")}
ADMIN = {"X-API-Key": demo_key("national-admin")}
AGENCY = {"X-API-Key": demo_key("kota-bandung")}
AUDITOR = {"X-API-Key": demo_key("bpk", "auditor")}


def intake_app(**settings: Any) -> tuple[FastAPI, Any]:
    """intake's routes over fresh fakes, with the given settings."""
    given = split_settings(**settings)
    ports = memory_ports(given.platform)
    deps = bootstrap_fakes(ports, given.intake).channels
    app = FastAPI()
    install_error_handlers(app)
    install_rate_limit_handler(app)
    api.mount(app, deps, KeyRing(ports.settings, ports.registry))
    return app, deps


def client(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    """A client calling from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://intake")


def body(**fields: Any) -> dict[str, Any]:
    return submission(**fields).model_dump(mode="json")


async def file_confidential(http: httpx.AsyncClient) -> dict[str, Any]:
    """A confidential complaint filed by the web channel: what the filing answered."""
    filed: dict[str, Any] = (
        await http.post("/v1/complaints", json=body(confidential=True), headers=WEB)
    ).json()
    return filed


async def test_filing_needs_a_channel_key_and_only_as_that_channel():
    app, deps = intake_app()
    async with client(app) as http:
        anonymous = await http.post("/v1/complaints", json=body())
        agency = await http.post("/v1/complaints", json=body(), headers=AGENCY)
        forged = await http.post("/v1/complaints", json=body(channel="sms"), headers=WEB)
        own = await http.post("/v1/complaints", json=body(channel="sms"), headers=SMS)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    assert agency.status_code == 403
    assert forged.status_code == 403 and forged.json()["errors"][0]["field"] == "channel"
    assert own.status_code == 201
    assert len(await deps.ports.store.read_all()) == 1


async def test_a_replay_never_hands_the_token_to_someone_who_cannot_repeat_the_reporter():
    app, _ = intake_app()
    key = {"Idempotency-Key": "guessable-1"}
    async with client(app) as http:
        first = await http.post("/v1/complaints", json=body(), headers=WEB | key)
        stranger = body(reporter={"name": "Orang Lain", "phone": "+62 811 2222 3333"})
        stolen = await http.post("/v1/complaints", json=stranger, headers=WEB | key)
        other_channel = await http.post(
            "/v1/complaints", json=body(channel="sms"), headers=SMS | key
        )
        anonymous = body(anonymous=True, reporter=None, confidential=True)
        anon_key = {"Idempotency-Key": "anon-1"}
        anon_first = await http.post("/v1/complaints", json=anonymous, headers=WEB | anon_key)
        anon_again = await http.post("/v1/complaints", json=anonymous, headers=WEB | anon_key)
    token = first.json()["access_token"]
    assert stolen.status_code == 422 and token not in stolen.text
    # The same key from another channel is another complaint altogether.
    assert other_channel.status_code == 201
    assert other_channel.json()["complaint_id"] != first.json()["complaint_id"]
    assert anon_first.json()["access_token"]
    assert anon_again.status_code == 201 and anon_again.json()["access_token"] is None
    assert anon_again.headers["Idempotent-Replayed"] == "true"


async def test_a_token_cannot_be_worked_out_from_the_complaint_id():
    """The old tokens were HMAC(published placeholder key, complaint id)."""
    app, _ = intake_app()
    async with client(app) as http:
        filed = await file_confidential(http)
        guesses = []
        for secret in (
            hashlib.sha256(b"lapor reporter access tokens\x00" + DEV_MASTER_KEY.encode()).digest(),
            DEV_MASTER_KEY.encode(),
        ):
            mac = hmac.new(
                secret, b"reporter-access\x00" + UUID(filed["complaint_id"]).bytes, "sha256"
            )
            guesses.append(base64.urlsafe_b64encode(mac.digest()[:24]).decode())
        url = f"/v1/complaints/{filed['tracking_id']}"
        for guess in guesses:
            answer = await http.get(url, headers={"X-Access-Token": guess})
            assert answer.status_code == 404  # a confidential complaint: not even its existence
        assert (
            await http.get(url, headers={"X-Access-Token": filed["access_token"]})
        ).status_code == 200


async def test_a_rotated_token_replaces_the_old_one():
    app, _ = intake_app()
    async with client(app) as http:
        filed = await file_confidential(http)
        url = f"/v1/complaints/{filed['tracking_id']}"
        old = {"X-Access-Token": filed["access_token"]}
        rotated = await http.post(f"{url}/access-token", headers=old)
        new = {"X-Access-Token": rotated.json()["access_token"]}
        assert rotated.status_code == 200
        assert (await http.get(url, headers=old)).status_code == 404
        assert (await http.get(url, headers=new)).status_code == 200
        assert (await http.delete(f"{url}/access-token", headers=new)).status_code == 204
        assert (await http.get(url, headers=new)).status_code == 404
        assert (await http.post(f"{url}/access-token", headers=new)).status_code == 404


async def test_a_flood_from_one_client_is_refused_and_another_client_is_served():
    app, deps = intake_app(filing_rate_per_client="5/minute")
    async with client(app, "198.51.100.1") as flooder, client(app, "198.51.100.2") as citizen:
        answers = [
            (await flooder.post("/v1/complaints", json=body(), headers=WEB)).status_code
            for _ in range(8)
        ]
        refused = await flooder.post("/v1/complaints", json=body(), headers=WEB)
        served = await citizen.post("/v1/complaints", json=body(), headers=WEB)
    assert answers == [201] * 5 + [429] * 3
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert served.status_code == 201
    assert len(await deps.ports.store.read_all()) == 6


async def test_a_channel_key_has_its_own_limit_whatever_the_address():
    app, _ = intake_app(filing_rate_per_channel="3/minute")
    answers = []
    for i in range(4):
        async with client(app, f"192.0.2.{i}") as http:
            answers.append(
                (await http.post("/v1/complaints", json=body(), headers=WEB)).status_code
            )
    async with client(app, "192.0.2.99") as http:
        other = await http.post("/v1/complaints", json=body(channel="sms"), headers=SMS)
    assert answers == [201, 201, 201, 429] and other.status_code == 201


async def test_replies_are_rate_limited_and_comments_bounded():
    app, _ = intake_app(reply_rate_per_client="4/minute", max_reporter_messages=2)
    async with client(app) as http:
        filed = (await http.post("/v1/complaints", json=body(), headers=WEB)).json()
        url = f"/v1/complaints/{filed['tracking_id']}/replies"
        token = {"X-Access-Token": filed["access_token"]}
        comment = {"action": "add_information", "message": "x" * 20_000}
        answers = [
            (await http.post(url, json=comment, headers=token)).status_code for _ in range(5)
        ]
    assert answers == [200, 200, 409, 409, 429]


async def test_only_the_national_admin_erases_and_only_auditors_read_the_read_log():
    app, deps = intake_app()
    async with client(app) as http:
        filed = (await http.post("/v1/complaints", json=body(), headers=WEB)).json()
        erase = f"/v1/admin/complaints/{filed['complaint_id']}/erase-personal-data"
        assert (await http.post(erase)).status_code == 401
        assert (await http.post(erase, headers=AGENCY)).status_code == 403
        assert (await http.post(erase, headers=AUDITOR)).status_code == 403
        complaint_id = UUID(filed["complaint_id"])
        [filing] = await deps.ports.store.read_stream(complaint_id)
        read = ContactRead("agency kota-bandung", "case file", complaint_id)
        await deps.ports.vault.get(filing.payload.reporter_ref, read=read)  # logged
        done = await http.post(erase, headers=ADMIN)
        assert done.status_code == 200 and done.json()["key_shredded"] is True
        log = "/v1/audit/contact-reads"
        assert (await http.get(log, headers=AGENCY)).status_code == 403
        reads = await http.get(log, params={"complaint_id": filed["complaint_id"]}, headers=AUDITOR)
    assert reads.status_code == 200
    assert [r["reader"] for r in reads.json()] == ["agency kota-bandung"]
    assert CONTACT["phone"] not in reads.text
    events = [e.payload.event_type for e in await deps.ports.store.read_stream(complaint_id)]
    assert events[-1] == "complaint.personal_data_erased"


def test_an_unsigned_or_forged_topic_submission_is_dead_lettered():
    settings = PlatformSettings(_env_file=None, environment="test")
    decode = submission_decoder(KeyRing(settings, memory_ports(settings).registry))
    value = json.dumps(body(channel="sms") | {"submission_id": "s-1"}).encode()
    with pytest.raises(Undeliverable, match="lapor_signature"):
        decode(b"s-1", value, [])
    with pytest.raises(Undeliverable, match="lapor_signature"):  # signed with web's key
        decode(
            b"s-1", value, [("lapor_signature", sign(demo_key("web", "channel"), value).encode())]
        )
    good = [("lapor_signature", sign(demo_key("sms", "channel"), value).encode())]
    data, channel = decode(b"s-1", value, good)
    assert channel == "sms" and data["submission_id"] == "s-1"


def test_the_settings_fail_closed_without_an_environment(monkeypatch):
    monkeypatch.delenv("LAPOR_ENVIRONMENT", raising=False)
    with pytest.raises(ValueError, match="LAPOR_ENVIRONMENT is unset"):
        PlatformSettings(_env_file=None)
    with pytest.raises(ValueError, match="demo keys"):
        PlatformSettings(
            _env_file=None,
            master_key="a-real-secret",
            demo_keys=True,
            kafka_bootstrap_servers="127.0.0.1:1",
            database_url="postgresql://127.0.0.1:1/x",
        )


def test_a_service_refuses_to_start_without_an_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env |= {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "DATABASE_URL": "postgresql://127.0.0.1:1/x"}
    done = subprocess.run(
        [sys.executable, "-m", "intake"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "LAPOR_MASTER_KEY" in done.stderr + done.stdout


async def test_a_topic_submission_with_thousands_of_bad_keys_gets_a_small_result():
    from intake.handlers import SubmitFromTopic, handle

    _, deps = intake_app()
    data = {"submission_id": "s-big", "channel": "sms"} | {
        f"k{i:06d}" * 20: i for i in range(20_000)
    }
    result = await handle(SubmitFromTopic(data, "sms"), deps)
    assert result.status == "rejected" and len(result.errors) == 20
    [sent] = deps.ports.publisher.on(deps.ports.settings.intake_results_topic("sms"))
    assert len(sent.value) < 20_000


async def test_a_leaked_agency_key_cannot_sweep_the_case_files():
    """Case files carry contacts: reads per agency key are limited (429), other agencies not."""
    from tests.security.apps import agency, service_app
    from tests.unit.fakes import fake_system

    system = fake_system(agency_rate_per_key="3/minute")
    app = service_app("followup", system)
    async with client(app) as http:
        url = "/v1/agency/complaints/00000000-0000-4000-8000-000000000000"
        answers = [
            (await http.get(url, headers=agency("kota-bandung"))).status_code for _ in range(4)
        ]
        other = await http.get(url, headers=agency("kota-makassar"))
    assert answers == [404, 404, 404, 429] and other.status_code == 404
