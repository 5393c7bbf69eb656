"""After closure and past the resolution limit, end to end through the public interfaces: the
reporter appeals and a reviewer above the agency decides; the Ombudsman takes over a
complaint unresolved at the limit, reads it from its own queue as its own broker principal,
and its findings end it. A system of its own: these tests move the platform clock 61 days."""

from __future__ import annotations

import json

import pytest

from tests.e2e.system import (
    ADMIN,
    Access,
    TopicReader,
    agency_reply,
    file,
    key,
    poll_until,
    reporter_says,
    started_system,
    status_of,
    wait_status,
)


@pytest.fixture(scope="module")
def system():
    with started_system("e2e-appeal") as running:
        yield running


async def closed_by(client, system, agency, **fields):
    """A complaint the agency resolved and the reporter confirmed."""
    filed = await file(client, system, **fields)
    await wait_status(client, system, filed, "disposed")
    await agency_reply(
        client,
        system,
        filed,
        agency,
        action="propose_resolution",
        message="Sudah diperbaiki",
        resolution_code="fixed",
    )
    await wait_status(client, system, filed, "resolved")
    confirmed = await reporter_says(client, system, filed, action="satisfied")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["appeal_until"]  # the window is shown to the reporter
    return filed


async def on_admin_list(client, system, status, complaint_id):
    """Whether the national admin's list shows the complaint in that status."""
    queue = await client.get(
        f"{system.url('routing')}/v1/verification-queue",
        params={"status": status},
        headers=ADMIN,
    )
    return complaint_id in {r["complaint_id"] for r in queue.json()["items"]}


def queue_of(system, agency):
    """The agency's queue, read as the agency's own broker principal."""
    return TopicReader(
        Access(system.bootstrap, system.auth(f"agency-{agency}")), system.topic(f"agency.{agency}")
    )


async def test_an_appeal_goes_to_the_province_which_reopens_it_with_a_new_owner(system, client):
    filed = await closed_by(client, system, "kota-bandung", title="Lampu jalan padam")
    appeal = await reporter_says(
        client, system, filed, action="appeal", message="Padam lagi keesokan harinya"
    )
    assert appeal.status_code == 200, appeal.text
    view = appeal.json()
    assert view["status"] == "appealed" and view["agency"]["code"] == "prov-jawa-barat"
    assert "appeal_review" in view["deadlines"]
    assert "Padam lagi" not in json.dumps(view["timeline"])  # the reporter's words stay private
    async with queue_of(system, "prov-jawa-barat") as province:
        item = await province.wait_for(
            lambda m: m.get("complaint_id") == filed["complaint_id"] and m["reason"] == "appealed",
            what="the appeal on the province's queue",
        )
    assert item["reporter_messages"] == ["Padam lagi keesokan harinya"]
    cid = filed["complaint_id"]
    by_city = await client.post(
        f"{system.url('followup')}/v1/agency/complaints/{cid}/replies",
        json={"action": "uphold_closure", "reason": "Sudah selesai"},
        headers=key("kota-bandung"),
    )
    assert by_city.status_code == 404  # the city does not judge its own closure
    await agency_reply(
        client,
        system,
        filed,
        "prov-jawa-barat",
        action="reopen",
        reason="Perbaikan tidak bertahan",
        assign_to="kota-bandung",
    )
    reopened = await wait_status(client, system, filed, "disposed")
    assert reopened["agency"]["code"] == "kota-bandung" and "follow_up" in reopened["deadlines"]
    decided = next(e for e in reopened["timeline"] if e["event"] == "complaint.appeal_decided")
    assert (decided["outcome"], decided["reviewer"]["code"]) == ("reopened", "prov-jawa-barat")
    async with queue_of(system, "kota-bandung") as city:
        await city.wait_for(
            lambda m: m.get("complaint_id") == cid and m["reason"] == "reopened",
            what="the reopened complaint back on the city's queue",
        )


