"""The HTTP error conventions over a real route and the in-memory fakes: refusal kinds become
statuses, and storage outages a 503 with Retry-After, never a 500."""

from __future__ import annotations

import asyncpg
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake import api
from intake.bootstrap import bootstrap_fakes
from services.platform.auth import KeyRing, demo_key
from services.platform.http import install_error_handlers
from services.platform.memory import InMemoryEventStore
from services.platform.ratelimit import install_rate_limit_handler
from tests.unit.fakes import submission


class UnreachableStore(InMemoryEventStore):
    async def find_by_tracking_id(self, tracking_id: str):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("PostgreSQL is restarting")

    async def read_stream(self, complaint_id, from_version=1):  # type: ignore[no-untyped-def]
        raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")


def client_for(deps) -> TestClient:  # type: ignore[no-untyped-def]
    app = FastAPI()
    install_error_handlers(app)
    install_rate_limit_handler(app)
    keyring = KeyRing(deps.ports.settings, deps.ports.registry)
    api.mount(app, deps, keyring)
    return TestClient(
        app, raise_server_exceptions=False, headers={"X-API-Key": demo_key("web", "channel")}
    )


def test_a_storage_outage_answers_503_with_retry_after():
    deps = bootstrap_fakes().channels
    deps.ports.store = UnreachableStore()
    http = client_for(deps)
    for response in (
        http.get("/v1/complaints/lpr-0000-0000-0000"),
        http.post(
            "/v1/complaints",
            json=submission().model_dump(mode="json"),
            headers={"Idempotency-Key": "k-1"},
        ),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "2"
        assert response.json()["error"] == "unavailable"


def test_refusal_kinds_become_statuses_with_the_field():
    http = client_for(bootstrap_fakes().channels)
    missing = http.get("/v1/complaints/lpr-0000-0000-0000")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    body = submission().model_dump(mode="json")
    assert (
        http.post("/v1/complaints", json=body, headers={"Idempotency-Key": "a"}).status_code == 201
    )
    other = body | {"title": "Lain"}
    reused = http.post("/v1/complaints", json=other, headers={"Idempotency-Key": "a"})
    assert reused.status_code == 422
    assert reused.json()["errors"] == [
        {"field": "Idempotency-Key", "problem": reused.json()["message"]}
    ]
