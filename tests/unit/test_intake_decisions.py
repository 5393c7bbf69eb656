"""Intake: what a channel may submit, the filing decision, and the derived ids and tokens."""

from __future__ import annotations

import re
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from events import ComplaintKind, Status
from events.catalog import ComplaintFiled
from events.messages import ReporterContact, Submission, TopicSubmission
from intake.domain import (
    complaint_id_for,
    decide_file,
    same_submission,
)
from services.kernel.tracking import tracking_id_for
from tests.unit.given import NOW, POLICY, filed, given, refused, verified

CONTACT = {"name": "Siti Rahayu", "phone": "+62 812-3456-7890"}
TRACKING = re.compile(r"^lpr-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$")


def submission(**changes) -> Submission:
    fields = dict(
        title="Jalan berlubang di Jl. Asia Afrika",
        description="Lubang besar di depan gedung merdeka.",
        category="jalan",
        region_code="32.73",
        channel="web",
        reporter=CONTACT,
    )
    return Submission.model_validate({**fields, **changes})


# -- submissions --------------------------------------------------------------------------------


def test_a_valid_submission():
    sent = submission()
    assert sent.kind is ComplaintKind.COMPLAINT
    assert sent.reporter == ReporterContact(name="Siti Rahayu", phone="+62 812-3456-7890")
    assert not sent.anonymous and not sent.confidential


def test_the_reporter_is_required_unless_anonymous():
    with pytest.raises(ValidationError, match="reporter contact is required"):
        submission(reporter=None)
    assert submission(reporter=None, anonymous=True).reporter is None


def test_an_anonymous_report_may_still_leave_a_contact():
    assert submission(anonymous=True).reporter is not None


@pytest.mark.parametrize(
    "contact",
    [{"name": "Siti"}, {"name": "Siti", "phone": None, "email": None}],
)
def test_a_contact_needs_a_phone_or_an_email(contact):
    with pytest.raises(ValidationError, match="phone number or an e-mail"):
        ReporterContact.model_validate(contact)
    with pytest.raises(ValidationError, match="phone number or an e-mail"):
        submission(reporter=contact)


@pytest.mark.parametrize(
    "contact",
    [{"name": "Siti", "email": "siti@example.id"}, {"name": "Siti", "phone": "0812345678"}],
)
def test_a_phone_or_an_email_is_enough(contact):
    assert submission(reporter=contact).reporter is not None


@pytest.mark.parametrize(
    ("changes", "secret"),
    [
        ({"reporter": {"name": "Siti", "phone": "call 0812 SECRET-PHONE"}}, "SECRET-PHONE"),
        ({"reporter": {"name": "Siti", "email": "not-an-email-SECRETMAIL"}}, "SECRETMAIL"),
        (
            {"reporter": {"name": "Siti", "phone": "0812345678", "national_id": "3273SECRETNIK"}},
            "SECRETNIK",
        ),
        ({"reporter": {"name": "Budi SECRETNAME"}}, "SECRETNAME"),  # no phone, no email
        (
            {"reporter": {"name": "Siti", "phone": "0812345678", "address": "SECRETADDR"}},
            "SECRETADDR",
        ),
        ({"region_code": "SECRETREGION"}, "SECRETREGION"),
        ({"title": "x" * 299 + "SECRETTITLE"}, "SECRETTITLE"),
        ({"reporter": None, "description": "SECRETDESC"}, "SECRETDESC"),
    ],
)
def test_errors_never_contain_the_refused_value(changes, secret):
    with pytest.raises(ValidationError) as caught:
        submission(**changes)
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        submission(priority="high")


def test_a_topic_submission_needs_a_usable_submission_id():
    fields = dict(title="Jalan rusak", description="Rusak", channel="sms", anonymous=True)
    assert TopicSubmission(**fields, submission_id="sms:000123").submission_id == "sms:000123"
    with pytest.raises(ValidationError):
        TopicSubmission(**fields, submission_id="has spaces")
    with pytest.raises(ValidationError):
        TopicSubmission(**fields)


# -- filing -------------------------------------------------------------------------------------


