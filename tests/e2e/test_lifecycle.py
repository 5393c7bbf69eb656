"""The complaint lifecycle end to end, through the public interfaces only: the HTTP APIs, the
Kafka topics (intake, intake results, agency queues, agency replies) and the command line,
against the whole system started as `make run` starts it (real broker, real PostgreSQL)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

from services.platform.auth import sign
from tests.e2e.system import (
    ADMIN,
    ROOT,
    TopicReader,
    agency_reply,
    as_channel,
    complaint_body,
    file,
    key,
    poll_until,
    publish,
    reporter_says,
    signed,
    started_system,
    status_of,
    wait_held,
    wait_status,
)
from tests.integration.helpers import bypass_append_only


@pytest.fixture(scope="module")
def system():
    with started_system("e2e") as running:
        yield running


def signed_reply(agency: str, **fields):
    body = json.dumps({"agency_code": agency, **fields}).encode()
    return (
        fields["complaint_id"].encode(),
        body,
        [("lapor_signature", sign(f"demo-{agency}", body).encode())],
    )


async def test_happy_path_from_filing_to_closed(system, client):
    filed = await file(client, system)
    assert filed["tracking_id"].startswith("lpr-")
    view = await wait_status(client, system, filed, "disposed")
    assert view["agency"]["code"] == "kota-bandung"

    # The agency's queue topic carries the work item, with the (non-anonymous) reporter contact.
    async with TopicReader(system.admin, system.topic("agency.kota-bandung")) as queue:
        item = await queue.wait_for(
            lambda m: (
                m.get("complaint_id") == filed["complaint_id"] and m.get("reason") == "disposed"
            ),
            what="the disposition work item",
        )
    assert item["reporter"]["name"] == "Budi Santoso"
    assert item["description"].startswith("Lubang besar")

    # Acknowledge over the agency-replies topic (signed), the rest over HTTP.
    await wait_held(client, system, filed, "kota-bandung")
    await publish(
        system.admin,
        system.topic("agency-replies"),
        [
            signed_reply(
                "kota-bandung",
                reply_id="ack-1",
                complaint_id=filed["complaint_id"],
                action="acknowledge",
            )
        ],
    )
    async with TopicReader(system.admin, system.topic("agency.kota-bandung")) as queue:
        notice = await queue.wait_for(
            lambda m: m.get("reply_id") == "ack-1", what="the reply notice"
        )
    assert notice["status"] == "applied"
    await agency_reply(
        client, system, filed, "kota-bandung", action="forward", unit_code="kota-bandung.dinas-pupr"
    )
    answer = await agency_reply(
        client,
        system,
        filed,
        "kota-bandung",
        action="propose_resolution",
        message="Lubang sudah ditambal.",
        resolution_code="fixed",
    )
    assert answer["status"] == "resolved"  # resting until the reporter confirms

    response = await client.post(
        f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}/replies",
        json={"action": "satisfied", "message": "Terima kasih"},
        headers={"X-Access-Token": filed["access_token"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    events = [e["event"] for e in response.json()["timeline"]]
    assert events == [
        "complaint.filed",
        "complaint.verified",
        "complaint.disposed",
        "complaint.disposition_acknowledged",
        "complaint.forwarded_to_unit",
        "complaint.follow_up_posted",
        "complaint.reporter_replied",
        "complaint.resolved",
        "complaint.closed",
    ]
    assert "Budi" not in response.text and "3456" not in response.text

    # The read model follows, and the auditor sees every event with who and when.
    async def closed_in_reports():
        rows = await client.get(
            f"{system.url('reporting')}/v1/reports/complaints",
            params={"status": "closed"},
            headers=ADMIN,
        )
        return [r for r in rows.json()["items"] if r["complaint_id"] == filed["complaint_id"]]

    [row] = await poll_until(closed_in_reports, what="the closed complaint in the read model")
    assert row["closed_reason"] == "resolved" and row["first_follow_up_agency"] == "kota-bandung"
    timeline = system.cli("-m", "reporting", "timeline", filed["tracking_id"])
    assert timeline.returncode == 0, timeline.stderr
    lines = timeline.stdout.strip().splitlines()
    assert len(lines) == 9
    assert "complaint.disposition_acknowledged" in lines[3] and "agency:kota-bandung" in lines[3]
    assert "reporter:" in lines[6]


async def test_an_agency_acts_only_on_complaints_disposed_to_it(system, client):
    filed = await file(
        client, system, title="Puskesmas tutup", category="kesehatan", region_code="35.78"
    )
    await wait_status(client, system, filed, "disposed")
    url = f"{system.url('followup')}/v1/agency/complaints/{filed['complaint_id']}"
    other = key("kota-bandung")
    assert (await client.get(url, headers=other)).status_code == 404
    refused = await client.post(f"{url}/replies", json={"action": "acknowledge"}, headers=other)
    # The same answer as for a complaint that does not exist: nothing leaks across agencies.
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert (await client.post(f"{url}/replies", json={"action": "acknowledge"})).status_code == 401
    # On the topic: a reply signed by another agency's key is rejected, and says so.
    await publish(
        system.admin,
        system.topic("agency-replies"),
        [
            signed_reply(
                "kota-bandung",
                reply_id="not-mine",
                complaint_id=filed["complaint_id"],
                action="acknowledge",
            )
        ],
    )
    async with TopicReader(system.admin, system.topic("agency.kota-bandung")) as queue:
        notice = await queue.wait_for(
            lambda m: m.get("reply_id") == "not-mine", what="the rejection"
        )
    assert notice["status"] == "rejected" and notice["error"] == "not_found"
    view = await status_of(client, system, filed)
    assert not view["timeline"][-1]["event"].endswith("acknowledged")


async def test_a_refusal_re_disposes_and_two_refusals_reach_the_national_admin(system, client):
    filed = await file(
        client, system, title="Jembatan retak", category="jalan", region_code="32.01"
    )
    await wait_status(client, system, filed, "disposed")
    await agency_reply(
        client,
        system,
        filed,
        "kab-bogor",
        action="refuse",
        reason="Jalan nasional",
        suggested_agency_code="kemenpu",
    )
    view = await wait_status(client, system, filed, "disposed")
    assert view["agency"]["code"] == "kemenpu"
    async with TopicReader(system.admin, system.topic("agency.kemenpu")) as queue:
        item = await queue.wait_for(
            lambda m: m.get("complaint_id") == filed["complaint_id"], what="re-disposition"
        )
    assert item["refused_by"] == ["kab-bogor"]

    await agency_reply(client, system, filed, "kemenpu", action="refuse", reason="Jalan kabupaten")
    async with TopicReader(system.admin, system.topic("agency.national-admin")) as queue:
        item = await queue.wait_for(
            lambda m: m.get("complaint_id") == filed["complaint_id"],
            what="the national admin's work item",
        )
    assert item["reason"] == "needs_disposition"
    queue_rows = (
        await client.get(f"{system.url('routing')}/v1/verification-queue", headers=ADMIN)
    ).json()
    [row] = [r for r in queue_rows["items"] if r["complaint_id"] == filed["complaint_id"]]
    assert row["refused_by"] == ["kab-bogor", "kemenpu"]
    assert (await status_of(client, system, filed))["status"] == "verified"  # nobody re-disposed it

    dispose = f"{system.url('routing')}/v1/complaints/{filed['complaint_id']}/dispose"
    back = await client.post(dispose, json={"agency_code": "kab-bogor"}, headers=ADMIN)
    assert back.status_code == 409 and back.json()["error"] == "refused_before"
    assert (
        await client.post(dispose, json={"agency_code": "kab-bogor"}, headers=key("kemenpu"))
    ).status_code == 403
    ok = await client.post(dispose, json={"agency_code": "prov-jawa-barat"}, headers=ADMIN)
    assert ok.status_code == 200, ok.text
    assert (await wait_status(client, system, filed, "disposed"))["agency"][
        "code"
    ] == "prov-jawa-barat"


async def test_missed_deadlines_escalate_up_the_hierarchy(system, client):
    filed = await file(
        client, system, title="Puskesmas kekurangan obat", category="kesehatan", region_code="35.78"
    )
    await wait_status(client, system, filed, "disposed")
    await agency_reply(
        client,
        system,
        filed,
        "kota-surabaya",
        action="forward",
        unit_code="kota-surabaya.dinas-kesehatan",
    )
    advance = f"{system.url('followup')}/v1/clock/advance"
    assert (
        await client.post(advance, json={"working_days": 6}, headers=key("kota-surabaya"))
    ).status_code == 403

    expected = [
        ("agency", "kota-surabaya"),
        ("province", "prov-jawa-timur"),
        ("national_admin", None),
    ]
    for step, (tier, agency) in enumerate(expected, start=1):
        moved = await client.post(advance, json={"working_days": 6}, headers=ADMIN)
        assert moved.status_code == 200, moved.text

        async def escalated(step=step):
            view = await status_of(client, system, filed)
            found = [e for e in view["timeline"] if e["event"] == "complaint.escalated"]
            return found if len(found) >= step else None

        found = await poll_until(escalated, what=f"escalation {step}")
        assert len(found) == step and found[-1]["to_tier"] == tier
        queue = system.topic(f"agency.{agency or 'national-admin'}")
        async with TopicReader(system.admin, queue) as reader:
            item = await reader.wait_for(
                lambda m: (
                    m.get("complaint_id") == filed["complaint_id"]
                    and m.get("reason") == "escalated"
                ),
                what=f"the escalation on {queue}",
            )
        assert item["agency_code"] == agency
    admin_queue = (
        await client.get(f"{system.url('routing')}/v1/verification-queue", headers=ADMIN)
    ).json()
    assert filed["complaint_id"] in {r["complaint_id"] for r in admin_queue["items"]}


async def test_an_anonymous_reporter_never_reaches_an_agency(system, client):
    secret_name, secret_phone = "Rahasia Wibowo", "+62 899 7777 1234"
    reporter = {"name": secret_name, "phone": secret_phone, "email": "rahasia@example.org"}
    anonymous = await file(
        client,
        system,
        title="Pungli di kelurahan",
        category="kependudukan",
        region_code="31.74",
        anonymous=True,
        reporter=reporter,
    )
    named = await file(
        client,
        system,
        title="Pungli di kecamatan",
        category="kependudukan",
        region_code="31.74",
        reporter={"name": "Nama Terang", "phone": "+62 811 0000 1111"},
    )
    agency = "kota-jakarta-selatan"
    for filed in (anonymous, named):
        await wait_status(client, system, filed, "disposed")
        await agency_reply(
            client, system, filed, agency, action="follow_up", message="Sedang diperiksa"
        )
        await client.post(
            f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}/replies",
            json={"action": "not_satisfied", "message": "Belum ada tindakan"},
            headers={"X-Access-Token": filed["access_token"]},
        )
        await wait_status(client, system, filed, "in_follow_up")
    comment = await client.post(
        f"{system.url('intake')}/v1/complaints/{anonymous['tracking_id']}/replies",
        json={"action": "add_information", "message": "Foto kuitansi menyusul"},
        headers={"X-Access-Token": anonymous["access_token"]},
    )
    assert comment.status_code == 200, comment.text

    async with TopicReader(system.admin, system.topic(f"agency.{agency}")) as reader:
        item = await reader.wait_for(
            lambda m: (
                m.get("complaint_id") == anonymous["complaint_id"]
                and m.get("reason") == "reporter_replied"
            ),
            what="the reporter's comment reaching the agency",
        )
        assert item["reporter_messages"][-1] == "Foto kuitansi menyusul"
        assert item["reporter"] is None
        await reader.wait_for(
            lambda m: (
                m.get("complaint_id") == anonymous["complaint_id"] and m.get("reason") == "reopened"
            ),
            what="the reopened work item",
        )
        await reader.wait_for(
            lambda m: (
                m.get("complaint_id") == named["complaint_id"] and m.get("reason") == "reopened"
            ),
            what="the named complaint's work item",
        )
        topic_bytes = b"".join(m.value + b"".join(v for _, v in m.headers) for m in reader.messages)
    responses = [
        await client.get(
            f"{system.url('followup')}/v1/agency/complaints/{f['complaint_id']}",
            headers=key(agency),
        )
        for f in (anonymous, named)
    ]
    responses.append(
        await client.get(f"{system.url('followup')}/v1/agency/queue", headers=key(agency))
    )
    responses.append(
        await client.get(f"{system.url('reporting')}/v1/reports/complaints", headers=key(agency))
    )
    api_text = "".join(r.text for r in responses)
    for secret in (secret_name, secret_phone, "rahasia@example.org", "Rahasia", "7777"):
        assert secret.encode() not in topic_bytes
        assert secret not in api_text
    # The scan can fail: the named reporter's contact does reach the agency.
    assert b"Nama Terang" in topic_bytes and "Nama Terang" in api_text
    assert responses[0].json()["reporter"] is None and responses[0].json()["anonymous"] is True


async def test_a_confidential_complaint_shows_nothing_without_the_reporters_token(system, client):
    filed = await file(
        client, system, confidential=True, title="Dugaan suap perizinan", category="perizinan"
    )
    url = f"{system.url('intake')}/v1/complaints/{filed['tracking_id']}"
    hidden = await client.get(url)
    assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
    assert (await client.get(url, headers={"X-Access-Token": "x" * 32})).status_code == 404
    shown = await client.get(url, headers={"X-Access-Token": filed["access_token"]})
    assert shown.status_code == 200 and shown.json()["title"] == "Dugaan suap perizinan"
    public = await file(client, system, title="Trotoar rusak")
    view = (
        await client.get(f"{system.url('intake')}/v1/complaints/{public['tracking_id']}")
    ).json()
    assert view["title"] == "Trotoar rusak" and "Budi" not in json.dumps(view)
    reply = await client.post(f"{url}/replies", json={"action": "satisfied"})
    assert reply.status_code == 404  # without the token, not even its existence is confirmed


async def test_bad_input_gets_a_clear_error_and_stores_nothing(system, client):
    before = await client.get(
        f"{system.url('reporting')}/v1/reports/complaints",
        params={"channel": "bad-input"},
        headers=ADMIN,
    )
    invalid = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(
            channel="bad-input", title="", region_code="Jakarta", reporter={"name": "A"}
        ),
        headers=as_channel("bad-input"),
    )
    assert invalid.status_code == 422
    fields = {e["field"] for e in invalid.json()["errors"]}
    assert {"title", "region_code", "reporter"} <= fields
    assert "Jakarta" not in invalid.text  # the refused value is not echoed
    no_contact = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(channel="bad-input", reporter=None),
        headers=as_channel("bad-input"),
    )
    assert no_contact.status_code == 422 and "anonymous" in no_contact.text
    bad_key = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(channel="bad-input"),
        headers={"Idempotency-Key": "spaces are bad", **as_channel("bad-input")},
    )
    assert (
        bad_key.status_code == 422
        and bad_key.json()["errors"][0]["field"] == "header.Idempotency-Key"
    )
    same_key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}", **as_channel("bad-input")}
    first = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(channel="bad-input"),
        headers=same_key,
    )
    other = await client.post(
        f"{system.url('intake')}/v1/complaints",
        json=complaint_body(channel="bad-input", title="Lain"),
        headers=same_key,
    )
    assert first.status_code == 201 and other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"

    # On the intake topic: invalid -> a rejected result; not even JSON -> the dead-letter topic.
    bad = json.dumps({"submission_id": "s-bad", "channel": "bad-input", "title": "x"}).encode()
    await publish(
        system.admin,
        system.topic("intake"),
        [(b"s-bad", bad, signed("bad-input", bad)), (b"junk", b"\xff not json", [])],
    )
    async with TopicReader(system.admin, system.topic("intake-results.bad-input")) as results:
        result = await results.wait_for(
            lambda m: m["submission_id"] == "s-bad", what="the rejection"
        )
    assert result["status"] == "rejected"
    assert {e["field"] for e in result["errors"]} >= {"description"}
    async with TopicReader(system.admin, system.topic("dead-letter")) as letters:

        async def dead_lettered():
            return any(m.value == b"\xff not json" for m in await letters.poll())

        await poll_until(dead_lettered, what="the undecodable submission in the dead-letter topic")
        [letter] = [m for m in letters.messages if m.value == b"\xff not json"]
    assert b"not JSON" in dict(letter.headers)["dlq_reason"]
    after = await client.get(
        f"{system.url('reporting')}/v1/reports/complaints",
        params={"channel": "bad-input"},
        headers=ADMIN,
    )
    assert after.json()["total"] <= before.json()["total"] + 1  # only the one valid filing


async def test_two_thousand_complaints_over_http_and_the_topic_exactly_once(
    system, client, pool_for
):
    import asyncio

    run = uuid.uuid4().hex[:6]
    http_channel, topic_channel = "bulk-http", "bulk-topic"
    semaphore = asyncio.Semaphore(16)

    async def post(i: int) -> str:
        async with semaphore:
            response = await client.post(
                f"{system.url('intake')}/v1/complaints",
                json=complaint_body(
                    channel=http_channel, title=f"Aspirasi {i}", kind="aspiration", category=None
                ),
                headers={"Idempotency-Key": f"{run}-{i}", **as_channel(http_channel)},
            )
            assert response.status_code == 201, response.text
            return response.json()["complaint_id"]

    http_ids = await asyncio.gather(*(post(i) for i in range(1000)))
    retried = await asyncio.gather(*(post(i) for i in range(100)))  # a client's retries
    assert retried == http_ids[:100] and len(set(http_ids)) == 1000

    def submission(i: int):
        body = complaint_body(
            channel=topic_channel, title=f"Laporan {i}", category=None, submission_id=f"{run}-{i}"
        )
        value = json.dumps(body).encode()
        return (body["submission_id"].encode(), value, signed(topic_channel, value))

    await publish(system.admin, system.topic("intake"), [submission(i) for i in range(1000)])
    await publish(
        system.admin, system.topic("intake"), [submission(i) for i in range(0, 1000, 10)]
    )  # re-sent
    results_topic = system.topic(f"intake-results.{topic_channel}")
    async with TopicReader(system.admin, results_topic) as results:

        def accepted():
            mine = [m for m in results.json() if m["submission_id"].startswith(f"{run}-")]
            return mine if len(mine) >= 1100 else None

        async def check():
            await results.poll()
            return accepted()

        mine = await poll_until(check, timeout_s=180, what="1,100 intake results")
    assert {m["status"] for m in mine} == {"accepted"}
    by_submission: dict[str, set[str]] = {}
    for m in mine:
        by_submission.setdefault(m["submission_id"], set()).add(m["complaint_id"])
    assert len(by_submission) == 1000 and all(len(ids) == 1 for ids in by_submission.values())

    async def counted(channel):
        response = await client.get(
            f"{system.url('reporting')}/v1/reports/complaints",
            params={"channel": channel, "limit": 1},
            headers=ADMIN,
        )
        return response.json()["total"]

    for channel in (http_channel, topic_channel):
        await poll_until(
            lambda c=channel: _equals(counted(c), 1000),
            timeout_s=180,
            what=f"1,000 rows for {channel}",
        )
    pool = await pool_for(system)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload->>'channel' AS channel, count(*) AS filings, "
            "count(DISTINCT complaint_id) AS streams FROM events "
            "WHERE event_type = 'complaint.filed' AND payload->>'channel' = ANY($1) GROUP BY 1",
            [http_channel, topic_channel],
        )
    assert {(r["channel"], r["filings"], r["streams"]) for r in rows} == {
        (http_channel, 1000, 1000),
        (topic_channel, 1000, 1000),
    }


async def _equals(awaitable, expected):
    return (await awaitable) == expected


async def test_a_rebuild_gives_the_digests_of_the_live_read_models(system, client):
    async def settled():
        first = (
            await client.get(f"{system.url('reporting')}/v1/reports/digests", headers=ADMIN)
        ).json()
        import asyncio

        await asyncio.sleep(1.5)
        second = (
            await client.get(f"{system.url('reporting')}/v1/reports/digests", headers=ADMIN)
        ).json()
        return first if first == second else None

    live = await poll_until(settled, timeout_s=120, what="the projection to settle")
    assert live["rm_complaints"]["rows"] > 2000
    rebuilt = system.cli("-m", "reporting", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    printed = {
        line.split()[0]: line.split("digest=")[1]
        for line in rebuilt.stdout.splitlines()
        if "digest=" in line
    }
    assert printed == {table: found["digest"] for table, found in live.items()}
    verified = system.cli("-m", "reporting", "verify")
    assert verified.returncode == 0 and " 0 broken" in verified.stdout


@pytest.fixture
async def pool_for():
    from services.platform.db import create_pool

    pools = []

    async def connect(system):
        database_url = json.loads((system.var_dir / "infra.json").read_text())["database_url"]
        pool = await create_pool(database_url, max_size=2)
        pools.append(pool)
        return pool

    yield connect
    for pool in pools:
        await pool.close()


async def test_the_readme_examples_connect_a_channel_an_agency_and_an_auditor(system, client):
    channel = system.cli("docs/examples/channel_publish.py")
    assert channel.returncode == 0, channel.stderr
    result = json.loads(channel.stdout)
    assert result["status"] == "accepted" and result["tracking_id"].startswith("lpr-")

    filed = await file(
        client, system, title="Drainase tersumbat", category="jalan", region_code="73.71"
    )
    await wait_status(client, system, filed, "disposed")
    connector = system.cli(
        "docs/examples/agency_connector.py", "kota-makassar", "demo-kota-makassar", "--once"
    )
    assert connector.returncode == 0, connector.stderr
    assert f"work item {filed['tracking_id']} (disposed)" in connector.stdout
    assert ": applied" in connector.stdout
    view = await status_of(client, system, filed)
    assert view["timeline"][-1]["event"] == "complaint.disposition_acknowledged"

    timeline = system.cli("-m", "reporting", "timeline", filed["tracking_id"], "--json")
    assert timeline.returncode == 0, timeline.stderr
    events = json.loads(timeline.stdout)
    assert [e["event_type"] for e in events][-1] == "complaint.disposition_acknowledged"
    assert events[-1]["actor"] == {"role": "agency", "id": "kota-makassar", "person": None}
    assert len(events[-1]["hash"]) == 64 and events[-1]["recorded_at"]
    missing = system.cli("-m", "reporting", "timeline", "lpr-0000-0000-0000")
    assert missing.returncode == 2 and "no complaint" in missing.stderr


async def test_the_auditor_verify_names_a_complaint_whose_history_was_altered(
    system, client, pool_for
):
    filed = await file(client, system, title="Akan diubah diam-diam")
    await wait_status(client, system, filed, "disposed")
    assert system.cli("-m", "reporting", "verify").returncode == 0
    pool = await pool_for(system)
    async with pool.acquire() as conn:
        await bypass_append_only(conn)  # what only a superuser can do
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{title}', '\"Judul palsu\"') "
            "WHERE complaint_id = $1 AND version = 1",
            uuid.UUID(filed["complaint_id"]),
        )
    try:
        verified = system.cli("-m", "reporting", "verify")
        assert verified.returncode == 1
        assert (
            f"BROKEN complaint {filed['complaint_id']} ({filed['tracking_id']}) at version 1"
            in verified.stdout
        )
    finally:
        async with pool.acquire() as conn:
            await bypass_append_only(conn)  # what only a superuser can do
            await conn.execute(
                "UPDATE events SET payload = jsonb_set(payload, '{title}', to_jsonb($2::text)) "
                "WHERE complaint_id = $1 AND version = 1",
                uuid.UUID(filed["complaint_id"]),
                "Akan diubah diam-diam",
            )
    assert system.cli("-m", "reporting", "verify").returncode == 0


async def test_a_replayed_key_returns_the_token_only_to_the_same_reporter(system, client):
    url = f"{system.url('intake')}/v1/complaints"
    headers = {"Idempotency-Key": f"guessable-{uuid.uuid4().hex[:6]}", **as_channel("web")}
    body = complaint_body(title="Trotoar amblas")
    first = await client.post(url, json=body, headers=headers)
    assert first.status_code == 201
    retry = await client.post(url, json=body, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["complaint_id"] == first.json()["complaint_id"]
    # A fresh token for the proven reporter; the first one (perhaps never received) ends.
    assert retry.json()["access_token"] not in (None, first.json()["access_token"])
    # Same key and the same public content, but not the same person: no token, no complaint.
    impostor = dict(body, reporter={"name": "Orang Lain", "phone": "+62 811 2222 3333"})
    stolen = await client.post(url, json=impostor, headers=headers)
    assert stolen.status_code == 422 and stolen.json()["error"] == "idempotency_key_reused"
    assert first.json()["access_token"] not in stolen.text


def readme_block(name: str) -> str:
    """The shell block the README marks `<!-- kcat:<name> ... -->`, exactly as written."""
    text = (ROOT / "README.md").read_text()
    marker = text.index(f"<!-- kcat:{name} ")
    start = text.index("```sh\n", marker) + len("```sh\n")
    return text[start : text.index("```", start)]


def kcat(system, script: str, timeout_s: float = 90) -> str:
    """Run a README block with bash against this system's broker and topic prefix."""
    env = {**os.environ, "B": system.bootstrap, "P": system.env["LAPOR_TOPIC_PREFIX"]}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_debians_kcat_files_on_the_intake_topic_and_reads_an_agency_queue(system):
    """A client nobody here wrote: kcat publishes a submission, reads its result and the work
    item on the agency's queue, with the commands the README shows."""
    assert shutil.which("kcat"), "make test installs Debian's kcat"
    [result_line] = kcat(system, readme_block("channel")).strip().splitlines()
    key, value = result_line.split(" ", 1)
    result = json.loads(value)
    assert key == "sms-20261122-0001" and result["status"] == "accepted", result
    assert result["tracking_id"].startswith("lpr-") and result["access_token"]

    async def work_item():
        for line in kcat(system, readme_block("agency")).splitlines():
            headers, _, body = line.partition(" ")
            if "lapor_type=work-item" in headers:
                item = json.loads(body)
                if item["complaint_id"] == result["complaint_id"]:
                    return item
        return None

    item = await poll_until(work_item, what="the work item read with kcat")
    assert item["reason"] == "disposed" and item["queue"] == system.topic("agency.kota-bandung")
    assert item["reporter"]["name"] == "Siti Rahayu"


