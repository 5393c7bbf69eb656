"""Hypothesis strategies for event payloads and streams (shared by the property tests)."""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from hypothesis import strategies as st
from pydantic import AwareDatetime

from events import ALL_EVENT_TYPES, Actor, Envelope, Event

AGENCIES = ["kemenkes", "kemendikbud", "prov-31", "kota-31.71", "kab-32.01", "unit-31.71.dinkes"]
BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "agency_code": st.sampled_from(AGENCIES),
    "unit_code": st.sampled_from(AGENCIES),
    "from_agency_code": st.sampled_from(AGENCIES),
    "to_agency_code": st.sampled_from(AGENCIES),
    "suggested_agency_code": st.sampled_from(AGENCIES),
    "reviewer_code": st.none() | st.sampled_from(["prov-31", "prov-32"]),
    "ombudsman_code": st.none() | st.just("ombudsman-ri"),
    "content_digest": st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    "source_system": st.sampled_from(["lapor-bandung", "sp4n-jatim"]),
    "external_id": st.from_regex(r"[A-Z]{3}-[0-9]{4}", fullmatch=True),
    "step_id": st.from_regex(r"s[0-9]{1,3}", fullmatch=True),
    "region_code": st.sampled_from(["31", "31.71", "32.01.05", "33.74.02.1001"]),
    "reporter_ref": st.sampled_from(["rep_abcdefgh12", "rep_ZZZZZZZZ99"]),
    "tracking_id": st.from_regex(r"lpr-[a-z0-9]{6}", fullmatch=True),
    "category": st.sampled_from(["health", "education", "infrastructure"]),
    "channel": st.sampled_from(["web", "app", "sms", "social", "call_centre"]),
    "tags": st.lists(st.sampled_from(["urgent", "viral", "school"]), max_size=3).map(tuple),
    "days_open": st.integers(min_value=0, max_value=400),
    "rating": st.integers(min_value=1, max_value=5),
    "resolution_code": st.sampled_from(["fixed", "explained", "duplicate"]),
    "rule_id": st.sampled_from(["health-dki", "schools-prov"]),
}
BY_FIELD: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("DeadlineExtended", "requested_by"): st.none() | st.sampled_from(AGENCIES),
}
"""Strategies for one event type's field, where the name means something else elsewhere."""
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")
TIMES = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


def _for_annotation(annotation: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _for_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_for_annotation(a) for a in typing.get_args(annotation)))
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is datetime or annotation is AwareDatetime:
        return TIMES
    if annotation is date:
        return st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 1, 1))
    if annotation is str:
        return TEXT
    if annotation is int:
        return st.integers(min_value=0, max_value=1000)
    if origin is dict:
        key, value = typing.get_args(annotation)
        return st.dictionaries(_for_annotation(key), _for_annotation(value), max_size=4)
    raise NotImplementedError(f"no strategy for {annotation!r}")


def payloads(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Valid instances of one event type."""
    fields = {}
    for name, info in cls.model_fields.items():
        if (cls.__name__, name) in BY_FIELD:
            strategy = BY_FIELD[cls.__name__, name]
        elif name in BY_NAME:
            strategy = BY_NAME[name]
        else:
            strategy = _for_annotation(info.rebuild_annotation())
        if not info.is_required():
            strategy = st.one_of(st.just(info.default), strategy)
        fields[name] = strategy
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


any_payload = st.one_of(*(payloads(cls) for cls in ALL_EVENT_TYPES))

COMPLAINT = UUID("0c9f1f3e-7d1c-4b7e-9f55-2f7c3f1c1a10")
ACTOR = Actor(role="system", id="hypothesis")


@st.composite
def streams(draw: st.DrawFn, max_size: int = 25) -> list[Envelope]:
    """Any sequence of events of one complaint, in any order the types allow, versions 1..n."""
    bodies = draw(st.lists(any_payload, min_size=1, max_size=max_size))
    times = sorted(draw(st.lists(TIMES, min_size=len(bodies), max_size=len(bodies))))
    return [
        Envelope(
            event_id=draw(st.uuids()),
            event_type=body.event_type,
            schema_version=body.schema_version,
            complaint_id=COMPLAINT,
            version=position,
            occurred_at=at,
            actor=ACTOR,
            correlation_id=COMPLAINT,
            payload=body,
        )
        for position, (body, at) in enumerate(zip(bodies, times, strict=True), start=1)
    ]
