"""intake's use cases through the in-memory fakes: every command in COMMAND_HANDLERS."""

from __future__ import annotations

import pytest

from events import catalog as ev
from intake.handlers import (
    COMMAND_HANDLERS,
    FileComplaint,
    ReplyAsReporter,
    ShowComplaint,
    SubmitFromTopic,
    handle,
)
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.fakes import CONTACT, fake_system, submission


def test_every_command_has_a_handler():
    assert set(COMMAND_HANDLERS) == {FileComplaint, SubmitFromTopic, ShowComplaint, ReplyAsReporter}


async def test_a_filing_stores_the_event_and_the_contact_apart():
    system = fake_system()
    filing = await handle(FileComplaint(submission()), system.intake)
    assert filing.created and filing.tracking_id.startswith("lpr-")
    [envelope] = await system.store.read_stream(filing.complaint_id)
    filed = envelope.payload
    assert isinstance(filed, ev.ComplaintFiled) and filed.reporter_ref is not None
    assert CONTACT["phone"] not in envelope.model_dump_json()
    assert await system.vault.get(filed.reporter_ref) == CONTACT
    assert envelope.actor.role == "channel" and envelope.actor.id == "web"


async def test_a_repeated_key_returns_the_first_filing_and_files_nothing_new():
    system = fake_system()
    first = await handle(FileComplaint(submission(), key="k-1"), system.intake)
    again = await handle(FileComplaint(submission(), key="k-1"), system.intake)
    assert (again.complaint_id, again.access_token, again.created) == (
        first.complaint_id,
        first.access_token,
        False,
    )
    assert len(await system.store.read_all()) == 1
    with pytest.raises(Refused) as reused:
        await handle(FileComplaint(submission(title="Lain"), key="k-1"), system.intake)
    assert reused.value.code == "idempotency_key_reused"
    assert reused.value.kind is RefusalKind.INVALID


async def test_an_anonymous_filing_keeps_no_contact():
    system = fake_system()
    filing = await handle(FileComplaint(submission(anonymous=True, reporter=None)), system.intake)
    [envelope] = await system.store.read_stream(filing.complaint_id)
    assert envelope.payload.reporter_ref is None  # type: ignore[attr-defined]
    assert system.vault._data == {}


async def test_a_topic_submission_is_answered_accepted_or_rejected_on_the_results_topic():
    system = fake_system()
    body = submission().model_dump(mode="json") | {"submission_id": "sms-1"}
    accepted = await handle(SubmitFromTopic(body), system.intake)
    rejected = await handle(
        SubmitFromTopic({"submission_id": "sms-2", "channel": "sms", "title": ""}), system.intake
    )
    assert accepted.status == "accepted" and accepted.tracking_id
    assert rejected.status == "rejected"
    assert {e["field"] for e in rejected.errors} >= {"title", "description"}
    results = system.published.on(system.ports.settings.intake_results_topic)
    assert [(r.key, r.json()["status"]) for r in results] == [
        ("sms-1", "accepted"),
        ("sms-2", "rejected"),
    ]
    assert all(r.headers == {"lapor_type": "intake-result"} for r in results)


async def test_a_confidential_complaint_shows_only_to_its_reporter():
    system = fake_system()
    filing = await handle(FileComplaint(submission(confidential=True)), system.intake)
    with pytest.raises(Refused) as hidden:
        await handle(ShowComplaint(filing.tracking_id, None), system.intake)
    assert hidden.value.kind is RefusalKind.NOT_FOUND
    view = await handle(ShowComplaint(filing.tracking_id, filing.access_token), system.intake)
    assert view["status"] == "filed" and view["timeline"][0]["event"] == "complaint.filed"
    assert "Budi" not in str(view)


async def test_the_reporter_replies_once_per_key_and_only_with_the_token():
    system = fake_system()
    filing = await handle(FileComplaint(submission()), system.intake)
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