async def test_a_proposed_resolution_rests_until_the_reporter_confirms_and_rates_it(system, client):
    filed = await file(client, system, title="Lampu taman mati")
    await wait_status(client, system, filed, "disposed")
    await agency_reply(
        client,
        system,
        filed,
        "kota-bandung",
        action="propose_resolution",
        message="Lampu sudah diganti",
        resolution_code="fixed",
    )
    resting = await wait_status(client, system, filed, "resolved")
    assert resting["resolution_code"] == "fixed" and "reporter_reply" in resting["deadlines"]
    early = await reporter_says(client, system, filed, action="rate")
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "rating"
    confirmed = await reporter_says(client, system, filed, action="satisfied")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "closed"
    rated = await reporter_says(client, system, filed, action="rate", rating=5, message="Cepat")
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    timeline = rated.json()["timeline"]
    resolved = next(e for e in timeline if e["event"] == "complaint.resolved")
    assert (resolved["resolution_code"], resolved["confirmed_by"]) == ("fixed", "reporter")
    assert timeline[-1] == {**timeline[-1], "event": "complaint.rated", "rating": 5}
    assert "Cepat" not in json.dumps(timeline)  # the reporter's words stay private
    again = await reporter_says(client, system, filed, action="rate", rating=1)
    assert again.status_code == 409 and again.json()["error"] == "already_rated"


