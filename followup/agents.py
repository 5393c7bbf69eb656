"""The agency-replies topic: a thin faust agent checks each reply's signature, decodes it and
hands it to the handler; the outcome goes back to the agency's own queue as a notice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import faust
from pydantic import ValidationError

from followup.handlers import AgencyReplyMessage, Followup
from routing.work_items import ReplyNotice
from services.auth import KeyRing
from services.decisions import Refused
from services.faust_app import dead_lettering_agent
from services.http import validation_errors

SIGNATURE_HEADER = "lapor_signature"


class BadReply(ValueError):
    """A reply that cannot be trusted or read: it goes to the dead-letter topic with the reason."""


def reply_decoder(
    keyring: KeyRing,
) -> Callable[[bytes | None, bytes | None, Any], AgencyReplyMessage]:
    """Decode a reply and check that the agency it names signed it."""

    def decode(key: bytes | None, value: bytes | None, headers: Any) -> AgencyReplyMessage:
        body = value or b""
        try:
            reply = AgencyReplyMessage.model_validate_json(body)
        except ValidationError as exc:
            problems = "; ".join(f"{e['field']}: {e['problem']}" for e in validation_errors(exc))
            raise BadReply(f"invalid reply: {problems}") from None
        signature = next(
            (v.decode(errors="replace") for k, v in headers or () if k == SIGNATURE_HEADER), None
        )
        if not keyring.signature_valid(reply.agency_code, body, signature):
            raise BadReply(
                f"{SIGNATURE_HEADER} is missing or does not match {reply.agency_code}'s key"
            )
        return reply

    return decode


async def handle_reply(followup: Followup, reply: AgencyReplyMessage) -> None:
    """Apply a signed reply and tell the agency how it went, on its own queue."""
    try:
        outcome = await followup.agency_reply(
            reply.agency_code, reply.complaint_id, reply, reply.reply_id
        )
        notice = ReplyNotice(
            reply_id=reply.reply_id,
            complaint_id=reply.complaint_id,
            status="duplicate" if outcome.duplicate else "applied",
        )
    except Refused as refused:
        notice = ReplyNotice(
            reply_id=reply.reply_id,
            complaint_id=reply.complaint_id,
            status="rejected",
            error=refused.code,
            problem=refused.message,
        )
    await followup.rt.publish(
        followup.rt.settings.agency_topic(reply.agency_code),
        str(reply.complaint_id),
        notice.model_dump(mode="json"),
        lapor_type="reply-notice",
    )


def register(app: faust.App, followup: Followup) -> Any:
    """The agent on `<prefix>.agency-replies.v1`."""

    async def handle(reply: AgencyReplyMessage) -> None:
        await handle_reply(followup, reply)

    return dead_lettering_agent(
        app,
        followup.rt.settings,
        name="agency-replies",
        topic=followup.rt.settings.agency_replies_topic,
        decode=reply_decoder(followup.rt.keyring),
        handle=handle,
    )


def reply_json(reply: AgencyReplyMessage) -> bytes:
    """The bytes an agency signs and sends (any JSON encoding works: the signature covers the
    exact bytes sent)."""
    return json.dumps(reply.model_dump(mode="json", exclude_none=True)).encode()
