"""The topic catalogue: every topic of a deployment, what travels on it, and who sends or
receives it. Topic addresses, the AsyncAPI document and the platform's topic creation all read
this one table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from events.messages import (
    AgencyReplyMessage,
    ImportItem,
    IntakeResult,
    ReplyNotice,
    SignedCheckpoint,
    TopicSubmission,
    WorkItem,
)

VERSION_SUFFIX = "v1"
EVENTS = "complaint-events"
DEAD_LETTER = "dead-letter"
INTAKE = "intake"
INTAKE_RESULTS = "intake-results.{channel}"
AGENCY_REPLIES = "agency-replies"
AGENCY_QUEUE = "agency.{agencyCode}"
CHECKPOINTS = "checkpoints"
SYSTEM_IMPORTS = "imports.{systemCode}"


def address(prefix: str, name: str) -> str:
    """The full topic name, e.g. `lapor.complaint-events.v1`."""
    return f"{prefix}.{name}.{VERSION_SUFFIX}"


def agency_queue(prefix: str, agency_code: str) -> str:
    """The work queue topic of one agency (or `national-admin`)."""
    return address(prefix, f"agency.{agency_code}")


def intake_results(prefix: str, channel: str) -> str:
    """The results topic of one channel: only that channel may read it (it carries reporters'
    access tokens), e.g. `lapor.intake-results.sms.v1`."""
    return address(prefix, f"intake-results.{channel}")


def system_imports(prefix: str, system_code: str) -> str:
    """The import topic of one connected system: only its own principal (`system-<code>`) may
    write it, e.g. `lapor.imports.lapor-bandung.v1`."""
    return address(prefix, f"imports.{system_code}")


def system_imports_pattern(prefix: str) -> re.Pattern[str]:
    """Every connected system's import topic; the group is the system's code."""
    code = r"([a-z0-9][a-z0-9_-]{0,63})"
    return re.compile(rf"^{re.escape(prefix)}\.imports\.{code}\.{VERSION_SUFFIX}$")


@dataclass(frozen=True)
class Message:
    """One kind of message on a topic; `model` is None for the event and dead-letter messages,
    whose schemas come from the event catalogue and the original message."""

    component: str
    name: str
    title: str
    summary: str
    model: type[BaseModel] | None = None
    kafka_key: str = "the complaint id"
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """Who sends or receives on a topic."""

    id: str
    action: Literal["send", "receive"]
    summary: str


FOREVER = "forever"
PERSONAL_DATA = "personal-data"
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Retention:
    """How long a topic keeps its messages, and why: forever, the personal-data retention
    (LAPOR_PERSONAL_DATA_RETENTION_HOURS), or a number of days."""

    keep: str | int
    why: str

    def config(self, personal_data_hours: int) -> dict[str, str]:
        """The topic configuration that keeps messages so long (`cleanup.policy=delete`: no
        topic is compacted; compaction would keep only the last message of each key)."""
        if self.keep == FOREVER:
            ms = -1
        elif self.keep == PERSONAL_DATA:
            ms = personal_data_hours * 3_600_000
        else:
            assert isinstance(self.keep, int) and self.keep > 0, self.keep
            ms = self.keep * DAY_MS
        config = {"cleanup.policy": "delete", "retention.ms": str(ms)}
        return config | ({"retention.bytes": "-1"} if ms == -1 else {})


@dataclass(frozen=True)
class Topic:
    """A topic: its AsyncAPI channel id, its name after the prefix, messages, operations and
    how long it keeps what it carries (stated for every topic: no broker default)."""

    channel: str
    name: str
    messages: tuple[str, ...]
    operations: tuple[Operation, ...]
    retention: Retention
    parameters: dict[str, Any] = field(default_factory=dict)


SERVICE_MESSAGES: tuple[Message, ...] = (
    Message(
        "Submission",
        "intake.submission",
        "A channel's submission",
        "Filed once per (channel, submission_id): re-sending it is harmless. Signed: header "
        "lapor_signature = hex HMAC-SHA256 of the exact value bytes under the channel's key; "
        "unsigned or badly signed submissions go to the dead-letter topic.",
        TopicSubmission,
        "the submission id",
        {"lapor_signature": {"type": "string", "description": "hex HMAC-SHA256 of the value"}},
    ),
    Message(
        "IntakeResult",
        "intake.result",
        "Accepted (with complaint id, tracking id and the reporter's access token) or rejected "
        "(with each field and its problem)",
        "One per submission, on the submitting channel's own results topic. The access token "
        "is given once, with the first result; a re-sent submission is answered without one.",
        IntakeResult,
        "the submission id",
        {"lapor_type": {"const": "intake-result"}},
    ),
    Message(
        "WorkItem",
        "agency.work-item",
        "A complaint the agency must act on",
        "Disposed, forwarded, escalated, reopened, or (national admin) needs disposition. "
        "`reporter` is null when the complaint is anonymous.",
        WorkItem,
        headers={"lapor_type": {"const": "work-item"}},
    ),
    Message(
        "ReplyNotice",
        "agency.reply-notice",
        "The outcome of a reply the agency sent",
        "applied, duplicate (already applied), or rejected with the reason.",
        ReplyNotice,
        headers={"lapor_type": {"const": "reply-notice"}},
    ),
    Message(
        "AgencyReply",
        "agency.reply",
        "An agency's action on a complaint disposed to it",
        "Signed: header lapor_signature = hex HMAC-SHA256 of the exact value bytes under the "
        "agency's API key. Unsigned, badly signed or invalid replies go to the dead-letter topic.",
        AgencyReplyMessage,
        headers={
            "lapor_signature": {"type": "string", "description": "hex HMAC-SHA256 of the value"}
        },
    ),
    Message(
        "ImportItem",
        "system.import",
        "A complaint filed in a connected system, with its history so far",
        "The same item as in the bulk endpoint's `items`, one per message. Idempotent by "
        "(system, external id, step id); refused steps are kept and listed at "
        "GET /v1/systems/{code}/rejections; a message that is not an item goes to the "
        "dead-letter topic with the reason.",
        ImportItem,
        "the external id",
    ),
    Message(
        "SignedCheckpoint",
        "audit.checkpoint",
        "A signed statement of the whole log at one global position",
        "Ed25519 over the canonical JSON of every field but the signature; keep them outside "
        "the system and check the log against them (`python -m services verify`).",
        SignedCheckpoint,
        "checkpoint",
    ),
)
"""The messages of the services' topics, beside the complaint events."""

