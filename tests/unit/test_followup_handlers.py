"""followup's use cases through the in-memory fakes: agency replies (HTTP and topic), the case
file an agency sees, its queue, the deadline scan and the demo clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events import catalog as ev
from events.fold import replay as replay_state
from events.messages import AgencyReply, AgencyReplyMessage
from followup.handlers import (
    COMMAND_HANDLERS,
    EVENT_HANDLERS,
    AdvanceClock,
    ListHeld,
    ReplyAsAgency,
    ReplyFromTopic,
    ScanDeadlines,
    ShowToAgency,
    handle,
)
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.fakes import FakeSystem, fake_system, submission

CITY = "kota-bandung"


async def held(system: FakeSystem, **fields):  # type: ignore[no-untyped-def]
    """A complaint filed, disposed to kota-bandung by the rules, known to followup."""
    filing = await intake(FileComplaint(submission(**fields), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    return filing.complaint_id


def test_every_command_and_event_type_has_a_handler():
    assert set(COMMAND_HANDLERS) == {
        ReplyAsAgency,
        ReplyFromTopic,
        ShowToAgency,
        ListHeld,
        ScanDeadlines,
        AdvanceClock,
    }
    assert set(EVENT_HANDLERS) == set(ev.ALL_EVENT_TYPES)


async def test_the_holding_agency_replies_once_per_reply_id_and_no_one_else_can():
    system = fake_system()
    complaint = await held(system)
    ack = ReplyAsAgency(CITY, complaint, AgencyReply(action="acknowledge"), "r-1")
    outcome = await handle(ack, system.followup)
    assert [e.event_type for e in outcome.appended] == ["complaint.disposition_acknowledged"]
    assert (await handle(ack, system.followup)).duplicate
    with pytest.raises(Refused) as other:
        await handle(
            ReplyAsAgency("kab-bogor", complaint, AgencyReply(action="acknowledge")),
            system.followup,
        )
    # The answer an absent complaint gets: nothing says the complaint exists.
    assert other.value.code == "not_found"
    assert other.value.kind is RefusalKind.NOT_FOUND


async def test_a_topic_reply_is_answered_on_the_agencys_own_queue():
    system = fake_system()
    complaint = await held(system)
    good = AgencyReplyMessage(
        reply_id="t-1", agency_code=CITY, complaint_id=complaint, action="acknowledge"
    )
    bad = AgencyReplyMessage(
        reply_id="t-2", agency_code=CITY, complaint_id=complaint, action="follow_up"
    )
    assert (await handle(ReplyFromTopic(good), system.followup)).status == "applied"
    rejected = await handle(ReplyFromTopic(bad), system.followup)
    assert (rejected.status, rejected.error) == ("rejected", "message_required")
    notices = [
        s.json()
        for s in system.published.on(system.ports.settings.agency_topic(CITY))
        if s.headers["lapor_type"] == "reply-notice"
    ]
    assert [(n["reply_id"], n["status"]) for n in notices] == [
        ("t-1", "applied"),
        ("t-2", "rejected"),
    ]


async def test_an_agency_sees_the_contact_only_of_named_reporters_and_only_its_own_cases():
    system = fake_system()
    named = await held(system)
    anonymous = await held(system, anonymous=True, reporter=None)
    view = await handle(ShowToAgency(CITY, named), system.followup)
    assert view["reporter"] == {"name": "Budi Santoso", "phone": "+62 812 3456 7890", "email": None}
    assert (await handle(ShowToAgency(CITY, anonymous), system.followup))["reporter"] is None
    with pytest.raises(Refused) as elsewhere:
        await handle(ShowToAgency("kab-bogor", named), system.followup)
    assert elsewhere.value.kind is RefusalKind.NOT_FOUND
    queue = await handle(ListHeld(CITY), system.followup)
    assert {row["complaint_id"] for row in queue} == {named, anonymous}
    assert await handle(ListHeld("kab-bogor"), system.followup) == []


async def test_a_missed_follow_up_escalates_to_the_province_when_the_clock_moves():
    system = fake_system()
    complaint = await held(system)
    assert await handle(ScanDeadlines(), system.followup) == 0
    moved = await handle(AdvanceClock(working_days=6), system.followup)
    assert moved == system.clock.now() and system.clock.offset > timedelta(days=6)
    assert await handle(ScanDeadlines(), system.followup) == 1
    escalated = (await system.store.read_stream(complaint))[-1].payload
    assert isinstance(escalated, ev.Escalated)
    assert escalated.to_agency_code == "prov-jawa-barat"
    await system.deliver(complaint)
    assert await handle(ScanDeadlines(), system.followup) == 0  # the new clock runs


async def test_the_clock_cannot_move_where_it_is_fixed():
    system = fake_system(adjustable_clock=False)
    with pytest.raises(Refused) as fixed:
        await handle(AdvanceClock(days=1), system.followup)
    assert fixed.value.code == "clock_fixed" and fixed.value.kind is RefusalKind.FORBIDDEN


async def test_a_refusal_twice_puts_the_complaint_on_the_national_admins_queue():
    system = fake_system()
    complaint = await held(system)
    refuse = AgencyReply(action="refuse", reason="Bukan wewenang kami")
    suggest = refuse.model_copy(update={"suggested_agency_code": "kemenpu"})
    await handle(ReplyAsAgency(CITY, complaint, suggest), system.followup)
    await system.deliver(complaint)
    second = (await system.store.read_stream(complaint))[-1].payload
    assert isinstance(second, ev.Disposed) and second.agency_code == "kemenpu"
    await handle(ReplyAsAgency("kemenpu", complaint, refuse), system.followup)
    await system.deliver(complaint)
    items = [
        s.json() for s in system.published.on(system.ports.settings.agency_topic("national-admin"))
    ]
    assert [i["reason"] for i in items] == ["needs_disposition"]


async def test_an_agency_asks_the_reporter_and_the_answer_brings_the_complaint_back():
    """Supplying information returns the complaint to the agency that asked, not to FILED,
    with the follow-up time it had left; the agency finds the answer on its queue."""
    from events.base import DeadlineKind
    from events.state import Status
    from intake.reporters import ReplyAsReporter

    system = fake_system()
    filing = await intake(FileComplaint(submission(), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    complaint = filing.complaint_id
    before = replay_state(await system.store.read_stream(complaint))
    await system.clock.advance(timedelta(days=1))
    ask = AgencyReply(action="request_information", message="Di sisi jalan yang mana?")
    await handle(ReplyAsAgency(CITY, complaint, ask), system.followup)
    await system.deliver(complaint)
    paused = replay_state(await system.store.read_stream(complaint))
    assert paused.status is Status.AWAITING_REPORTER and paused.clocks_paused
    await system.clock.advance(timedelta(days=30))  # the reporter takes a month
    assert await handle(ScanDeadlines(), system.followup) == 0  # no clock runs while paused
    answer = ReplyAsReporter(filing.tracking_id, filing.access_token, "add_information", "Kiri")
    await intake(answer, system.intake)
    await system.deliver(complaint)
    back = replay_state(await system.store.read_stream(complaint))
    assert back.status is Status.DISPOSED and back.agency_code == CITY
    left = before.deadlines[DeadlineKind.FOLLOW_UP] - (system.clock.now() - timedelta(days=30))
    assert back.deadlines[DeadlineKind.FOLLOW_UP] == system.clock.now() + left
    items = [
        s.json()
        for s in system.published.on(system.ports.settings.agency_topic(CITY))
        if s.headers["lapor_type"] == "work-item"
    ]
    assert [i["reason"] for i in items] == ["disposed", "reporter_replied"]
    assert items[-1]["additional_information"] == ["Kiri"]


async def test_a_deferral_ends_on_its_date_by_itself():
    from datetime import date

    from events.state import Status
    from routing.handlers import Defer
    from routing.handlers import handle as routing

    system = fake_system()
    filing = await intake(FileComplaint(submission(category=None), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    today = system.clock.now().date()
    resume_on = date.fromordinal(today.toordinal() + 3)
    defer = Defer(complaint_id=filing.complaint_id, reason="menunggu anggaran", resume_on=resume_on)
    await routing(defer, system.routing)
    await system.deliver(filing.complaint_id)
    assert await handle(ScanDeadlines(), system.followup) == 0
    await system.clock.advance(timedelta(days=4))
    assert await handle(ScanDeadlines(), system.followup) == 1
    await system.deliver(filing.complaint_id)
    state = replay_state(await system.store.read_stream(filing.complaint_id))
    assert state.status is Status.FILED and not state.clocks_paused
    resumed = (await system.store.read_stream(filing.complaint_id))[-1].payload
    assert isinstance(resumed, ev.ComplaintResumed) and resumed.deadlines
