"""The API key and the reporter's token are declared security schemes in the services' OpenAPI
documents, and declaring them changed nothing: a missing or wrong credential gets the platform's
own answer, not FastAPI's default."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.apps import ADMIN, CHANNEL, client, service_app
from tests.unit.fakes import fake_system, submission

FILING = submission().model_dump(mode="json")


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


@pytest.mark.parametrize(
    ("name", "guarded", "public"),
    [
        (
            "routing",
            [("POST", "/v1/complaints/{complaint_id}/verify"), ("GET", "/v1/verification-queue")],
            [("GET", "/v1/agencies")],
        ),
        (
            "followup",
            [("GET", "/v1/agency/queue"), ("POST", "/v1/clock/advance")],
            [("GET", "/v1/clock")],
        ),
        (
            "reporting",
            [("GET", "/v1/reports/complaints"), ("GET", "/v1/audit/timeline/{tracking_id}")],
            [("GET", "/v1/reports/agencies")],
        ),
    ],
)
async def test_the_api_key_is_a_declared_security_scheme(name, guarded, public):
    async with client(service_app(name, fake_system())) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "the API key of an agency, a work unit, the national admin, a channel, "
        "an oversight body or an auditor",
    }
    operations = _operations(document)
    for operation in guarded:
        assert operations[operation]["security"] == [{"ApiKey": []}], operation
    for operation in public:
        assert "security" not in operations[operation], operation
    # Declared, not read twice: no operation lists X-API-Key as a plain header parameter.
    for operation in operations.values():
        names = [p["name"].lower() for p in operation.get("parameters", [])]
        assert "x-api-key" not in names


async def test_the_reporter_token_is_a_declared_security_scheme_of_intake():
    async with client(service_app("intake", fake_system())) as http:
        document = (await http.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["ReporterToken"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"] == "X-Access-Token"
    operations = _operations(document)
    # Channels file with their key; the national admin erases; auditors read the read log.
    for operation in (
        ("POST", "/v1/complaints"),
        ("POST", "/v1/admin/complaints/{complaint_id}/erase-personal-data"),
        ("GET", "/v1/audit/contact-reads"),
    ):
        assert operations[operation]["security"] == [{"ApiKey": []}], operation
    assert {"ReporterToken": []} in operations[("POST", "/v1/complaints/{tracking_id}/replies")][
        "security"
    ]
    operations = _operations(document)
    replies = operations[("POST", "/v1/complaints/{tracking_id}/replies")]
    assert replies["security"] == [{"ReporterToken": []}]
    # Following a complaint that is not confidential needs no token: optional there.
    status = operations[("GET", "/v1/complaints/{tracking_id}")]
    assert status["security"] == [{"ReporterToken": []}, {}]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("routing", "/v1/verification-queue"),
        ("followup", "/v1/agency/queue"),
        ("reporting", "/v1/reports/complaints"),
    ],
)
async def test_a_missing_or_wrong_key_still_gets_the_platforms_401(name, path):
    app = service_app(name, fake_system())
    for headers in ({}, {"X-API-Key": "not-a-key"}, {"Authorization": "Bearer nope"}):
        async with client(app, **headers) as http:
            answer = await http.get(path)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json() == {
            "error": "unauthenticated",
            "message": "a valid API key is required (X-API-Key)",
            "errors": [],
        }
    async with client(app, Authorization=f"Bearer {ADMIN['X-API-Key']}") as http:
        assert (await http.get(path, params={"agency": "kota-bandung"})).status_code == 200


async def test_a_wrong_reporter_token_is_refused_as_before():
    system = fake_system()
    async with client(service_app("intake", system), **CHANNEL) as http:
        filed = (await http.post("/v1/complaints", json=FILING)).json()
        url = f"/v1/complaints/{filed['tracking_id']}/replies"
        body = {"action": "add_information", "message": "Foto terlampir"}
        wrong = await http.post(url, json=body, headers={"X-Access-Token": "nope"})
        right = await http.post(url, json=body, headers={"X-Access-Token": filed["access_token"]})
    assert wrong.status_code in (401, 404), wrong.text
    assert wrong.json()["error"] != "Not authenticated"
    assert right.status_code != wrong.status_code
