"""The AsyncAPI document of every topic: the complaint events and dead letters (from
`events.asyncapi`), plus the topics the services add: intake and its results, the agency
queues and the agency replies. `make asyncapi` writes it to docs/asyncapi.json."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from events.asyncapi import document as events_document
from followup.handlers import AgencyReplyMessage
from intake.domain import IntakeResult, TopicSubmission
from routing.work_items import ReplyNotice, WorkItem


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def _message(
    name: str, title: str, summary: str, model: type[BaseModel], key: str, **headers: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name,
        "title": title,
        "summary": summary,
        "contentType": "application/json",
        "payload": _schema(model),
        "x-kafka-key": key,
    }
    if headers:
        message["headers"] = {"type": "object", "properties": headers}
    return message


def document(prefix: str = "lapor") -> dict[str, Any]:
    """Every topic of a deployment whose topic names start with `prefix`."""
    doc = events_document(prefix)
    doc["info"]["title"] = "lapor backbone: topics"
    doc["info"]["description"] = (
        "Channels publish submissions on the intake topic and read results; every complaint "
        "event is published in order per complaint; each agency consumes its own queue and "
        "replies on the agency-replies topic. Delivery is at-least-once everywhere: every "
        "message carries an id to de-duplicate by."
    )
    messages = doc["components"]["messages"]
    messages["Submission"] = _message(
        "intake.submission",
        "A channel's submission",
        "Filed once per (channel, submission_id): re-sending it is harmless.",
        TopicSubmission,
        "the submission id",
    )
    messages["IntakeResult"] = _message(
        "intake.result",
        "Accepted (with complaint id, tracking id and the reporter's access token) or rejected "
        "(with each field and its problem)",
        "One per submission; a re-sent submission gets the same accepted result again.",
        IntakeResult,
        "the submission id",
        lapor_type={"const": "intake-result"},
    )
    messages["WorkItem"] = _message(
        "agency.work-item",
        "A complaint the agency must act on",
        "Disposed, forwarded, escalated, reopened, or (national admin) needs disposition. "
        "`reporter` is null when the complaint is anonymous.",
        WorkItem,
        "the complaint id",
        lapor_type={"const": "work-item"},
    )
    messages["ReplyNotice"] = _message(
        "agency.reply-notice",
        "The outcome of a reply the agency sent",
        "applied, duplicate (already applied), or rejected with the reason.",
        ReplyNotice,
        "the complaint id",
        lapor_type={"const": "reply-notice"},
    )
    messages["AgencyReply"] = _message(
        "agency.reply",
        "An agency's action on a complaint disposed to it",
        "Signed: header lapor_signature = hex HMAC-SHA256 of the exact value bytes under the "
        "agency's API key. Unsigned, badly signed or invalid replies go to the dead-letter topic.",
        AgencyReplyMessage,
        "the complaint id",
        lapor_signature={"type": "string", "description": "hex HMAC-SHA256 of the value"},
    )

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/messages/{name}"}

    doc["channels"].update(
        {
            "intake": {
                "address": f"{prefix}.intake.v1",
                "messages": {"Submission": ref("Submission")},
            },
            "intakeResults": {
                "address": f"{prefix}.intake-results.v1",
                "messages": {"IntakeResult": ref("IntakeResult")},
            },
            "agencyQueue": {
                "address": f"{prefix}.agency.{{agencyCode}}.v1",
                "parameters": {
                    "agencyCode": {
                        "description": "the agency's code (GET /v1/agencies on routing), or "
                        "national-admin for the national admin's queue"
                    }
                },
                "messages": {"WorkItem": ref("WorkItem"), "ReplyNotice": ref("ReplyNotice")},
            },
            "agencyReplies": {
                "address": f"{prefix}.agency-replies.v1",
                "messages": {"AgencyReply": ref("AgencyReply")},
            },
        }
    )
    doc["operations"].update(
        {
            "submitComplaints": {
                "action": "send",
                "channel": {"$ref": "#/channels/intake"},
                "summary": "Channels publish submissions.",
            },
            "readIntakeResults": {
                "action": "receive",
                "channel": {"$ref": "#/channels/intakeResults"},
                "summary": "Channels read the result of each submission.",
            },
            "consumeAgencyQueue": {
                "action": "receive",
                "channel": {"$ref": "#/channels/agencyQueue"},
                "summary": "An agency consumes its own queue (and only its own: ACLs).",
            },
            "sendAgencyReplies": {
                "action": "send",
                "channel": {"$ref": "#/channels/agencyReplies"},
                "summary": "Agencies acknowledge, forward, follow up, refuse, propose resolution.",
            },
        }
    )
    return doc


def render(prefix: str = "lapor") -> str:
    """The document as stable, pretty JSON."""
    return json.dumps(document(prefix), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
