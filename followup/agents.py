"""The agency-replies topic: a thin faust agent checks each reply's signature, decodes it and
hands it to the handler; the outcome goes back to the agency's own queue as a notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from pydantic import ValidationError

from events.messages import AgencyReplyMessage
from followup.handlers import FollowupDeps, ReplyFromTopic, handle
from services.platform.auth import SIGNATURE_HEADER, KeyRing, signature_in
from services.platform.consumer import InFlight
from services.platform.faust_app import dead_lettering_agent
from services.platform.http import validation_errors


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
        if not keyring.signature_valid(reply.agency_code, body, signature_in(headers)):
            raise BadReply(
                f"{SIGNATURE_HEADER} is missing or does not match {reply.agency_code}'s key"
            )
        return reply

    return decode


def register(app: faust.App, deps: FollowupDeps, keyring: KeyRing, in_flight: InFlight) -> Any:
    """The agent on `<prefix>.agency-replies.v1`."""

    async def apply(reply: AgencyReplyMessage) -> None:
        await handle(ReplyFromTopic(reply), deps)

    return dead_lettering_agent(
        app,
        deps.ports.settings,
        name="agency-replies",
        topic=deps.ports.settings.agency_replies_topic,
        decode=reply_decoder(keyring),
        handle=apply,
        in_flight=in_flight,
    )