async def test_an_agency_extends_its_deadline_and_asks_the_reporter(system, client):
    from datetime import datetime, timedelta

    filed = await file(client, system, title="Saluran air tersumbat")
    disposed = await wait_status(client, system, filed, "disposed")
    # Three days past the running deadline (on the platform's clock, which tests here move).
    until = datetime.fromisoformat(disposed["deadlines"]["follow_up"]) + timedelta(days=3)
    granted = await agency_reply(
        client,
        system,
        filed,
        "kota-bandung",
        action="request_extension",
        reason="Menunggu alat berat",
        extend_until=until.isoformat(),
    )
    assert granted["events"] == ["complaint.deadline_extended"]
    beyond = await client.post(
        f"{system.url('followup')}/v1/agency/complaints/{filed['complaint_id']}/replies",
        json={
            "action": "request_extension",
            "reason": "Lama sekali",
            "extend_until": (until + timedelta(days=60)).isoformat(),
        },
        headers=key("kota-bandung"),
    )
    assert beyond.status_code == 409 and beyond.json()["error"] == "extension_limit"
    by_admin = await client.post(
        f"{system.url('routing')}/v1/complaints/{filed['complaint_id']}/extend",
        json={
            "new_due": (until + timedelta(days=60)).isoformat(),
            "justification": "Perbaikan besar disetujui",
        },
        headers=ADMIN,
    )
    assert by_admin.status_code == 200, by_admin.text
    view = await status_of(client, system, filed)
    extensions = [e for e in view["timeline"] if e["event"] == "complaint.deadline_extended"]
    assert [e["granted_by"] for e in extensions] == ["rule", "national_admin"]

    await agency_reply(
        client,
        system,
        filed,
        "kota-bandung",
        action="request_information",
        message="Di gang yang mana?",
    )
    paused = await wait_status(client, system, filed, "awaiting_reporter")
    assert paused["clocks_paused"] is True
    answered = await reporter_says(
        client, system, filed, action="add_information", message="Gang Mawar"
    )
    assert answered.status_code == 200
    back = await wait_status(client, system, filed, "disposed")  # not back to verification
    assert back["agency"]["code"] == "kota-bandung" and back["clocks_paused"] is False
