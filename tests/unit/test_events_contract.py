"""The published contract: event types, registry, upcasting, binding, hashing, fold coverage."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

import events
from events import ALL_EVENT_TYPES, Actor, ComplaintFiled, Envelope, Status, replay, stamp
from events.binding import DecodeError, decode, encode
from events.fold import handled_event_types
from events.hashing import GENESIS, canonical_json, chain_hash
from events.registry import UnknownEventType, event_class, upcast

SAMPLES = Path(__file__).parents[1] / "samples"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ACTOR = Actor(role="channel", id="web")


def filed(**changes) -> ComplaintFiled:
    fields = dict(
        tracking_id="lpr-abc123",
        kind="complaint",
        title="Puskesmas tutup",
        description="Tutup",
        channel="web",
        anonymous=False,
        confidential=False,
        verify_due=NOW + timedelta(days=3),
    )
    return ComplaintFiled(**{**fields, **changes})


def test_the_four_founding_events_keep_their_names():
    for name in ("ComplaintFiled", "Disposed", "Escalated", "Resolved"):
        assert hasattr(events, name)


def test_the_lifecycle_has_an_event_for_every_step():
    types = {cls.event_type for cls in ALL_EVENT_TYPES}
    for needed in (
        "complaint.filed",
        "complaint.verified",
        "complaint.archived",
        "complaint.deferred",
        "complaint.information_requested",
        "complaint.information_supplied",
        "complaint.disposed",
        "complaint.disposition_refused",
        "complaint.forwarded_to_unit",
        "complaint.follow_up_posted",
        "complaint.reporter_replied",
        "complaint.deadline_extended",
        "complaint.escalated",
        "complaint.resolved",
        "complaint.closed",
        "complaint.reopened",
        "complaint.referred_to_ombudsman",
        "complaint.personal_data_erased",
    ):
        assert needed in types


@pytest.mark.parametrize("cls", ALL_EVENT_TYPES, ids=lambda c: c.__name__)
def test_every_event_type_is_frozen_strict_documented_and_past_tense(cls):
    assert cls.model_config["frozen"] is True
    assert cls.model_config["extra"] == "forbid"
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20
    assert re.search(r"[a-z]ed(?=[A-Z]|$)", cls.__name__), f"{cls.__name__} is not past tense"
    assert "." in cls.event_type and not cls.event_type.startswith("events.")


def test_event_type_names_are_unique():
    names = [cls.event_type for cls in ALL_EVENT_TYPES]
    assert len(names) == len(set(names))


def test_the_fold_handles_every_event_type():
    assert handled_event_types() == set(ALL_EVENT_TYPES)


def test_events_refuse_unknown_fields_and_mutation():
    with pytest.raises(ValidationError):
        filed(nik="3171234567890001")
    with pytest.raises(ValidationError):
        filed().title = "changed"  # type: ignore[misc]


def test_personal_data_fields_do_not_exist_in_any_event():
    forbidden = {"name", "phone", "email", "nik", "national_id", "address", "reporter_name"}
    for cls in ALL_EVENT_TYPES:
        assert not forbidden & set(cls.model_fields), cls.__name__


def test_the_v1_sample_upcasts_to_the_current_version():
    stored = json.loads((SAMPLES / "complaint_filed_v1.json").read_text())
    envelope = Envelope.model_validate(stored)
    assert envelope.schema_version == ComplaintFiled.schema_version == 2
    assert envelope.payload.region_code == "31.71"
    assert envelope.payload.kind == "complaint"
    assert envelope.payload.confidential is False
    assert replay([envelope]).region_code == "31.71"


def test_unknown_type_and_future_version_are_refused():
    with pytest.raises(UnknownEventType):
        event_class("complaint.teleported")
    with pytest.raises(UnknownEventType):
        upcast("complaint.filed", 3, {})


def test_envelope_refuses_a_payload_of_another_type():
    [good] = stamp(
        [filed()], complaint_id=uuid4(), expected_version=0, actor=ACTOR, occurred_at=NOW
    )
    record = good.to_record() | {"event_type": "complaint.disposed"}
    with pytest.raises(ValidationError):
        Envelope.model_validate(record)


def test_stamp_numbers_events_after_the_expected_version():
    complaint = uuid4()
    stamped = stamp(
        [filed(), filed()], complaint_id=complaint, expected_version=4, actor=ACTOR, occurred_at=NOW
    )
    assert [e.version for e in stamped] == [5, 6]
    assert stamped[0].correlation_id == stamped[1].correlation_id


def test_binding_uses_cloudevents_binary_mode_with_complaint_key():
    [env] = stamp([filed()], complaint_id=uuid4(), expected_version=0, actor=ACTOR, occurred_at=NOW)
    record = encode(env, "urn:lapor:test")
    headers = dict(record.headers)
    assert record.key == str(env.complaint_id).encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == str(env.event_id).encode()
    assert headers["ce_type"] == b"complaint.filed"
    assert headers["ce_subject"] == str(env.complaint_id).encode()
    assert headers["ce_source"] == b"urn:lapor:test"
    assert headers["ce_time"].startswith(b"2026-11-23T01:00:00")
    assert headers["content-type"] == b"application/json"
    assert json.loads(record.value)["tracking_id"] == "lpr-abc123"
    assert decode(record.key, record.value, record.headers) == env


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda k, v, h: (k, b"not json", h), "not JSON"),
        (lambda k, v, h: (k, v, [x for x in h if x[0] != "ce_id"]), "ce_id"),
        (
            lambda k, v, h: (k, v, [(n, b"0.3" if n == "ce_specversion" else x) for n, x in h]),
            "ce_specversion",
        ),
        (
            lambda k, v, h: (k, v, [(n, b"complaint.nope" if n == "ce_type" else x) for n, x in h]),
            "unknown event type",
        ),
        (lambda k, v, h: (b"other-key", v, h), "key"),
        (lambda k, v, h: (k, b'{"tracking_id": 5}', h), "tracking_id"),
    ],
)
def test_decode_names_the_problem(mutate, reason):
    [env] = stamp([filed()], complaint_id=uuid4(), expected_version=0, actor=ACTOR, occurred_at=NOW)
    record = encode(env, "urn:lapor:test")
    with pytest.raises(DecodeError, match=reason):
        decode(*mutate(record.key, record.value, record.headers))


def test_hash_chain_depends_on_content_and_predecessor():
    [env] = stamp([filed()], complaint_id=uuid4(), expected_version=0, actor=ACTOR, occurred_at=NOW)
    record = env.to_record()
    first = chain_hash(GENESIS, record)
    assert first == chain_hash(GENESIS, json.loads(json.dumps(record)))
    assert first != chain_hash(b"\x01" * 32, record)
    changed = record | {"payload": record["payload"] | {"title": "Lain"}}
    assert chain_hash(GENESIS, changed) != first
    assert canonical_json(record) == canonical_json(dict(reversed(list(record.items()))))


def test_a_whole_lifecycle_folds_to_the_expected_state():
    complaint = uuid4()
    due = NOW + timedelta(days=5)
    steps = [
        filed(),
        events.ComplaintVerified(
            title="Puskesmas tutup", category="health", anonymous=True, confidential=False
        ),
        events.Disposed(agency_code="kota-31.71", follow_up_due=due),
        events.DispositionRefused(agency_code="kota-31.71", reason="bukan wewenang"),
        events.Disposed(agency_code="kemenkes", follow_up_due=due),
        events.Escalated(
            deadline="follow_up",
            missed_due=due,
            from_agency_code="kemenkes",
            to_tier="national_admin",
            new_due=due + timedelta(days=3),
        ),
        events.FollowUpPosted(agency_code="kemenkes", message="Sudah dibuka", reply_due=due),
        events.ReporterReplied(satisfied=True),
        events.Resolved(resolution_code="fixed", confirmed_by="reporter"),
        events.ComplaintClosed(reason="resolved"),
    ]
    state = replay(
        stamp(steps, complaint_id=complaint, expected_version=0, actor=ACTOR, occurred_at=NOW)
    )
    assert state.status is Status.CLOSED
    assert state.refused_by == ("kota-31.71",)
    assert state.dispositions == 2
    assert state.escalation_level == 1
    assert state.anonymous is True
    assert state.deadlines == {}
    assert state.version == len(steps)


def test_text_with_nul_characters_is_refused():
    # PostgreSQL's jsonb cannot store U+0000: refuse it at the contract, with the field named.
    with pytest.raises(ValidationError, match="description"):
        filed(description="ada\x00nol")


def test_timestamps_without_an_offset_are_refused():
    # A naive time would be read in the host's zone, and deadlines would depend on the server.
    with pytest.raises(ValidationError, match="verify_due"):
        filed(verify_due=datetime(2026, 11, 23, 9, 0))


def test_refused_values_do_not_appear_in_error_messages():
    # The text of a refusal reaches logs and the dead-letter topic: no personal data in it.
    with pytest.raises(ValidationError) as refused:
        filed(tracking_id="Siti Rahayu 3171234567890001")
    assert "3171234567890001" not in str(refused.value)
    assert "tracking_id" in str(refused.value)