TOPICS: tuple[Topic, ...] = (
    Topic(
        "complaintEvents",
        EVENTS,
        (),  # every event type: filled in from the event catalogue
        (
            Operation(
                "publishComplaintEvents", "send", "The outbox relay publishes every appended event."
            ),
            Operation(
                "consumeComplaintEvents",
                "receive",
                "Services, projections and auditors consume every event.",
            ),
        ),
        Retention(
            FOREVER,
            "the history itself: consumers and auditors read it from the start (the relay "
            "can replay it from PostgreSQL)",
        ),
    ),
    Topic(
        "deadLetter",
        DEAD_LETTER,
        ("DeadLetter",),
        (
            Operation(
                "publishDeadLetters",
                "send",
                "Any consumer sets aside what it cannot decode or apply.",
            ),
        ),
        Retention(
            PERSONAL_DATA,
            "a set-aside message may be a channel's submission with a contact in clear",
        ),
    ),
    Topic(
        "intake",
        INTAKE,
        ("Submission",),
        (Operation("submitComplaints", "send", "Channels publish submissions."),),
        Retention(PERSONAL_DATA, "submissions carry reporters' contacts in clear until filed"),
    ),
    Topic(
        "intakeResults",
        INTAKE_RESULTS,
        ("IntakeResult",),
        (
            Operation(
                "readIntakeResults",
                "receive",
                "A channel reads the result of each of its submissions (and only its own: ACLs).",
            ),
        ),
        Retention(
            7,
            "a channel offline for a week still gets its results; they carry access "
            "tokens, so no longer",
        ),
        {"channel": {"description": "the channel's name (its principal is channel-<name>)"}},
    ),
    Topic(
        "agencyQueue",
        AGENCY_QUEUE,
        ("WorkItem", "ReplyNotice"),
        (
            Operation(
                "consumeAgencyQueue",
                "receive",
                "An agency consumes its own queue (and only its own: ACLs).",
            ),
        ),
        Retention(
            7,
            "an agency system offline for a week still finds its work (routing's log "
            "can restore the queue)",
        ),
        {
            "agencyCode": {
                "description": "the agency's code (GET /v1/agencies on routing), or "
                "national-admin for the national admin's queue"
            }
        },
    ),
    Topic(
        "agencyReplies",
        AGENCY_REPLIES,
        ("AgencyReply",),
        (
            Operation(
                "sendAgencyReplies",
                "send",
                "Agencies acknowledge, forward, follow up, refuse, propose resolution.",
            ),
        ),
        Retention(7, "replies are applied within seconds; a week covers followup being down long"),
    ),
    Topic(
        "systemImports",
        SYSTEM_IMPORTS,
        ("ImportItem",),
        (
            Operation(
                "importComplaints",
                "send",
                "A connected system imports its complaints (only its own principal may write).",
            ),
        ),
        Retention(
            PERSONAL_DATA, "imported complaints carry reporters' contacts in clear until imported"
        ),
        {
            "systemCode": {
                "description": "the connected system's code (its principal is system-<code>; "
                "`python -m services systems open-topic CODE` opens the topic)"
            }
        },
    ),
    Topic(
        "checkpoints",
        CHECKPOINTS,
        ("SignedCheckpoint",),
        (
            Operation(
                "publishCheckpoints",
                "send",
                "reporting signs a checkpoint of the log periodically.",
            ),
            Operation("readCheckpoints", "receive", "Auditors keep them, outside the system."),
        ),
        Retention(FOREVER, "small, signed, and what auditors check the log against"),
    ),
)
"""Every topic of a deployment, in the order the AsyncAPI document lists them."""


def _template(topic: Topic, prefix: str) -> re.Pattern[str]:
    name = re.escape(topic.name)
    for parameter in topic.parameters:
        name = name.replace(re.escape("{" + parameter + "}"), r"[a-z0-9][a-z0-9._-]*")
    return re.compile(rf"^{re.escape(prefix)}\.{name}\.{VERSION_SUFFIX}$")


def topic_of(prefix: str, full_name: str) -> Topic:
    """The catalogue's entry for a full topic name (e.g. `lapor.agency.kemenkes.v1`)."""
    for topic in TOPICS:
        if _template(topic, prefix).match(full_name):
            return topic
    raise KeyError(f"{full_name} is not in the topic catalogue")


def topic_config(prefix: str, full_name: str, personal_data_hours: int) -> dict[str, str]:
    """The configuration a topic is created with: its stated retention."""
    return topic_of(prefix, full_name).retention.config(personal_data_hours)
