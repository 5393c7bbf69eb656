"""The HTTP safety conventions, through each service's app over the in-memory fakes: the body
limit, capped validation errors, no caching, `Allow` on 405, and a `status_url` no Host header
can change."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx

from services.platform.http import (
    DRAIN_BYTES,
    MAX_ERRORS,
    MAX_FIELD_CHARS,
    MAX_PROBLEM_CHARS,
    BodyLimit,
)
from tests.security.apps import ADMIN, CHANNEL, SERVICES, agency, client, service_app
from tests.unit.fakes import fake_system, submission

FILING = submission().model_dump(mode="json")


async def _events(system: Any) -> int:
    return len(await system.store.read_all())


# -- 1. the request body limit ----------------------------------------------------------------


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read():
    system = fake_system(max_body_bytes=4096)
    declared = DRAIN_BYTES + 1

    async def body() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read although its Content-Length was too large")
        yield b""  # pragma: no cover - makes this an async generator

    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post(
            "/v1/complaints",
            content=body(),
            headers={"Content-Length": str(declared), "Content-Type": "application/json"},
        )
    assert answer.status_code == 413, answer.text
    assert answer.json() == {
        "error": "body_too_large",
        "message": "the request body is larger than the limit of 4096 bytes",
        "errors": [],
        "limit_bytes": 4096,
    }
    assert answer.headers["connection"] == "close"
    assert await _events(system) == 0


async def test_a_streamed_body_is_cut_off_once_it_passes_the_limit():
    system = fake_system(max_body_bytes=4096)
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length (chunked): only counting the bytes can stop this body.
        nonlocal pulled
        for _ in range(4 * DRAIN_BYTES // 1024):
            pulled += 1
            yield b" " * 1024

    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post(
            "/v1/complaints", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "body_too_large"
    assert answer.json()["limit_bytes"] == 4096
    # The limit, then at most DRAIN_BYTES thrown away unread: the rest is never pulled.
    assert pulled <= (4096 + DRAIN_BYTES) // 1024 + 2
    assert await _events(system) == 0


async def test_the_app_never_sees_a_byte_past_the_limit():
    seen: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        try:
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        finally:
            seen.append(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    transport = httpx.ASGITransport(app=BodyLimit(app, limit=4096))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        answer = await http.post("/", content=chunks())
        small = await http.post("/", content=b"y" * 4096)
    assert answer.status_code == 413 and answer.json()["limit_bytes"] == 4096
    assert seen[0] == 4000  # four chunks; the fifth passed the limit and was never handed over
    assert small.status_code == 200 and small.text == "read it all" and seen[1] == 4096


async def test_a_body_within_the_limit_is_served():
    system = fake_system(max_body_bytes=4096)
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post("/v1/complaints", json=FILING)
    assert answer.status_code == 201, answer.text
    assert await _events(system) == 1


async def test_the_default_limit_is_256_kib_on_every_service():
    system = fake_system()
    body = b"[" + b" " * (256 * 1024) + b"]"
    for name in SERVICES:
        async with client(service_app(name, system), **ADMIN) as http:
            answer = await http.post(
                "/v1/complaints", content=body, headers={"Content-Type": "application/json"}
            )
        assert answer.status_code == 413, (name, answer.text)
        assert answer.json()["limit_bytes"] == 256 * 1024


# -- 2. validation errors: capped, cut, never echoing the input -------------------------------


async def test_a_body_with_many_bad_fields_lists_twenty_and_counts_the_rest():
    system = fake_system()
    body = FILING | {f"unknown_{i}": i for i in range(50)}
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post("/v1/complaints", json=body)
    assert answer.status_code == 422, answer.text
    found = answer.json()
    assert found["error"] == "invalid_input"
    assert len(found["errors"]) == MAX_ERRORS
    assert found["errors_omitted"] == 50 - MAX_ERRORS
    assert {"field", "problem", "type"} <= set(found["errors"][0])


async def test_a_long_field_name_is_cut_and_no_value_is_echoed():
    system = fake_system()
    secret = "NIK-3273012345670001"
    body = FILING | {"k" * 5000: secret, "title": 12345, "anonymous": secret}
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post("/v1/complaints", json=body)
    assert answer.status_code == 422, answer.text
    assert secret not in answer.text and "12345" not in answer.text
    errors = answer.json()["errors"]
    assert len(errors) == 3 and answer.json()["errors_omitted"] == 0
    assert all(len(e["field"]) <= MAX_FIELD_CHARS for e in errors)
    assert all(len(e["problem"]) <= MAX_PROBLEM_CHARS for e in errors)
    assert any(e["field"].startswith("kkkk") and e["field"].endswith("\u2026") for e in errors)


async def test_two_hundred_kb_of_unknown_keys_get_a_small_answer():
    system = fake_system()
    keys = {f"k{i}": 0 for i in range(20_000)}
    body = json.dumps(FILING | keys, separators=(",", ":")).encode()
    assert 190_000 < len(body) < 256 * 1024
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post(
            "/v1/complaints", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422, answer.text[:500]
    assert len(answer.content) < 8 * 1024
    assert answer.json()["errors_omitted"] == 20_000 - MAX_ERRORS


async def test_seven_hundred_thousand_unknown_keys_are_refused_unparsed():
    system = fake_system()
    body = json.dumps({f"{i:x}": 0 for i in range(700_000)}).encode()
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post(
            "/v1/complaints", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413
    assert len(answer.content) < 1024


# -- 3. no caching ----------------------------------------------------------------------------


async def test_every_answer_says_no_store():
    system = fake_system()
    intake = service_app("intake", system)
    async with client(intake, **CHANNEL) as http:
        filed = await http.post("/v1/complaints", json=FILING)
        answers = [
            filed,  # carries the reporter's access token
            await http.get(f"/v1/complaints/{filed.json()['tracking_id']}"),
            await http.get("/v1/complaints/lpr-0000-0000-0000"),  # 404
            await http.post("/v1/complaints", json={}),  # 422
            await http.get("/healthz"),
        ]
    assert filed.status_code == 201 and "access_token" in filed.json()
    complaint = UUID(filed.json()["complaint_id"])
    await system.deliver(complaint)
    async with client(service_app("followup", system), **agency("kota-bandung")) as http:
        case = await http.get(f"/v1/agency/complaints/{complaint}")
        answers.append(case)  # carries the reporter's contact
    assert case.status_code == 200 and case.json()["reporter"]["phone"]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", (answer.request.url, answer)


# -- 4. Allow on 405 --------------------------------------------------------------------------


async def test_a_wrong_method_answers_405_with_allow():
    system = fake_system()
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.delete("/v1/complaints")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"] == "http_error"
    assert answer.headers["cache-control"] == "no-store"
    # A path two routes serve allows the methods of both (Starlette alone names the first).
    async with client(service_app("intake", system), **CHANNEL) as http:
        both = await http.put("/v1/complaints/lpr-0000-0000-0000/access-token")
    assert both.status_code == 405 and both.headers["allow"] == "DELETE, POST"


# -- 5. status_url from settings --------------------------------------------------------------


async def test_status_url_is_built_on_the_setting_not_on_the_host_header():
    system = fake_system(public_base_url="https://lapor.example.go.id/intake/")
    async with client(service_app("intake", system), **CHANNEL) as http:
        answer = await http.post(
            "/v1/complaints",
            json=FILING,
            headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
        )
    assert answer.status_code == 201, answer.text
    filed = answer.json()
    assert filed["status_url"] == (
        f"https://lapor.example.go.id/intake/v1/complaints/{filed['tracking_id']}"
    )


async def test_status_url_defaults_to_intake_on_loopback():
    system = fake_system(intake_port=18555)
    async with client(service_app("intake", system), **CHANNEL) as http:
        filed = (await http.post("/v1/complaints", json=FILING, headers={"Host": "x.y"})).json()
    assert filed["status_url"] == f"http://127.0.0.1:18555/v1/complaints/{filed['tracking_id']}"
