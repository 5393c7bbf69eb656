"""routing's use cases through the in-memory fakes: the national admin's commands and queries,
and the reactions to complaint events (automatic disposition, work items)."""

from __future__ import annotations

import pytest

from events import catalog as ev
from events.fold import replay
from events.state import Status
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from routing.handlers import (
    COMMAND_HANDLERS,
    Archive,
    ConfirmResolution,
    DecideAppeal,
    Defer,
    Dispose,
    Extend,
    ListQueue,
    RequestInformation,
    RestoreQueues,
    Resume,
    SetTags,
    ShowCaseFile,
    Verify,
    handle,
)
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.fakes import FakeSystem, fake_system, submission


async def filed(system: FakeSystem, **fields):  # type: ignore[no-untyped-def]
    """A complaint filed through intake and delivered to the consumers."""
    filing = await intake(FileComplaint(submission(**fields), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    return filing.complaint_id


def work_items(system: FakeSystem, agency: str) -> list[dict]:  # type: ignore[type-arg]
    return [s.json() for s in system.published.on(system.ports.settings.agency_topic(agency))]


def test_every_command_has_a_handler():
    assert set(COMMAND_HANDLERS) == {
        Verify,
        Archive,
        Defer,
        Resume,
        RequestInformation,
        ConfirmResolution,
        Extend,
        DecideAppeal,
        Dispose,
        SetTags,
        ShowCaseFile,
        ListQueue,
        RestoreQueues,
    }


async def test_a_clear_rule_disposes_at_once_and_the_agency_gets_a_work_item():
    system = fake_system()
    complaint = await filed(system)
    stream = await system.store.read_stream(complaint)
    assert [type(e.payload) for e in stream] == [
        ev.ComplaintFiled,
        ev.ComplaintVerified,
        ev.Disposed,
    ]
    assert stream[2].actor.id == "routing" and stream[2].causation_id == stream[0].event_id
    [item] = work_items(system, "kota-bandung")
    assert item["reason"] == "disposed" and item["reporter"]["name"] == "Budi Santoso"
    assert await handle(ListQueue(), system.routing) == []


async def test_without_a_category_the_national_admin_verifies_and_disposes():
    system = fake_system()
    complaint = await filed(system, category=None)
    [queued] = await handle(ListQueue(Status.FILED), system.routing)
    assert queued["complaint_id"] == complaint
    answer = await handle(
        Verify(complaint_id=complaint, category="jalan", anonymous=True, idempotency_key="v1"),
        system.routing,
    )
    assert answer["complaint"]["status"] == "verified" and answer["complaint"]["anonymous"]
    again = await handle(
        Verify(complaint_id=complaint, category="jalan", idempotency_key="v1"), system.routing
    )
    assert again["duplicate"] is True
    await system.deliver(complaint)  # the rules now dispose it
    [item] = work_items(system, "kota-bandung")
    assert item["anonymous"] and item["reporter"] is None  # anonymity added by the admin holds
    with pytest.raises(Refused) as late:
        await handle(Dispose(complaint_id=complaint, agency_code="kab-bogor"), system.routing)
    assert late.value.kind is RefusalKind.CONFLICT


async def test_defer_resume_request_information_and_archive():
    system = fake_system()
    complaint = await filed(system, category=None)
    deferred = await handle(Defer(complaint_id=complaint, reason="menunggu"), system.routing)
    assert deferred["complaint"]["status"] == "deferred"
    resumed = await handle(Resume(complaint_id=complaint), system.routing)
    assert resumed["complaint"]["status"] == "filed"
    asked = await handle(
        RequestInformation(complaint_id=complaint, question="Di mana?"), system.routing
    )
    assert asked["complaint"]["status"] == "awaiting_reporter"
    archived = await handle(Archive(complaint_id=complaint, reason="too_vague"), system.routing)
    assert archived["complaint"]["status"] == "archived"
    await system.deliver(complaint)
    assert await handle(ListQueue(), system.routing) == []


async def test_the_admin_disposes_by_hand_never_to_a_work_unit():
    system = fake_system()
    complaint = await filed(system, category=None)
    await handle(Verify(complaint_id=complaint, category="lainnya"), system.routing)
    with pytest.raises(Refused) as unit:
        await handle(
            Dispose(complaint_id=complaint, agency_code="kota-bandung.dinas-pupr"), system.routing
        )
    assert unit.value.code == "work_unit" and unit.value.kind is RefusalKind.INVALID
    answer = await handle(Dispose(complaint_id=complaint, agency_code="kab-bogor"), system.routing)
    assert answer["complaint"]["agency_code"] == "kab-bogor"
    await system.deliver(complaint)
    assert [i["reason"] for i in work_items(system, "kab-bogor")] == ["disposed"]


async def test_unknown_complaints_are_not_found():
    system = fake_system()
    missing = (await filed(system)).__class__(int=1)
    for command in (ShowCaseFile(missing), Resume(complaint_id=missing)):
        with pytest.raises(Refused) as absent:
            await handle(command, system.routing)
        assert absent.value.kind is RefusalKind.NOT_FOUND


async def test_a_case_file_shows_no_personal_data():
    system = fake_system()
    complaint = await filed(system)
    found = await handle(ShowCaseFile(complaint), system.routing)
    assert found["agency_code"] == "kota-bandung" and "Budi" not in str(found)


async def test_every_work_item_is_logged_and_put_back_after_a_broker_reset():
    system = fake_system()
    first, second = await filed(system), await filed(system)
    sent = work_items(system, "kota-bandung")
    assert len(sent) == 2
    assert await handle(RestoreQueues(), system.routing) == 0  # nothing was lost
    system.routing.work_items.resets += 1  # the relay found the broker empty
    assert await handle(RestoreQueues(), system.routing) == 2
    again = work_items(system, "kota-bandung")[2:]
    assert again == sent  # the same items, same ids, same order
    assert [i["complaint_id"] for i in again] == [str(first), str(second)]
    assert await handle(RestoreQueues(), system.routing) == 0  # once per reset


async def test_a_work_item_stays_small_however_long_the_history():
    """The attack: many long comments on one's own complaint once made a work item repeat
    every one of them, past the producer's 1 MB limit, and routing retried it forever."""
    from intake.reporters import ReplyAsReporter

    system = fake_system(max_reporter_messages=100)
    filing = await intake(FileComplaint(submission(), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    for i in range(60):
        note = f"{i:02d}" + "x" * 19_998
        reply = ReplyAsReporter(filing.tracking_id, filing.access_token, "add_information", note)
        await intake(reply, system.intake)
        await system.deliver(filing.complaint_id)
    sent = system.published.on(system.ports.settings.agency_topic("kota-bandung"))
    last = sent[-1]
    assert len(sent) == 61 and len(last.value) < 64_000
    item = last.json()
    assert [m[:2] for m in item["reporter_messages"]] == ["55", "56", "57", "58", "59"]
    assert all(len(m) <= 2_000 for m in item["reporter_messages"])
    assert item["messages_omitted"] == 60  # 55 left out, 5 cut short
    assert item["case_file_path"] == f"/v1/complaints/{filing.complaint_id}"


async def test_a_work_item_that_cannot_be_sent_is_dead_lettered_and_routing_goes_on():
    from services.platform.ports import MessageTooLarge

    system = fake_system()
    queue = system.ports.settings.agency_topic("kota-bandung")
    real_send = system.published.send
    refuse = {"first": True}

    async def send(topic, key, value, headers):  # type: ignore[no-untyped-def]
        if topic == queue and refuse.pop("first", False):
            raise MessageTooLarge("over the limit")
        return await real_send(topic, key, value, headers)

    system.published.send = send  # type: ignore[method-assign]
    first = await filed(system)
    second = await filed(system)
    [letter] = system.published.on(system.ports.settings.dead_letter_topic)
    assert letter.json()["complaint_id"] == str(first)
    assert "too large" in letter.headers["dlq_reason"]
    assert [i["complaint_id"] for i in work_items(system, "kota-bandung")] == [str(second)]


async def test_the_national_admin_confirms_a_resolution_for_an_anonymous_reporter():
    from events.messages import AgencyReply
    from followup.handlers import ReplyAsAgency
    from followup.handlers import handle as followup

    system = fake_system()
    complaint = await filed(system, anonymous=True, reporter=None)
    proposal = AgencyReply(
        action="propose_resolution", message="Sudah ditambal", resolution_code="fixed"
    )
    await followup(ReplyAsAgency("kota-bandung", complaint, proposal), system.followup)
    await system.deliver(complaint)
    view = await handle(ConfirmResolution(complaint_id=complaint), system.routing)
    assert view["complaint"]["status"] == "closed"
    stream = await system.store.read_stream(complaint)
    resolved = [e.payload for e in stream if isinstance(e.payload, ev.Resolved)]
    assert resolved == [ev.Resolved(resolution_code="fixed", confirmed_by="national_admin")]
    with pytest.raises(Refused):
        await handle(ConfirmResolution(complaint_id=complaint), system.routing)


async def test_the_national_admin_extends_beyond_the_rule_and_it_shows_on_the_timeline():
    from datetime import timedelta

    from intake.reporters import ShowComplaint

    system = fake_system()
    complaint = await filed(system)
    [_, _, disposed_event] = await system.store.read_stream(complaint)
    new_due = disposed_event.payload.follow_up_due + timedelta(days=30)
    await handle(
        Extend(complaint_id=complaint, new_due=new_due, justification="Menunggu anggaran"),
        system.routing,
    )
    stream = await system.store.read_stream(complaint)
    extended = stream[-1].payload
    assert isinstance(extended, ev.DeadlineExtended)
    assert (extended.granted_by, extended.requested_by) == ("national_admin", "kota-bandung")
    tracking = stream[0].payload.tracking_id
    view = await intake(ShowComplaint(tracking, None), system.intake)
    assert "complaint.deadline_extended" in [e["event"] for e in view["timeline"]]
    with pytest.raises(Refused):  # not later than what runs now
        await handle(
            Extend(complaint_id=complaint, new_due=new_due, justification="Lagi"), system.routing
        )


async def test_the_national_admin_tags_a_complaint_with_programmes_from_the_catalogue():
    system = fake_system()
    complaint = await filed(system)
    tagged = await handle(
        SetTags(complaint_id=complaint, tags=("makan-bergizi-gratis", "pungutan-liar")),
        system.routing,
    )
    assert tagged["complaint"]["tags"] == ["makan-bergizi-gratis", "pungutan-liar"]
    stream = await system.store.read_stream(complaint)
    assert stream[-1].event_type == "complaint.tagged"
    assert replay(stream).tags == ("makan-bergizi-gratis", "pungutan-liar")
    again = await handle(
        SetTags(complaint_id=complaint, tags=("pungutan-liar", "makan-bergizi-gratis")),
        system.routing,
    )
    assert again["complaint"]["version"] == tagged["complaint"]["version"]  # nothing appended
    with pytest.raises(Refused) as refused:
        await handle(SetTags(complaint_id=complaint, tags=("viral",)), system.routing)
    assert (refused.value.code, refused.value.field) == ("unknown_tag", "tags")
    cleared = await handle(SetTags(complaint_id=complaint, tags=()), system.routing)
    assert replay(await system.store.read_stream(complaint)).tags == ()
    assert cleared["complaint"]["version"] == tagged["complaint"]["version"] + 1
