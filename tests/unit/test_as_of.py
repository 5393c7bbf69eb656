"""The auditor's past instants and timelines, over the fakes: a complaint as it stood then,
the dashboards as they read then (rebuilt from the log), and each event's recording time,
chain hash and the named person who held the acting key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.hashing import GENESIS, chain_hash
from events.messages import AgencyReply
from followup.handlers import ReplyAsAgency
from followup.handlers import handle as followup
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from reporting.audit import ComplaintAsOf, DashboardsAsOf, Timeline, holder_at
from reporting.handlers import handle
from reporting.settings import KeyHolder
from services.kernel.refusals import Refused
from tests.unit.fakes import CONTACT, fake_system, submission


async def followed_up_a_day_later():
    system = fake_system()
    filed_at = system.clock.now()
    filing = await intake(FileComplaint(submission(), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    await system.clock.advance(timedelta(days=1))
    reply = AgencyReply(action="follow_up", message="Sudah ditambal")
    await followup(ReplyAsAgency("kota-bandung", filing.complaint_id, reply), system.followup)
    await system.deliver(filing.complaint_id)
    return system, filing, filed_at


async def test_a_complaint_as_it_stood_at_any_instant():
    system, filing, filed_at = await followed_up_a_day_later()
    then = await handle(
        ComplaintAsOf(filing.tracking_id, filed_at + timedelta(hours=1)), system.reporting
    )
    now = await handle(ComplaintAsOf(filing.tracking_id, system.clock.now()), system.reporting)
    assert (then["status"], now["status"]) == ("disposed", "followed_up")
    assert (
        then["events"] < now["events"] == len(await system.store.read_stream(filing.complaint_id))
    )
    assert then["agency_code"] == "kota-bandung"
    assert all(value not in str(then) + str(now) for value in CONTACT.values())
    with pytest.raises(Refused) as before:
        await handle(
            ComplaintAsOf(filing.tracking_id, filed_at - timedelta(seconds=1)), system.reporting
        )
    assert before.value.code == "not_found"


async def test_the_dashboards_as_they_read_then_are_rebuilt_from_the_log():
    system, _, filed_at = await followed_up_a_day_later()
    then = await handle(DashboardsAsOf(filed_at + timedelta(hours=1)), system.reporting)
    now = await handle(DashboardsAsOf(system.clock.now()), system.reporting)
    assert then["complaints"] == {"total": 1, "by_status": {"disposed": 1}}
    assert now["complaints"] == {"total": 1, "by_status": {"followed_up": 1}}
    [bandung_then] = [a for a in then["agencies"] if a["agency_code"] == "kota-bandung"]
    [bandung_now] = [a for a in now["agencies"] if a["agency_code"] == "kota-bandung"]
    assert (bandung_then["followed_up"], bandung_now["followed_up"]) == (0, 1)
    live = await system.reporting.read_models.agency_performance(system.clock.now())
    assert now["agencies"] == live  # as of now, the rebuild equals the live read model
    empty = await handle(DashboardsAsOf(filed_at - timedelta(days=1)), system.reporting)
    assert empty["complaints"]["total"] == 0 and empty["agencies"] == []


async def test_the_timeline_shows_recording_time_hash_and_the_person_behind_the_key():
    system, filing, _ = await followed_up_a_day_later()
    timeline = await handle(Timeline(filing.tracking_id), system.reporting)
    stream = await system.store.read_stream(filing.complaint_id)
    previous = GENESIS
    for entry, event in zip(timeline, stream, strict=True):
        previous = chain_hash(previous, event.to_record())
        assert entry["hash"] == previous.hex()
        assert entry["recorded_at"] and entry["global_position"] >= 1
    people = {(e["actor"]["role"], e["actor"]["id"]): e["actor"]["person"] for e in timeline}
    assert people[("agency", "kota-bandung")] == "Agus Hermawan (Diskominfo Kota Bandung)"
    assert people[("channel", "web")] is None  # nobody named for that key


def test_the_holder_is_the_one_whose_term_had_begun():
    first = KeyHolder(person="A", since=datetime(2024, 1, 1, tzinfo=UTC))
    second = KeyHolder(person="B", since=datetime(2025, 6, 1, tzinfo=UTC))
    holders = {"agency:kota-bandung": [second, first]}
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert holder_at(holders, "agency:kota-bandung", at) == "A"
    assert holder_at(holders, "agency:kota-bandung", at.replace(year=2026)) == "B"
    assert holder_at(holders, "agency:kota-bandung", at.replace(year=2023)) is None
    assert holder_at(holders, "agency:kab-bogor", at) is None
