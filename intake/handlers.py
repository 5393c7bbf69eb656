"""Intake's filing use cases over the ports: file a submission once (HTTP or the intake
topic), and answer a repeat with the first filing. One function per command, listed in
COMMAND_HANDLERS with the reporter's own (`intake.reporters`); intake consumes no complaint
events."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from events.catalog import ComplaintFiled
from events.envelope import Actor
from events.messages import IntakeResult, Submission, TopicSubmission
from intake.domain import (
    complaint_id_for,
    decide_file,
    same_submission,
)
from intake.ports import IntakeDeps, issue_token
from intake.reporters import REPORTER_HANDLERS
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.tracking import tracking_id_for
from services.platform.commands import execute
from services.platform.dispatch import Handler, dispatcher
from services.platform.http import validation_errors
from services.platform.logs import current_correlation
from services.platform.ports import ContactErased, ContactRead, InvalidAppend, Transaction
from services.platform.tokens import new_access_token
from services.platform.vault import new_reporter_ref

MAX_RESULT_ERRORS = 20
"""The most problems a rejected topic submission's result lists."""


@dataclass(frozen=True)
class FileComplaint:
    """File a submission once; `key` is the channel's Idempotency-Key or submission id.
    `channel` is the authenticated channel: the submission must name it."""

    submission: Submission
    channel: str
    key: str | None = None
    submission_id: str | None = None


@dataclass(frozen=True)
class SubmitFromTopic:
    """A decoded intake-topic message (a JSON object with a string submission_id), signed by
    `channel`."""

    data: dict[str, Any]
    channel: str


@dataclass(frozen=True)
class Filing:
    """The answer to a filing: ids for the channel and, on the first filing or a repeat that
    proves the same reporter, a fresh access token; `created` is False for a repeat."""

    complaint_id: UUID
    tracking_id: str
    access_token: str | None
    created: bool


async def file_complaint(cmd: FileComplaint, deps: IntakeDeps) -> Filing:
    """File a complaint once: a repeated key returns the first filing, never a second one.

    The reporter's personal data and the filing event commit in one transaction: both or
    neither. A concurrent filing with the same key loses at the stream's version check and
    answers with the winner's complaint.
    """
    ports, submission, key = deps.ports, cmd.submission, cmd.key
    if submission.channel != cmd.channel:
        raise Refused(
            "channel_mismatch",
            f"this key files for the channel {cmd.channel!r} only",
            field="channel",
            kind=RefusalKind.FORBIDDEN,
        )
    complaint_id = complaint_id_for(submission.channel, key, deps.secrets.ids) if key else uuid4()
    if key and (repeat := await _repeat(deps, complaint_id, submission)):
        return repeat
    now = await ports.clock.refresh()
    reporter_ref = new_reporter_ref() if submission.reporter is not None else None
    token = new_access_token()
    keep_contact_and_token = _keeping(deps, submission, reporter_ref, complaint_id, token)

    try:
        await execute(
            ports.store,
            complaint_id,
            lambda state: decide_file(
                state,
                submission,
                tracking_id=tracking_id_for(complaint_id),
                reporter_ref=reporter_ref,
                now=now,
                policy=ports.policy,
                submission_id=cmd.submission_id,
            ),
            actor=Actor(role="channel", id=submission.channel),
            now=ports.clock.now,
            # The request's (or message's) correlation id, else the complaint's own.
            correlation_id=current_correlation() or complaint_id,
            stream=[],
            also=keep_contact_and_token,
        )
    except Refused as refused:  # a concurrent filing with the same key won
        already = key and refused.code == "already_filed"
        if already and (repeat := await _repeat(deps, complaint_id, submission)):
            return repeat
        raise
    except InvalidAppend as clash:  # the tracking id is taken (about 1 in 2^60 per pair)
        if key:
            raise Refused(
                "tracking_id_clash",
                "file again with another Idempotency-Key (or submission id)",
                field="Idempotency-Key",
                kind=RefusalKind.CONFLICT,
            ) from clash
        return await file_complaint(FileComplaint(submission, cmd.channel), deps)  # fresh id
    return Filing(complaint_id, tracking_id_for(complaint_id), token, created=True)


