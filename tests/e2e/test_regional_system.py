"""A regional system connected both ways, end to end: the reference city system
(docs/examples/regional_system: its own app, its own SQLite database) is registered, its
5,000 historical complaints are backfilled through the CLI (killed with SIGKILL halfway, then
resumed: nothing lost or doubled), its connector runs while citizens file locally and
nationally, stops for a while and catches up, and a wiped mirror is replayed from the event
store. Only public interfaces: HTTP, the CLI, the city's own API."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from services.tooling.embedded import free_port
from services.tooling.regional_demo import CODE, STATUS_MAP
from tests.e2e.system import (
    ADMIN,
    ROOT,
    Access,
    TopicReader,
    file,
    poll_until,
    publish,
    started_system,
    wait_status,
)

HISTORY = 5_000
APP = "docs/examples/regional_system/app.py"
CONNECTOR = "docs/examples/regional_system/connector.py"


@pytest.fixture(scope="module")
def system():
    with started_system("e2e-regional") as running:
        yield running


@pytest.fixture(scope="module")
def city(system):
    """The city's own system, with two years of history, on a port of its own."""
    port = free_port()
    db = system.var_dir / "regional" / "bandung.db"
    process = subprocess.Popen(
        [sys.executable, APP, "--db", str(db), "--port", str(port), "--seed-history", str(HISTORY)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/complaints", params={"origin": "national"}, timeout=2)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    yield {"url": url, "db": db}
    process.terminate()
    process.wait(timeout=30)


def connector_argv(system, city, key, *extra):
    """The reference connector's command line against this system and city."""
    return [
        sys.executable,
        CONNECTOR,
        "--db",
        str(city["db"]),
        "--backbone",
        system.url("intake"),
        "--system",
        CODE,
        "--key",
        key,
        *extra,
    ]


def connector(system, city, key):
    return subprocess.Popen(connector_argv(system, city, key, "--interval", "0.2"), cwd=ROOT)


async def imported_total(client, system):
    response = await client.get(
        f"{system.url('reporting')}/v1/reports/complaints",
        params={"source": CODE, "limit": 1},
        headers=ADMIN,
    )
    return response.json()["total"]


async def test_a_regional_system_connects_both_ways(system, city, client, tmp_path):
    registered = await client.post(
        f"{system.url('intake')}/v1/systems",
        json={
            "code": CODE,
            "name": "Kota Bandung",
            "agencies": ["kota-bandung"],
            "status_map": STATUS_MAP,
            "reconciliation_url": f"{city['url']}/reconciliation",
        },
        headers=ADMIN,
    )
    assert registered.status_code == 201, registered.text
    key = registered.json()["key"]

    # Backfill the history with the CLI; kill it halfway (SIGKILL), then run it again.
    export = tmp_path / "history.jsonl"
    export.write_text((await client.get(f"{city['url']}/export.jsonl")).text)
    assert sum(1 for _ in export.open()) == HISTORY
    command = [
        sys.executable,
        "-m",
        "services",
        "systems",
        "backfill",
        str(export),
        "--system",
        CODE,
        "--key",
        key,
        "--url",
        system.url("intake"),
        "--batch-size",
        "100",
    ]
    checkpoint = tmp_path / "history.jsonl.checkpoint"
    first = subprocess.Popen(command, cwd=ROOT, env=system.env, stdout=subprocess.DEVNULL)
    poll_deadline = time.monotonic() + 120
    while time.monotonic() < poll_deadline:
        if checkpoint.exists() and json.loads(checkpoint.read_text())["line"] >= HISTORY // 3:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    halfway = json.loads(checkpoint.read_text())["line"]
    assert 0 < halfway < HISTORY
    started = time.monotonic()
    resumed = subprocess.run(command, cwd=ROOT, env=system.env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout[resumed.stdout.index("{") :])
    print(f"backfill resumed: {summary}, {time.monotonic() - started:.1f}s")
    assert summary["lines"] == HISTORY and summary["rejected"] == 0

    async def all_imported():
        return await imported_total(client, system) == HISTORY or None

    await poll_until(all_imported, timeout_s=240, what="5,000 imported complaints")

    # Live, both ways: the connector runs; citizens file in the city and nationally.
    running = connector(system, city, key)
    try:
        local = httpx.post(
            f"{city['url']}/complaints",
            json={"title": "Trotoar amblas", "description": "Di Jl. Riau"},
        )
        assert local.status_code == 201
        national = await file(client, system, title="Drainase mampet", region_code="32.73")

        async def both_sides():
            mirrored = httpx.get(f"{city['url']}/complaints", params={"origin": "national"}).json()
            there = {c["national_id"] for c in mirrored}
            return national["complaint_id"] in there and (
                await imported_total(client, system) == HISTORY + 1
            )

        await poll_until(both_sides, timeout_s=60, what="each side seeing the other's filing")
        mirrored = httpx.get(f"{city['url']}/complaints", params={"origin": "national"}).json()
        [copy] = [c for c in mirrored if c["national_id"] == national["complaint_id"]]
        # The city answers in its own words; the national complaint moves on.
        changed = httpx.post(
            f"{city['url']}/complaints/{copy['local_id']}/status",
            json={"status": "ditanggapi", "message": "Saluran sudah dibersihkan"},
        )
        assert changed.status_code == 200
        followed = await wait_status(client, system, national, "followed_up")
        assert any(e["event"] == "complaint.step_imported" for e in followed["timeline"])
    finally:
        running.terminate()
        running.wait(timeout=30)

    # The connector is down for a while; both sides go on filing.
    later_local = [
        httpx.post(f"{city['url']}/complaints", json={"title": f"Keluhan {i}", "description": "-"})
        for i in range(3)
    ]
    assert all(r.status_code == 201 for r in later_local)
    later_national = [
        await file(client, system, title=f"Laporan nasional {i}", region_code="32.73")
        for i in range(3)
    ]
    restarted = time.monotonic()
    running = connector(system, city, key)
    try:
        wanted = {national["complaint_id"]} | {n["complaint_id"] for n in later_national}

        async def caught_up():
            mirrored = httpx.get(f"{city['url']}/complaints", params={"origin": "national"}).json()
            ids = [c["national_id"] for c in mirrored]
            return (
                wanted <= set(ids) and await imported_total(client, system) == HISTORY + 4 and ids
            )

        ids = await poll_until(caught_up, timeout_s=90, what="catch-up after the outage")
        print(f"converged {time.monotonic() - restarted:.1f}s after the connector restarted")
        assert len(ids) == len(set(ids))  # nothing doubled in the mirror

        # The city loses its mirror of national complaints: the connector replays it.
        assert httpx.post(f"{city['url']}/admin/wipe-mirror").status_code == 204
        wiped = time.monotonic()

        async def replayed():
            mirrored = httpx.get(f"{city['url']}/complaints", params={"origin": "national"}).json()
            again = [c["national_id"] for c in mirrored]
            return again if set(again) == set(ids) else None

        again = await poll_until(replayed, timeout_s=180, what="the mirror replayed")
        print(f"mirror replayed {time.monotonic() - wiped:.1f}s after the wipe")
        assert sorted(again) == sorted(ids)
    finally:
        running.terminate()
        running.wait(timeout=30)
    assert await imported_total(client, system) == HISTORY + 4  # and nothing doubled nationally
    refused = await client.get(
        f"{system.url('intake')}/v1/systems/{CODE}/rejections", headers={"X-API-Key": key}
    )
    assert refused.status_code == 200 and refused.json() == []

    # Reconciliation: both sides agree; then a complaint the city never sent is found, the
    # connector repairs, and they agree again.
    reconcile = f"{system.url('intake')}/v1/systems/{CODE}/reconcile"
    agreed = (await client.post(reconcile, headers=ADMIN)).json()
    assert agreed.get("error") is None and agreed["drift"] == [], agreed
    assert agreed["cells_compared"] > 100
    with sqlite3.connect(city["db"]) as db:  # filed while the outbox was broken, say
        db.execute(
            "INSERT INTO complaints (local_id, origin, title, description, agency_code, status, "
            "filed_at, updated_at) VALUES ('BDG-LOST-1', 'local', 'Hilang', '-', "
            "'kota-bandung', 'diterima', '2026-01-05T01:00:00+00:00', "
            "'2026-01-05T01:00:00+00:00')"
        )
        db.execute(
            "INSERT INTO history (step_id, local_id, status, at) VALUES "
            "('BDG-LOST-1/1', 'BDG-LOST-1', 'diterima', '2026-01-05T01:00:00+00:00')"
        )
    found = (await client.post(reconcile, headers=ADMIN)).json()
    assert found["drift"] == [
        {"id": "BDG-LOST-1", "day": "2026-01-05", "national": None, "system": "diterima"}
    ]
    repair = subprocess.run(
        connector_argv(system, city, key, "--repair", "--once"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert repair.returncode == 0 and "repairing 1" in repair.stdout, repair.stderr
    repaired = (await client.post(reconcile, headers=ADMIN)).json()
    assert repaired["drift"] == [] and repaired["cells_differing"] == 0
    [health] = (await client.get(f"{system.url('intake')}/v1/systems/health", headers=ADMIN)).json()
    assert health["code"] == CODE and health["last_reconciliation"]["drift"] == 0
    assert health["rejected_steps"] == 0 and health["last_contact_at"] is not None


async def test_a_system_imports_over_its_own_topic_and_only_its_own(system, client):
    """The topic path: the operator opens the system's topic (its own broker principal, made
    at run time); the system writes items with aiokafka; intake imports them as the bulk
    endpoint does; what is not an item is dead-lettered with the reason; nobody else's topic
    is writable; a suspended system's messages are set aside; a closed topic refuses its login."""
    code = "bandung-topic"
    registered = await client.post(
        f"{system.url('intake')}/v1/systems",
        json={
            "code": code,
            "name": "Kanal topik",
            "agencies": ["kota-bandung"],
            "status_map": STATUS_MAP,
        },
        headers=ADMIN,
    )
    assert registered.status_code == 201, registered.text
    key = registered.json()["key"]
    opened = system.cli("-m", "services", "systems", "open-topic", code)
    assert opened.returncode == 0, opened.stderr[-3000:]
    grant = json.loads(opened.stdout[opened.stdout.index("{") :])
    assert grant["topic"] == system.topic(f"imports.{code}")
    access = Access(
        system.bootstrap,
        {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": grant["sasl_mechanism"],
            "sasl_plain_username": grant["principal"],
            "sasl_plain_password": grant["password"],
        },
    )

    def item(external_id, *statuses):
        return json.dumps(
            {
                "external_id": external_id,
                "agency_code": "kota-bandung",
                "title": f"Keluhan {external_id}",
                "description": "Lewat topik",
                "steps": [
                    {
                        "step_id": f"{external_id}/{n}",
                        "status": s,
                        "at": f"2026-02-0{n + 1}T01:00:00Z",
                    }
                    for n, s in enumerate(statuses)
                ],
            }
        ).encode()

    first = item("TOP-1", "diterima", "diproses")
    await publish(
        access,
        grant["topic"],
        [
            (b"TOP-1", first, []),
            (b"TOP-2", item("TOP-2", "diterima"), []),
            (b"TOP-3", item("TOP-3", "diterima", "teleportasi"), []),
            (b"junk", b'{"external_id": "TOP-4"}', []),
            (b"TOP-1", first, []),  # re-sent: changes nothing
        ],
    )

    async def imported():
        response = await client.get(
            f"{system.url('reporting')}/v1/reports/complaints",
            params={"source": code, "limit": 10},
            headers=ADMIN,
        )
        return response.json()["total"] == 3 and response.json()

    await poll_until(imported, timeout_s=60, what="the items written to the system's topic")
    refusals = await client.get(
        f"{system.url('intake')}/v1/systems/{code}/rejections", headers={"X-API-Key": key}
    )
    assert [(r["external_id"], r["error"]) for r in refusals.json()] == [
        ("TOP-3", "unmapped_status")
    ]
    async with TopicReader(system.admin, system.topic("dead-letter")) as letters:

        async def junk_set_aside():
            found = [m for m in await letters.poll() if m.key == b"junk"]
            return found and found[0]

        letter = await poll_until(junk_set_aside, what="the non-item in the dead-letter topic")
    reason = dict(letter.headers)["dlq_reason"].decode()
    assert "not an import item" in reason and "steps" in reason

    # Only its own topic: not the stream of every complaint, not the channels' intake topic.
    for elsewhere in ("complaint-events", "intake"):
        with pytest.raises(TopicAuthorizationFailedError):
            await publish(access, system.topic(elsewhere), [(b"x", b"{}", [])])

    # Suspended: what it still writes is set aside, with the reason.
    suspended = await client.post(
        f"{system.url('intake')}/v1/systems/{code}/suspend", headers=ADMIN
    )
    assert suspended.status_code == 200
    await publish(access, grant["topic"], [(b"TOP-5", item("TOP-5", "diterima"), [])])
    async with TopicReader(system.admin, system.topic("dead-letter")) as letters:

        async def suspended_set_aside():
            found = [m for m in await letters.poll() if m.key == b"TOP-5"]
            return found and found[0]

        letter = await poll_until(suspended_set_aside, what="the suspended system's item set aside")
    assert "suspended" in dict(letter.headers)["dlq_reason"].decode()

    # Closed: its credential is gone.
    closed = system.cli("-m", "services", "systems", "close-topic", code)
    assert closed.returncode == 0, closed.stderr[-3000:]
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap, **access.auth)
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()
