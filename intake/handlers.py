"""Intake use cases over the ports: file a submission (HTTP or topic), show a complaint to the
public or its reporter, and take the reporter's replies. One function per command, listed in
COMMAND_HANDLERS; intake consumes no complaint events."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

from pydantic import ValidationError

from events.catalog import ComplaintFiled
from events.envelope import Actor, Envelope
from events.fold import replay
from events.messages import IntakeResult, Submission, TopicSubmission
from events.state import ComplaintState
from intake.domain import (
    IntakeSecrets,
    ReporterAction,
    complaint_id_for,
    decide_erasure,
    decide_file,
    decide_reporter_reply,
    same_submission,
)
from intake.store import ReporterTokens
from intake.timeline import public_timeline
from services.kernel.refusals import RefusalKind, Refused
from services.kernel.tracking import tracking_id_for
from services.platform.commands import execute
from services.platform.dispatch import Handler, dispatch
from services.platform.http import validation_errors
from services.platform.logs import current_correlation
from services.platform.ports import ContactErased, ContactRead, InvalidAppend, Ports, Transaction
from services.platform.tokens import new_access_token
from services.platform.vault import new_reporter_ref

MAX_RESULT_ERRORS = 20
"""The most problems a rejected topic submission's result lists."""


@dataclass
class IntakeDeps:
    """What intake's handlers run over."""

    ports: Ports
    secrets: IntakeSecrets
    tokens: ReporterTokens


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
class ShowComplaint:
    """The public view; a confidential complaint needs the reporter's token."""

    tracking_id: str
    token: str | None


@dataclass(frozen=True)
class ReplyAsReporter:
    """The reporter adds information, confirms, disputes, withdraws, rates, or consents to a
    referral."""

    tracking_id: str
    token: str | None
    action: ReporterAction
    message: str | None
    idempotency_key: str | None = None
    rating: int | None = None


@dataclass(frozen=True)
class RotateToken:
    """The reporter swaps the access token for a new one; the old one stops working."""

    tracking_id: str
    token: str | None


@dataclass(frozen=True)
class RevokeToken:
    """The reporter ends the access token (e.g. on a shared device)."""

    tracking_id: str
    token: str | None


@dataclass(frozen=True)
class ErasePersonalData:
    """The national admin erases a reporter's contact (UU PDP): shred the key, record it."""

    complaint_id: UUID
    requested_by: str


@dataclass(frozen=True)
class ListContactReads:
    """The log of who read reporters' contacts (auditors and the national admin)."""

    complaint_id: UUID | None
    after: int
    limit: int


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

    async def keep_contact_and_token(tx: Transaction) -> None:
        if submission.reporter is not None:
            contact = submission.reporter.model_dump(exclude_none=True)
            await ports.vault.put(contact, reporter_ref, tx=tx)
        await _issue(deps, complaint_id, token, tx=tx, revoke_others=False)

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


async def _issue(
    deps: IntakeDeps, complaint_id: UUID, token: str, *, tx: Transaction, revoke_others: bool
) -> None:
    now = deps.ports.clock.now()
    expires = now + timedelta(days=deps.ports.settings.reporter_token_days)
    await deps.tokens.issue(
        complaint_id, token, now=now, expires_at=expires, revoke_others=revoke_others, tx=tx
    )


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
        raise Refused(
            "idempotency_key_reused",
            "this Idempotency-Key (or submission id) was used for a different submission",
            field="Idempotency-Key",
            kind=RefusalKind.INVALID,
        )
    tracking_id = tracking_id_for(complaint_id)
    if filed.anonymous or filed.reporter_ref is None:
        # Anonymous (with or without a contact kept): no token, ever, on a repeat.
        return Filing(complaint_id, tracking_id, None, created=False)
    # The caller repeated the person too (through the authenticated channel): a fresh token,
    # and the one the first answer carried (perhaps never received) stops working.
    await deps.ports.clock.refresh()
    token = new_access_token()
    await _issue(deps, complaint_id, token, tx=None, revoke_others=True)
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


async def _visible(
    deps: IntakeDeps, tracking_id: str, token: str | None
) -> tuple[ComplaintState, list[Envelope], bool]:
    store = deps.ports.store
    complaint_id = await store.find_by_tracking_id(tracking_id)
    if complaint_id is None:
        raise Refused("not_found", "no complaint with this tracking id", kind=RefusalKind.NOT_FOUND)
    envelopes = await store.read_stream(complaint_id)
    state = replay(envelopes)
    is_reporter = await deps.tokens.valid(complaint_id, token, deps.ports.clock.now())
    if state.confidential and not is_reporter:
        # Shows nothing, not even that it exists.
        raise Refused("not_found", "no complaint with this tracking id", kind=RefusalKind.NOT_FOUND)
    return state, envelopes, is_reporter


