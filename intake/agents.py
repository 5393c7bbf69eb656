"""The intake topic: a thin faust agent checks each submission's signature, decodes it and hands
it to the handler, which answers on the channel's own results topic (accepted or rejected),
keyed by the submission id."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import faust

from intake.handlers import IntakeDeps, SubmitFromTopic, handle
from services.platform.auth import SIGNATURE_HEADER, KeyRing, signature_in
from services.platform.consumer import InFlight
from services.platform.faust_app import dead_lettering_agent


class Undeliverable(ValueError):
    """A message without a usable submission id: no result can be addressed, so it is
    dead-lettered instead."""


def submission_decoder(
    keyring: KeyRing,
) -> Callable[[bytes | None, bytes | None, Any], tuple[dict[str, Any], str]]:
    """Decode a submission and check that the channel it names signed it: a channel files
    only as itself, and its results go to its own topic."""

    def decode(key: bytes | None, value: bytes | None, headers: Any) -> tuple[dict[str, Any], str]:
        body = value or b""
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Undeliverable(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("submission_id"), str):
            raise Undeliverable("a submission must be a JSON object with a string submission_id")
        channel = data.get("channel")
        if not isinstance(channel, str) or not keyring.signature_valid(
            channel, body, signature_in(headers), role="channel"
        ):
            raise Undeliverable(
                f"{SIGNATURE_HEADER} is missing or does not match the key of the channel named"
            )
        return data, channel

    return decode


def register(app: faust.App, deps: IntakeDeps, keyring: KeyRing, in_flight: InFlight) -> Any:
    """The agent on `<prefix>.intake.v1`."""

    async def submit(decoded: tuple[dict[str, Any], str]) -> None:
        data, channel = decoded
        await handle(SubmitFromTopic(data, channel), deps)

    return dead_lettering_agent(
        app,
        deps.ports.settings,
        name="intake-submissions",
        topic=deps.ports.settings.intake_topic,
        decode=submission_decoder(keyring),
        handle=submit,
        concurrency=4,
        in_flight=in_flight,
    )
