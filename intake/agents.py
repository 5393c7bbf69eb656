"""The intake topic: a thin faust agent decodes each submission and hands it to the handler,
which answers on the intake-results topic (accepted or rejected) keyed by the submission id."""

from __future__ import annotations

import json
from typing import Any

import faust
from pydantic import ValidationError

from intake.domain import IntakeResult, Submission, TopicSubmission
from intake.handlers import Intake
from services.decisions import Refused
from services.faust_app import dead_lettering_agent
from services.http import validation_errors
from services.logs import get_logger

log = get_logger("intake.agents")


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


async def handle_submission(intake: Intake, data: dict[str, Any]) -> None:
    """File a topic submission once and publish the result."""
    settings = intake.rt.settings
    submission_id = data["submission_id"]
    channel = data.get("channel") if isinstance(data.get("channel"), str) else None
    try:
        submission = TopicSubmission.model_validate(data)
        filing = await intake.file(
            Submission.model_validate(submission.model_dump(exclude={"submission_id"})),
            key=submission.submission_id,
            submission_id=submission.submission_id,
        )
        result = IntakeResult(
            submission_id=submission_id,
            channel=channel,
            status="accepted",
            complaint_id=filing.complaint_id,
            tracking_id=filing.tracking_id,
            access_token=filing.access_token,
        )
    except ValidationError as exc:
        result = IntakeResult(
            submission_id=submission_id,
            channel=channel,
            status="rejected",
            errors=[{"field": e["field"], "problem": e["problem"]} for e in validation_errors(exc)],
        )
    except Refused as refused:
        result = IntakeResult(
            submission_id=submission_id,
            channel=channel,
            status="rejected",
            errors=[
                {"field": refused.field or "", "problem": f"{refused.code}: {refused.message}"}
            ],
        )
    await intake.rt.publish(
        settings.intake_results_topic,
        submission_id,
        result.model_dump(mode="json"),
        lapor_type="intake-result",
    )


def register(app: faust.App, intake: Intake) -> Any:
    """The agent on `<prefix>.intake.v1`."""

    async def handle(data: dict[str, Any]) -> None:
        await handle_submission(intake, data)

    return dead_lettering_agent(
        app,
        intake.rt.settings,
        name="intake-submissions",
        topic=intake.rt.settings.intake_topic,
        decode=decode_submission,
        handle=handle,
        concurrency=4,
    )