async def test_the_national_admin_upholds_an_appeal_against_a_ministry_for_good(system, client):
    filed = await closed_by(
        client, system, "kemensos", title="Bansos tidak cair", category="bansos"
    )
    appeal = await reporter_says(client, system, filed, action="appeal")
    assert appeal.status_code == 200 and appeal.json()["status"] == "appealed"
    cid = filed["complaint_id"]
    await poll_until(
        lambda: on_admin_list(client, system, "appealed", cid), what="on the admin's list"
    )
    decide = f"{system.url('routing')}/v1/complaints/{cid}/appeal-decision"
    missing = await client.post(decide, json={"outcome": "reopened", "reason": "x"}, headers=ADMIN)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "assign_to"
    upheld = await client.post(
        decide, json={"outcome": "upheld", "reason": "Tindak lanjut sudah memadai"}, headers=ADMIN
    )
    assert upheld.status_code == 200, upheld.text
    closed = await wait_status(client, system, filed, "closed")
    assert closed["appeal_until"] is None
    again = await reporter_says(client, system, filed, action="appeal")
    assert again.status_code == 409 and again.json()["error"] == "not_appealable"


async def test_past_the_resolution_limit_the_ombudsman_takes_over_and_ends_it(system, client):
    ignored = await file(client, system, title="Izin usaha tidak diproses", region_code="32.73")
    asked = await file(client, system, title="Pohon tumbang belum diangkat", region_code="32.73")
    await wait_status(client, system, ignored, "disposed")
    await wait_status(client, system, asked, "disposed")
    await agency_reply(
        client, system, asked, "kota-bandung", action="request_information", message="Di mana?"
    )
    await wait_status(client, system, asked, "awaiting_reporter")
    moved = await client.post(
        f"{system.url('followup')}/v1/clock/advance", json={"days": 61}, headers=ADMIN
    )
    assert moved.status_code == 200, moved.text
    # Nobody resolved it in 60 days: referred by itself, without the reporter's consent.
    referred = await wait_status(client, system, ignored, "referred_to_ombudsman", timeout_s=60)
    assert referred["agency"]["code"] == "ombudsman-ri"
    entry = next(e for e in referred["timeline"] if e["event"] == "complaint.referred_to_ombudsman")
    assert entry["referral_reason"] == "resolution_limit"
    # The reporter waiting on a question asks for the Ombudsman: consent, so the contact goes.
    consent = await reporter_says(client, system, asked, action="refer_to_ombudsman")
    assert consent.status_code == 200 and consent.json()["status"] == "referred_to_ombudsman"
    async with queue_of(system, "ombudsman-ri") as ombudsman:

        def referral_of(filed):
            return lambda m: (
                m.get("complaint_id") == filed["complaint_id"]
                and m["reason"] == "referred_to_ombudsman"
            )

        without = await ombudsman.wait_for(referral_of(ignored), what="the automatic referral")
        with_consent = await ombudsman.wait_for(referral_of(asked), what="the asked referral")
    assert without["reporter"] is None
    assert with_consent["reporter"]["phone"] == "+62 812 3456 7890"
    cid = ignored["complaint_id"]
    watched = "referred_to_ombudsman"
    await poll_until(lambda: on_admin_list(client, system, watched, cid), what="watched")
    late = await client.post(
        f"{system.url('followup')}/v1/agency/complaints/{cid}/replies",
        json={"action": "follow_up", "message": "Baru sempat"},
        headers=key("kota-bandung"),
    )
    assert late.status_code == 404  # the agency no longer holds it
    await agency_reply(
        client, system, ignored, "ombudsman-ri", action="interim_findings", message="Klarifikasi"
    )
    await agency_reply(
        client,
        system,
        ignored,
        "ombudsman-ri",
        action="final_findings",
        message="Ditemukan penundaan berlarut",
        outcome="maladministration",
    )
    ended = await wait_status(client, system, ignored, "closed")
    findings = [e for e in ended["timeline"] if e["event"] == "complaint.ombudsman_findings_issued"]
    assert [(f["stage"], f["outcome"]) for f in findings] == [
        ("interim", None),
        ("final", "maladministration"),
    ]
    assert findings[-1]["message"] == "Ditemukan penundaan berlarut"

    async def off_the_watch_list():
        return not await on_admin_list(client, system, watched, cid)

    await poll_until(off_the_watch_list, what="the ended referral off the national admin's list")
    assert (await status_of(client, system, asked))["status"] == "referred_to_ombudsman"
