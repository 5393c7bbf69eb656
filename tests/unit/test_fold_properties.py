"""Property tests of the fold: total, deterministic, and associative over prefixes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from events import Status, envelope_from_record, replay
from events.binding import decode, encode
from tests.strategies import streams


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
def test_folding_depends_only_on_what_is_stored(stream):
    """Replaying the stored JSON form (as the event store and auditors do) gives the same state."""
    stored = [envelope_from_record(json.loads(json.dumps(e.to_record()))) for e in stream]
    assert replay(stored) == replay(stream)


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
