"""The intake topic: a thin faust agent decodes each submission and hands it to the handler,
which answers on the intake-results topic (accepted or rejected) keyed by the submission id."""

from __future__ import annotations

import json
from typing import Any

import faust

from intake.handlers import IntakeDeps, SubmitFromTopic, handle
from services.platform.faust_app import dead_lettering_agent


class Undeliverable(ValueError):
    """A message without a usable submission id: no result can be addressed, so it is
    dead-lettered instead."""


def decode_submission(key: bytes | None, value: bytes | None, headers: Any) -> dict[str, Any]:
    """JSON object with a submission id, or Undeliverable (to the dead-letter topic)."""
    try:
        data = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Undeliverable(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("submission_id"), str):
        raise Undeliverable("a submission must be a JSON object with a string submission_id")
    return data


def register(app: faust.App, deps: IntakeDeps) -> Any:
    """The agent on `<prefix>.intake.v1`."""

    async def submit(data: dict[str, Any]) -> None:
        await handle(SubmitFromTopic(data), deps)

    return dead_lettering_agent(
        app,
        deps.ports.settings,
        name="intake-submissions",
        topic=deps.ports.settings.intake_topic,
        decode=decode_submission,
        handle=submit,
        concurrency=4,
    )
