"""Property tests of the fold: total, deterministic, and associative over prefixes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from events import ComplaintState, Status, evolve, replay
from events.binding import decode, encode
from tests.strategies import any_payload, streams


@settings(max_examples=300, deadline=None)
@given(streams())
def test_any_event_sequence_folds_without_raising(stream):
    state = replay(stream)
    assert state.version == len(stream)
    assert state.last_event_at == stream[-1].occurred_at
    filed_somewhere = any(e.event_type == "complaint.filed" for e in stream)
    assert (state.status is not Status.NEW) or not filed_somewhere


@settings(max_examples=150, deadline=None)
@given(streams())
def test_folding_is_deterministic(stream):
    assert replay(stream) == replay(list(stream))


@settings(max_examples=200, deadline=None)
@given(streams(), st.data())
def test_prefix_then_rest_equals_whole(stream, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(stream)))
    assert replay(stream[cut:], replay(stream[:cut])) == replay(stream)


@settings(max_examples=100, deadline=None)
@given(streams(max_size=8))
def test_kafka_binding_round_trips_every_event(stream):
    for envelope in stream:
        record = encode(envelope, "urn:test")
        assert decode(record.key, record.value, record.headers) == envelope


@settings(max_examples=100, deadline=None)
@given(any_payload)
def test_evolve_never_touches_the_input_state(payload):
    from datetime import UTC, datetime

    from events import stamp
    from tests.strategies import ACTOR, COMPLAINT

    start = ComplaintState()
    [envelope] = stamp(
        [payload],
        complaint_id=COMPLAINT,
        expected_version=0,
        actor=ACTOR,
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    after = evolve(start, envelope)
    assert start == ComplaintState()
    assert after.version == 1
