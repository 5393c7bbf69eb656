"""Security attacks on the running platform (real broker, real PostgreSQL, every service),
through its public interfaces: one reporter trying to stall routing for everyone, and the
personal-data duties (the log of contact reads, erasure from the command line)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.e2e.system import (
    TopicReader,
    file,
    key,
    poll_until,
    started_system,
    wait_status,
)

AUDITOR = {"X-API-Key": "demo-auditor-bpk"}


@pytest.fixture(scope="module")
def system():
    with started_system("e2e-security") as running:
        yield running


async def test_one_reporter_cannot_stall_routing_for_everyone(system, client):
    """Once, ~55 long comments made a work item pass the producer's 1 MB limit and routing
    retried it forever, disposing nothing more while /readyz said ready."""
    filed = await file(client, system, title="Jalan rusak, komentar panjang")
    await wait_status(client, system, filed, "disposed", timeout_s=60)
    url = f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}/replies"
    token = {"X-Access-Token": filed["access_token"]}
    answers = []
    for i in range(22):
        comment = {"action": "add_information", "message": f"{i:02d}" + "x" * 19_998}
        answers.append((await client.post(url, json=comment, headers=token)).status_code)
    assert answers == [200] * 20 + [409, 409]

    queue = system.topic("agency.kota-bandung")
    async with TopicReader(system.admin, queue) as reader:

        async def twentieth_comment():
            for message in await reader.poll():
                item = json.loads(message.value)
                if item.get("complaint_id") == filed["complaint_id"] and any(
                    m.startswith("19") for m in item.get("reporter_messages", ())
                ):
                    return message
            return None

        last = await poll_until(twentieth_comment, timeout_s=60, what="the 20th comment's item")
    item = json.loads(last.value)
    assert len(last.value) < 64_000 and item["messages_omitted"] == 20
    assert item["case_file_path"] == f"/v1/complaints/{filed['complaint_id']}"

    other = await file(client, system, title="Lampu jalan mati")
    await wait_status(client, system, other, "disposed", timeout_s=30)
    ready = await client.get(f"{system.url('routing')}/readyz")
    assert ready.status_code == 200 and ready.json()["stalled_s"] == {}


async def test_contact_reads_are_logged_and_erasure_works_from_the_command_line(system, client):
    filed = await file(client, system, title="Pungli di loket", category="jalan")
    await wait_status(client, system, filed, "disposed", timeout_s=60)
    case = f"{system.url('followup')}/v1/agency/complaints/{filed['complaint_id']}"
    seen = await client.get(case, headers=key("kota-bandung"))
    assert seen.status_code == 200 and seen.json()["reporter"]["name"] == "Budi Santoso"

    reads_url = f"{system.url('intake')}/v1/audit/contact-reads"
    params = {"complaint_id": filed["complaint_id"]}
    assert (
        await client.get(reads_url, params=params, headers=key("kota-bandung"))
    ).status_code == 403
    reads = (await client.get(reads_url, params=params, headers=AUDITOR)).json()
    assert {(r["reader"], r["purpose"]) for r in reads} == {
        ("routing for kota-bandung", "work item disposed"),
        ("agency kota-bandung", "case file"),
    }
    assert all(r["read_at"] for r in reads) and "Budi" not in json.dumps(reads)

    erased = system.cli(
        "-m", "services", "erase-personal-data", filed["tracking_id"], "--operator", "dpo@test"
    )
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["key_shredded"] is True

    async def forgotten():
        answer = await client.get(case, headers=key("kota-bandung"))
        return answer.json()["reporter"] is None

    await poll_until(forgotten, what="the contact gone from the agency's case file")
    timeline = system.cli("-m", "services", "timeline", filed["tracking_id"], "--json")
    events = json.loads(timeline.stdout)
    assert events[-1]["event_type"] == "complaint.personal_data_erased"
    assert events[-1]["actor"] == {"role": "national_admin", "id": "cli:dpo@test", "person": None}
    again = system.cli(
        "-m", "services", "erase-personal-data", filed["tracking_id"], "--operator", "dpo@test"
    )
    assert again.returncode == 0 and json.loads(again.stdout)["erased_now"] is False
    missing = system.cli(
        "-m", "services", "erase-personal-data", str(uuid.uuid4()), "--operator", "x"
    )
    assert missing.returncode == 2 and "not erased" in missing.stderr
