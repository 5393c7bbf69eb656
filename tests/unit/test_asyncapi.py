"""The AsyncAPI file describes every event type and is kept current with the models."""

from __future__ import annotations

import json
from pathlib import Path

from events import ALL_EVENT_TYPES
from events.asyncapi import document, render

COMMITTED = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def test_every_event_type_is_a_message_of_the_events_channel():
    doc = document()
    channel = doc["channels"]["complaintEvents"]
    assert channel["address"] == "lapor.complaint-events.v1"
    names = {
        doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]
        for ref in channel["messages"].values()
    }
    assert names == {cls.event_type for cls in ALL_EVENT_TYPES}
    assert doc["channels"]["deadLetter"]["address"] == "lapor.dead-letter.v1"


def test_payload_schemas_forbid_unknown_fields():
    filed = document()["components"]["messages"]["ComplaintFiled"]["payload"]
    assert filed["additionalProperties"] is False
    assert "reporter_ref" in filed["properties"]


def test_the_committed_file_is_current():
    assert json.loads(COMMITTED.read_text()) == json.loads(render()), "run `make asyncapi`"


def test_the_service_topics_are_documented_with_their_message_schemas():
    doc = document()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {
        "lapor.intake.v1",
        "lapor.intake-results.{channel}.v1",
        "lapor.agency.{agencyCode}.v1",
        "lapor.agency-replies.v1",
    } <= addresses
    messages = doc["components"]["messages"]
    assert "submission_id" in messages["Submission"]["payload"]["required"]
    assert "reporter" in messages["WorkItem"]["payload"]["properties"]
    assert "lapor_signature" in messages["AgencyReply"]["headers"]["properties"]
    assert "lapor_signature" in messages["Submission"]["headers"]["properties"]
