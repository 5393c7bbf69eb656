"""What a reporter does after filing, with the access token: follow the complaint (the public
view, or the reporter's own for a confidential one), reply, rotate or end the token; and the
reporter's personal data: the national admin's erasure and the log of who read contacts.
One function per command, in REPORTER_HANDLERS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from events.envelope import Actor, Envelope
from events.fold import replay
from events.state import ComplaintState
from intake.domain import (
    ReporterAction,
    decide_erasure,
    decide_reporter_reply,
)
from intake.ports import IntakeDeps, issue_token
from intake.timeline import public_timeline
from services.kernel.refusals import RefusalKind, Refused
from services.platform.commands import execute
from services.platform.dispatch import Handler
from services.platform.tokens import new_access_token


@dataclass(frozen=True)
class ByReporter:
    """A command on one complaint, by its tracking id, with the reporter's access token (if
    the caller has one)."""

    tracking_id: str
    token: str | None


@dataclass(frozen=True)
class ShowComplaint(ByReporter):
    """The public view; a confidential complaint needs the reporter's token."""


@dataclass(frozen=True)
class ReplyAsReporter(ByReporter):
    """The reporter adds information, confirms, disputes, withdraws, rates, or consents to a
    referral."""

    action: ReporterAction
    message: str | None
    idempotency_key: str | None = None
    rating: int | None = None


@dataclass(frozen=True)
class RotateToken(ByReporter):
    """The reporter swaps the access token for a new one; the old one stops working."""


@dataclass(frozen=True)
class RevokeToken(ByReporter):
    """The reporter ends the access token (e.g. on a shared device)."""


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
            max_messages=deps.settings.max_reporter_messages,
            rating=cmd.rating,
            max_reopens=deps.settings.max_reopens,
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
    await issue_token(deps, complaint_id, token, tx=None, revoke_others=True)
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


REPORTER_HANDLERS: dict[type, Handler[IntakeDeps]] = {
    ShowComplaint: show_complaint,
    ReplyAsReporter: reply_as_reporter,
    RotateToken: rotate_token,
    RevokeToken: revoke_token,
    ErasePersonalData: erase_personal_data,
    ListContactReads: list_contact_reads,
}
"""The reporter's use cases and personal data's (merged into intake's table)."""