def test_file_a_new_complaint():
    sent = submission(confidential=True)
    assert decide_file(
        given(),
        sent,
        tracking_id="lpr-abcd-efgh-jkmn",
        reporter_ref="rep_reporter01",
        now=NOW,
        policy=POLICY,
        submission_id="web:42",
    ) == [
        ComplaintFiled(
            tracking_id="lpr-abcd-efgh-jkmn",
            kind="complaint",
            title="Jalan berlubang di Jl. Asia Afrika",
            description="Lubang besar di depan gedung merdeka.",
            category="jalan",
            region_code="32.73",
            channel="web",
            submission_id="web:42",
            anonymous=False,
            confidential=True,
            reporter_ref="rep_reporter01",
            verify_due=POLICY.verify_due(NOW),
            resolution_due=POLICY.resolution_due(NOW),
        )
    ]


def test_a_filed_complaint_starts_its_verification_clock():
    events = decide_file(
        given(),
        submission(anonymous=True, reporter=None),
        tracking_id="lpr-abcd-efgh-jkmn",
        reporter_ref=None,
        now=NOW,
        policy=POLICY,
    )
    state = given(*events)
    assert state.status is Status.FILED
    assert state.anonymous and state.reporter_ref is None
    assert state.deadlines["verification"] == POLICY.verify_due(NOW)


def test_filing_an_existing_stream_is_refused():
    with refused("already_filed", status=409):
        decide_file(
            given(filed()),
            submission(),
            tracking_id="lpr-abcd-efgh-jkmn",
            reporter_ref=None,
            now=NOW,
            policy=POLICY,
        )


# -- ids and tokens -----------------------------------------------------------------------------


def test_complaint_id_for_is_stable_per_channel_and_key():
    assert complaint_id_for("web", "key-1") == complaint_id_for("web", "key-1")
    assert isinstance(complaint_id_for("web", "key-1"), UUID)
    assert complaint_id_for("web", "key-1") != complaint_id_for("web", "key-2")


def test_complaint_id_for_differs_across_channels():
    assert complaint_id_for("web", "key-1") != complaint_id_for("app", "key-1")
    # The separator keeps channel and key apart.
    assert complaint_id_for("web", "a-b") != complaint_id_for("web-a", "b")


def test_tracking_id_format_and_stability():
    complaint_id = UUID("6f1c3b9e-2a47-4d7b-9a0e-5c2d8e1f4a31")
    tracking = tracking_id_for(complaint_id)
    assert TRACKING.match(tracking), tracking
    assert tracking == tracking_id_for(UUID(str(complaint_id)))
    # Usable as the event's tracking id.
    assert filed(tracking_id=tracking).tracking_id == tracking


def test_tracking_ids_avoid_ambiguous_letters_and_differ():
    ids = {tracking_id_for(uuid4()) for _ in range(500)}
    assert len(ids) == 500
    for tracking in ids:
        assert TRACKING.match(tracking), tracking
        assert not set(tracking[4:].replace("-", "")) & set("ilou")


# -- idempotent retries -------------------------------------------------------------------------


def _filed_from(sent: Submission):
    [event] = decide_file(
        given(),
        sent,
        tracking_id="lpr-abcd-efgh-jkmn",
        reporter_ref=None,
        now=NOW,
        policy=POLICY,
    )
    return event


def test_same_submission_recognises_a_retry():
    sent = submission()
    assert same_submission(_filed_from(sent), sent)
    assert same_submission(_filed_from(sent), submission())


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Lampu jalan mati"},
        {"channel": "app"},
        {"anonymous": True},
        {"confidential": True},
        {"kind": "aspiration"},
        {"description": "Teks lain"},
        {"region_code": "31.74"},
    ],
)
def test_same_submission_tells_a_different_one(changes):
    assert not same_submission(_filed_from(submission()), submission(**changes))


def test_same_submission_ignores_what_the_admin_changed_later():
    sent = submission()
    filing = _filed_from(sent)
    state = given(filing, verified(title="Judul baru dari admin", confidential=True))
    assert state.title == "Judul baru dari admin"
    assert same_submission(filing, sent)  # compared with the filing, not the current state


def test_complaint_ids_from_keys_depend_on_the_server_secret():
    # Nobody without the secret can work out a complaint (or its tracking id) from a key.
    assert complaint_id_for("web", "key-1", b"one") != complaint_id_for("web", "key-1", b"two")
    assert complaint_id_for("web", "key-1", b"one") == complaint_id_for("web", "key-1", b"one")


def test_every_reporter_action_has_exactly_one_decider():
    from typing import get_args

    from intake import domain

    after, open_only = set(domain._AFTER_CLOSING), set(domain._WHILE_OPEN)
    assert after.isdisjoint(open_only)
    assert after | open_only == set(get_args(domain.ReporterAction))
