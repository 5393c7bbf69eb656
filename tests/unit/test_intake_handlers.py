"""intake's use cases through the in-memory fakes: every command in COMMAND_HANDLERS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events import catalog as ev
from intake.handlers import COMMAND_HANDLERS, FileComplaint, SubmitFromTopic, handle
from intake.reporters import (
    ErasePersonalData,
    ListContactReads,
    ReplyAsReporter,
    RevokeToken,
    RotateToken,
    ShowComplaint,
)
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.fakes import CONTACT, fake_system, submission


def test_every_command_has_a_handler():
    assert set(COMMAND_HANDLERS) == {
        FileComplaint,
        SubmitFromTopic,
        ShowComplaint,
        ReplyAsReporter,
        RotateToken,
        RevokeToken,
        ErasePersonalData,
        ListContactReads,
    }


async def test_a_filing_stores_the_event_and_the_contact_apart():
    system = fake_system()
    filing = await handle(FileComplaint(submission(), "web"), system.intake)
    assert filing.created and filing.tracking_id.startswith("lpr-")
    [envelope] = await system.store.read_stream(filing.complaint_id)
    filed = envelope.payload
    assert isinstance(filed, ev.ComplaintFiled) and filed.reporter_ref is not None
    assert CONTACT["phone"] not in envelope.model_dump_json()
    assert system.vault.peek(filed.reporter_ref) == CONTACT
    assert envelope.actor.role == "channel" and envelope.actor.id == "web"


async def test_a_repeated_key_returns_the_first_complaint_with_a_fresh_token():
    system = fake_system()
    first = await handle(FileComplaint(submission(), "web", key="k-1"), system.intake)
    again = await handle(FileComplaint(submission(), "web", key="k-1"), system.intake)
    assert (again.complaint_id, again.created) == (first.complaint_id, False)
    assert len(await system.store.read_all()) == 1
    # The repeat proved the same reporter: a new token; the first one stops working.
    assert again.access_token and again.access_token != first.access_token
    assert await system.intake.tokens.valid(
        first.complaint_id, again.access_token, system.clock.now()
    )
    assert not await system.intake.tokens.valid(
        first.complaint_id, first.access_token, system.clock.now()
    )
    with pytest.raises(Refused) as reused:
        await handle(FileComplaint(submission(title="Lain"), "web", key="k-1"), system.intake)
    assert reused.value.code == "idempotency_key_reused"
    assert reused.value.kind is RefusalKind.INVALID


async def test_a_repeat_without_the_same_reporter_gets_no_token():
    system = fake_system()
    await handle(FileComplaint(submission(), "web", key="k-1"), system.intake)
    stranger = {"name": "Orang Lain", "phone": "+62 811 0000 0000"}
    with pytest.raises(Refused) as refused:
        await handle(FileComplaint(submission(reporter=stranger), "web", key="k-1"), system.intake)
    assert refused.value.code == "idempotency_key_reused"


async def test_an_anonymous_filing_is_never_answered_with_a_token_on_a_repeat():
    system = fake_system()
    sent = submission(anonymous=True, reporter=None)
    first = await handle(FileComplaint(sent, "web", key="anon-1"), system.intake)
    again = await handle(FileComplaint(sent, "web", key="anon-1"), system.intake)
    assert first.access_token and again.access_token is None
    assert again.complaint_id == first.complaint_id
    # Anonymous towards agencies but with a contact kept: still no token on a repeat.
    with_contact = submission(anonymous=True)
    kept = await handle(FileComplaint(with_contact, "web", key="anon-2"), system.intake)
    repeat = await handle(FileComplaint(with_contact, "web", key="anon-2"), system.intake)
    assert kept.access_token and repeat.access_token is None
    # ... and the first token still opens it.
    assert await system.intake.tokens.valid(
        first.complaint_id, first.access_token, system.clock.now()
    )


async def test_a_channel_files_only_as_itself():
    system = fake_system()
    with pytest.raises(Refused) as refused:
        await handle(FileComplaint(submission(channel="sms"), "web"), system.intake)
    assert (refused.value.code, refused.value.field) == ("channel_mismatch", "channel")
    assert refused.value.kind is RefusalKind.FORBIDDEN
    assert await system.store.read_all() == []


async def test_tokens_are_random_rotate_expire_and_can_be_revoked():
    system = fake_system(reporter_token_days=30)
    one = await handle(FileComplaint(submission(confidential=True), "web"), system.intake)
    two = await handle(FileComplaint(submission(confidential=True), "web"), system.intake)
    assert one.access_token != two.access_token and len(one.access_token or "") >= 43
    # Nothing but the digest is kept.
    assert one.access_token.encode() not in b"".join(system.intake.tokens.kept)  # type: ignore
    rotated = await handle(RotateToken(one.tracking_id, one.access_token), system.intake)
    with pytest.raises(Refused):
        await handle(ShowComplaint(one.tracking_id, one.access_token), system.intake)
    assert (await handle(ShowComplaint(one.tracking_id, rotated), system.intake))["status"]
    with pytest.raises(Refused):  # another complaint's token opens nothing here
        await handle(ShowComplaint(one.tracking_id, two.access_token), system.intake)
    await handle(RevokeToken(one.tracking_id, rotated), system.intake)
    with pytest.raises(Refused):
        await handle(ShowComplaint(one.tracking_id, rotated), system.intake)
    await system.clock.advance(timedelta(days=31))
    with pytest.raises(Refused) as expired:
        await handle(ShowComplaint(two.tracking_id, two.access_token), system.intake)
    assert expired.value.kind is RefusalKind.NOT_FOUND


async def test_a_reporter_can_add_only_so_many_messages():
    system = fake_system(max_reporter_messages=2)
    filing = await handle(FileComplaint(submission(), "web"), system.intake)
    for _ in range(2):
        reply = ReplyAsReporter(filing.tracking_id, filing.access_token, "add_information", "x")
        await handle(reply, system.intake)
    with pytest.raises(Refused) as full:
        await handle(reply, system.intake)
    assert (full.value.code, full.value.field) == ("message_limit_reached", "message")


async def test_erasure_shreds_the_contact_once_and_every_read_is_logged():
    system = fake_system()
    filing = await handle(FileComplaint(submission(), "web", key="k-9"), system.intake)
    await handle(FileComplaint(submission(), "web", key="k-9"), system.intake)  # reads it
    reads = await handle(ListContactReads(filing.complaint_id, 0, 10), system.intake)
    assert [(r["reader"], r["purpose"]) for r in reads] == [("channel web", "repeated filing")]
    done = await handle(ErasePersonalData(filing.complaint_id, "national-admin"), system.intake)
    assert done["key_shredded"] and done["erased_now"]
    again = await handle(ErasePersonalData(filing.complaint_id, "national-admin"), system.intake)
    assert not again["erased_now"]
    events = [e.payload for e in await system.store.read_stream(filing.complaint_id)]
    assert sum(isinstance(e, ev.PersonalDataErased) for e in events) == 1
    with pytest.raises(Refused):  # the person is gone: a repeat can no longer prove it
        await handle(FileComplaint(submission(), "web", key="k-9"), system.intake)


async def test_an_anonymous_filing_keeps_no_contact():
    system = fake_system()
    filing = await handle(
        FileComplaint(submission(anonymous=True, reporter=None), "web"), system.intake
    )
    [envelope] = await system.store.read_stream(filing.complaint_id)
    assert envelope.payload.reporter_ref is None  # type: ignore[attr-defined]
    assert system.vault._data == {}


async def test_a_topic_submission_is_answered_on_its_channels_own_results_topic():
    system = fake_system()
    body = submission(channel="sms").model_dump(mode="json") | {"submission_id": "sms-1"}
    accepted = await handle(SubmitFromTopic(body, "sms"), system.intake)
    again = await handle(SubmitFromTopic(body, "sms"), system.intake)
    rejected = await handle(
        SubmitFromTopic({"submission_id": "sms-2", "channel": "sms", "title": ""}, "sms"),
        system.intake,
    )
    assert accepted.status == "accepted" and accepted.tracking_id and accepted.access_token
    assert again.status == "accepted" and again.access_token != accepted.access_token
    assert rejected.status == "rejected"
    assert {e["field"] for e in rejected.errors} >= {"title", "description"}
    results = system.published.on(system.ports.settings.intake_results_topic("sms"))
    assert [(r.key, r.json()["status"]) for r in results] == [
        ("sms-1", "accepted"),
        ("sms-1", "accepted"),
        ("sms-2", "rejected"),
    ]
    assert all(r.headers == {"lapor_type": "intake-result"} for r in results)
    assert system.published.on(system.ports.settings.intake_results_topic("web")) == []


async def test_a_confidential_complaint_shows_only_to_its_reporter():
    system = fake_system()
    filing = await handle(FileComplaint(submission(confidential=True), "web"), system.intake)
    with pytest.raises(Refused) as hidden:
        await handle(ShowComplaint(filing.tracking_id, None), system.intake)
    assert hidden.value.kind is RefusalKind.NOT_FOUND
    view = await handle(ShowComplaint(filing.tracking_id, filing.access_token), system.intake)
    assert view["status"] == "filed" and view["timeline"][0]["event"] == "complaint.filed"
    assert "Budi" not in str(view)


async def test_the_reporter_replies_once_per_key_and_only_with_the_token():
    system = fake_system()
    filing = await handle(FileComplaint(submission(), "web"), system.intake)
    reply = ReplyAsReporter(filing.tracking_id, None, "add_information", "Ada foto", "r-1")
    with pytest.raises(Refused) as anonymous:
        await handle(reply, system.intake)
    assert anonymous.value.kind is RefusalKind.UNAUTHENTICATED
    signed = ReplyAsReporter(
        filing.tracking_id, filing.access_token, "add_information", "Ada foto", "r-1"
    )
    await handle(signed, system.intake)
    view = await handle(signed, system.intake)
    events = [e["event"] for e in view["timeline"]]
    assert events == ["complaint.filed", "complaint.reporter_replied"]