def _keeping(
    deps: IntakeDeps,
    submission: Submission,
    reporter_ref: str | None,
    complaint_id: UUID,
    token: str,
) -> Callable[[Transaction], Awaitable[None]]:
    """What commits with the filing event: the reporter's contact (in the vault) and token."""

    async def keep(tx: Transaction) -> None:
        if submission.reporter is not None and reporter_ref is not None:
            contact = submission.reporter.model_dump(exclude_none=True)
            await deps.ports.vault.put(contact, reporter_ref, tx=tx)
        await issue_token(deps, complaint_id, token, tx=tx, revoke_others=False)

    return keep


async def _repeat(deps: IntakeDeps, complaint_id: UUID, submission: Submission) -> Filing | None:
    stream = await deps.ports.store.read_stream(complaint_id)
    if not stream:
        return None
    filed = stream[0].payload
    if (
        not isinstance(filed, ComplaintFiled)
        or not same_submission(filed, submission)
        # The reporter's token goes back only to whoever can repeat the person as well.
        or not await _same_reporter(deps, complaint_id, filed.reporter_ref, submission)
    ):
        raise invalid(
            "idempotency_key_reused",
            "this Idempotency-Key (or submission id) was used for a different submission",
            "Idempotency-Key",
        )
    tracking_id = tracking_id_for(complaint_id)
    if filed.anonymous or filed.reporter_ref is None:
        # Anonymous (with or without a contact kept): no token, ever, on a repeat.
        return Filing(complaint_id, tracking_id, None, created=False)
    # The caller repeated the person too (through the authenticated channel): a fresh token,
    # and the one the first answer carried (perhaps never received) stops working.
    await deps.ports.clock.refresh()
    token = new_access_token()
    await issue_token(deps, complaint_id, token, tx=None, revoke_others=True)
    return Filing(complaint_id, tracking_id, token, created=False)


async def _same_reporter(
    deps: IntakeDeps, complaint_id: UUID, reporter_ref: str | None, submission: Submission
) -> bool:
    given = submission.reporter.model_dump(exclude_none=True) if submission.reporter else None
    if reporter_ref is None or given is None:
        return reporter_ref is None and given is None
    read = ContactRead(f"channel {submission.channel}", "repeated filing", complaint_id)
    try:
        stored = await deps.ports.vault.get(reporter_ref, read=read)
    except (KeyError, ContactErased):
        return False
    return hmac.compare_digest(
        json.dumps(stored, sort_keys=True).encode(), json.dumps(given, sort_keys=True).encode()
    )


async def submit_from_topic(cmd: SubmitFromTopic, deps: IntakeDeps) -> IntakeResult:
    """File a topic submission once and publish its result (accepted or rejected, keyed by the
    submission id) on the intake-results topic."""
    data, settings, channel = cmd.data, deps.ports.settings, cmd.channel
    submission_id = data["submission_id"]
    rejected = IntakeResult(submission_id=submission_id, channel=channel, status="rejected")
    try:
        submission = TopicSubmission.model_validate(data)
        filing = await file_complaint(
            FileComplaint(
                Submission.model_validate(submission.model_dump(exclude={"submission_id"})),
                channel,
                key=submission.submission_id,
                submission_id=submission.submission_id,
            ),
            deps,
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
        # Bounded: a submission with thousands of bad keys gets a small answer all the same.
        problems = [
            {"field": e["field"][:200], "problem": e["problem"][:300]}
            for e in validation_errors(exc)[:MAX_RESULT_ERRORS]
        ]
        result = rejected.model_copy(update={"errors": problems})
    except Refused as refused:
        problem = {"field": refused.field or "", "problem": f"{refused.code}: {refused.message}"}
        result = rejected.model_copy(update={"errors": [problem]})
    await deps.ports.publisher.publish(
        settings.intake_results_topic(channel),
        submission_id,
        result.model_dump_json().encode(),
        {"lapor_type": "intake-result"},
    )
    return result


COMMAND_HANDLERS: dict[type, Handler[IntakeDeps]] = {
    FileComplaint: file_complaint,
    SubmitFromTopic: submit_from_topic,
    **REPORTER_HANDLERS,
}
"""Every use case of intake's channel side, by its command (the connected systems have their
own table in `intake.connected.handlers`)."""


handle = dispatcher(COMMAND_HANDLERS)
"""Run one of intake's commands."""