async def show_complaint(cmd: ShowComplaint, deps: IntakeDeps) -> dict[str, Any]:
    """Status and public timeline; a confidential complaint needs the reporter's token."""
    state, envelopes, _ = await _visible(deps, cmd.tracking_id, cmd.token)
    return public_timeline(state, envelopes, deps.ports.registry)


async def reply_as_reporter(cmd: ReplyAsReporter, deps: IntakeDeps) -> dict[str, Any]:
    """The reporter's answer, applied once per Idempotency-Key; returns the public view."""
    ports = deps.ports
    state = await _as_reporter(deps, cmd.tracking_id, cmd.token)
    assert state.complaint_id is not None
    await ports.clock.refresh()
    idempotency = (
        uuid5(state.complaint_id, f"reporter-reply\x00{cmd.idempotency_key}")
        if cmd.idempotency_key
        else None
    )
    outcome = await execute(
        ports.store,
        state.complaint_id,
        lambda s: decide_reporter_reply(
            s,
            action=cmd.action,
            message=cmd.message,
            now=ports.clock.now(),
            policy=ports.policy,
            max_messages=ports.settings.max_reporter_messages,
            rating=cmd.rating,
            max_reopens=ports.settings.max_reopens,
            registry=ports.registry,
        ),
        actor=Actor(role="reporter", id=cmd.tracking_id),
        now=ports.clock.now,
        idempotency=idempotency,
    )
    stream = await ports.store.read_stream(state.complaint_id)
    return public_timeline(outcome.state, stream, ports.registry)


async def _as_reporter(deps: IntakeDeps, tracking_id: str, token: str | None) -> ComplaintState:
    """The complaint, for its reporter only (401 without a valid token)."""
    state, _, is_reporter = await _visible(deps, tracking_id, token)
    if not is_reporter:
        raise Refused(
            "unauthenticated",
            "the reporter's access token is required",
            kind=RefusalKind.UNAUTHENTICATED,
        )
    return state


async def rotate_token(cmd: RotateToken, deps: IntakeDeps) -> str:
    """A new token for the reporter; every earlier one stops working."""
    complaint_id = (await _as_reporter(deps, cmd.tracking_id, cmd.token)).complaint_id
    assert complaint_id is not None
    await deps.ports.clock.refresh()
    token = new_access_token()
    await _issue(deps, complaint_id, token, tx=None, revoke_others=True)
    return token


async def revoke_token(cmd: RevokeToken, deps: IntakeDeps) -> None:
    """The presented token stops working."""
    complaint_id = (await _as_reporter(deps, cmd.tracking_id, cmd.token)).complaint_id
    assert complaint_id is not None and cmd.token is not None
    await deps.tokens.revoke(complaint_id, cmd.token, deps.ports.clock.now())


async def erase_personal_data(cmd: ErasePersonalData, deps: IntakeDeps) -> dict[str, Any]:
    """Shred the reporter's key, then record `PersonalDataErased` (once: a repeat is harmless).

    Shredding first: should the append fail, the person is gone all the same, and a retry
    records it."""
    ports = deps.ports
    state = replay(await ports.store.read_stream(cmd.complaint_id))
    decide_erasure(state)  # refuses before anything is shredded
    shredded = await ports.vault.erase(state.reporter_ref) if state.reporter_ref else False
    await ports.clock.refresh()
    outcome = await execute(
        ports.store,
        cmd.complaint_id,
        decide_erasure,
        actor=Actor(role="national_admin", id=cmd.requested_by),
        now=ports.clock.now,
    )
    return {
        "complaint_id": str(cmd.complaint_id),
        "tracking_id": state.tracking_id,
        "key_shredded": shredded,
        "erased_now": bool(outcome.appended),
    }


async def list_contact_reads(cmd: ListContactReads, deps: IntakeDeps) -> list[dict[str, Any]]:
    """Who read which reporter's contact, when and why."""
    return await deps.ports.vault.reads(cmd.complaint_id, after=cmd.after, limit=cmd.limit)


COMMAND_HANDLERS: dict[type, Handler[IntakeDeps]] = {
    FileComplaint: file_complaint,
    SubmitFromTopic: submit_from_topic,
    ShowComplaint: show_complaint,
    ReplyAsReporter: reply_as_reporter,
    RotateToken: rotate_token,
    RevokeToken: revoke_token,
    ErasePersonalData: erase_personal_data,
    ListContactReads: list_contact_reads,
}
"""Every use case of intake's channel side, by its command (the connected systems have their
own table in `intake.connected.handlers`)."""


async def handle(command: object, deps: IntakeDeps) -> Any:
    """Run one of intake's commands."""
    return await dispatch(COMMAND_HANDLERS, command, deps)
