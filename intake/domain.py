"""Intake decisions, pure: the filing of a complaint, its ids and tokens, and the reporter's
replies."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID, uuid5

from events.base import DeadlineKind, Event
from events.catalog import (
    ComplaintClosed,
    ComplaintFiled,
    ComplaintReopened,
    InformationSupplied,
    PersonalDataErased,
    Rated,
    ReporterReplied,
    Resolved,
)
from events.messages import Submission
from events.state import ComplaintState, Status
from services.kernel.appeals import decide_appeal, referral, reopen_limit
from services.kernel.clocks import resumed_deadlines
from services.kernel.refusals import RefusalKind, Refused, invalid
from services.kernel.registry import Registry
from services.kernel.workdays import DeadlinePolicy

_IDS = UUID("8a7c1f0e-5b1d-4e43-9a57-0c6a3c1f2d10")  # namespace for ids derived from channel keys

ReporterAction = Literal[
    "add_information",
    "satisfied",
    "not_satisfied",
    "refer_to_ombudsman",
    "withdraw",
    "rate",
    "appeal",
]
"""What a reporter may answer."""


@dataclass(frozen=True)
class IntakeSecrets:
    """The server secret intake derives complaint ids from (never the master key itself)."""

    ids: bytes

    @classmethod
    def from_master_key(cls, master_key: str) -> IntakeSecrets:
        """A secret of its own purpose, so that it leaking says nothing of the master key."""
        return cls(ids=hashlib.sha256(b"lapor channel keys\x00" + master_key.encode()).digest())


def complaint_id_for(channel: str, key: str, secret: bytes = b"") -> UUID:
    """The complaint id for a channel's idempotency key or submission id: a retry finds the same
    stream, and the event store's first-version check makes the second filing impossible.

    Keyed by a server secret, so nobody can work out a complaint (or its tracking id) from a
    guessed key."""
    mac = hmac.new(secret, f"{channel}\x00{key}".encode(), "sha256").hexdigest()
    return uuid5(_IDS, mac)


def same_submission(filed: ComplaintFiled, submission: Submission) -> bool:
    """Whether a complaint was filed from this very submission (an idempotent retry). Compared
    with the filing itself: the national admin may have changed title or flags since."""
    fields = ("title", "description", "kind", "channel", "category", "region_code")
    return all(getattr(filed, f) == getattr(submission, f) for f in fields) and (
        filed.anonymous,
        filed.confidential,
    ) == (submission.anonymous, submission.confidential)


def decide_file(
    state: ComplaintState,
    submission: Submission,
    *,
    tracking_id: str,
    reporter_ref: str | None,
    now: datetime,
    policy: DeadlinePolicy,
    submission_id: str | None = None,
) -> list[ComplaintFiled]:
    """File a new complaint; refused when the stream already exists."""
    if state.status is not Status.NEW:
        raise Refused(
            "already_filed", "this complaint was already filed", kind=RefusalKind.CONFLICT
        )
    return [
        ComplaintFiled(
            tracking_id=tracking_id,
            kind=submission.kind,
            title=submission.title,
            description=submission.description,
            category=submission.category,
            region_code=submission.region_code,
            channel=submission.channel,
            submission_id=submission_id,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            reporter_ref=reporter_ref,
            verify_due=policy.verify_due(now),
            resolution_due=policy.resolution_due(now),
        )
    ]


@dataclass(frozen=True)
class _Said:
    """What the reporter said, and what every reporter action decides with."""

    message: str | None
    now: datetime
    policy: DeadlinePolicy
    max_messages: int
    rating: int | None
    max_reopens: int
    registry: Registry


def decide_reporter_reply(
    state: ComplaintState,
    *,
    action: ReporterAction,
    message: str | None,
    now: datetime,
    policy: DeadlinePolicy,
    max_messages: int = 20,
    rating: int | None = None,
    max_reopens: int = 3,
    registry: Registry,
) -> list[Event]:
    """The reporter answers: adds information, confirms the follow-up or the proposed
    resolution (resolved, then closed), disputes it (reopened), withdraws the complaint, rates
    its handling once resolved, or consents to an Ombudsman referral after the resolution
    deadline. At most `max_messages` messages per complaint: what one reporter can make the
    platform carry is bounded. One small decider per action, in the tables below."""
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    said = _Said(message, now, policy, max_messages, rating, max_reopens, registry)
    if action in _AFTER_CLOSING:
        return _AFTER_CLOSING[action](state, said)
    if not state.is_open:
        raise Refused("closed", f"the complaint is {state.status.value}")
    if message:
        _within_message_limit(state, max_messages)
    return _WHILE_OPEN[action](state, said)


def _rate_handling(state: ComplaintState, said: _Said) -> list[Event]:
    return _rate(state, said.rating, said.message)


def _appeal(state: ComplaintState, said: _Said) -> list[Event]:
    appeal = decide_appeal(
        state,
        now=said.now,
        policy=said.policy,
        registry=said.registry,
        max_reopens=said.max_reopens,
    )
    if not said.message:
        return appeal
    _within_message_limit(state, said.max_messages)
    # The reporter's words travel to the reviewer in the work item, never on the public
    # timeline.
    return [ReporterReplied(message=said.message), *appeal]


def _add_information(state: ComplaintState, said: _Said) -> list[Event]:
    message, now, policy = said.message, said.now, said.policy
    if not message:
        raise invalid("message_required", "add a message", "message")
    if state.status is Status.AWAITING_REPORTER:
        # Back where it was (verification, or the agency that asked), with the time its
        # clocks had left.
        deadlines = resumed_deadlines(state, now, policy)
        verify_due = deadlines.get(DeadlineKind.VERIFICATION) or policy.verify_due(now)
        return [InformationSupplied(message=message, verify_due=verify_due, deadlines=deadlines)]
    if state.status in (Status.FOLLOWED_UP, Status.RESOLVED):
        # The reporter is not silent: the clock that would close the complaint for
        # silence starts again.
        return [ReporterReplied(message=message, reply_due=policy.reply_due(now))]
    return [ReporterReplied(message=message)]


def _withdraw(state: ComplaintState, said: _Said) -> list[Event]:
    told = [ReporterReplied(message=said.message)] if said.message else []
    return [*told, ComplaintClosed(reason="withdrawn")]


def _require_follow_up(state: ComplaintState) -> None:
    if state.status not in (Status.FOLLOWED_UP, Status.RESOLVED):
        raise Refused("no_follow_up", "there is no follow-up to answer yet")


def _satisfied(state: ComplaintState, said: _Said) -> list[Event]:
    _require_follow_up(state)
    return [
        ReporterReplied(satisfied=True, message=said.message),
        # The agency's proposed code; a plain follow-up confirmed counts as fixed.
        Resolved(resolution_code=state.resolution_code or "fixed", confirmed_by="reporter"),
        ComplaintClosed(reason="resolved", appeal_until=said.policy.appeal_until(said.now)),
    ]


def _not_satisfied(state: ComplaintState, said: _Said) -> list[Event]:
    _require_follow_up(state)
    refused = reopen_limit(state, said.max_reopens)
    if refused is not None:
        raise refused
    return [
        ReporterReplied(satisfied=False, message=said.message),
        ComplaintReopened(
            # A fixed reason: the reporter's own words stay in ReporterReplied, which the
            # public timeline does not show (they may hold personal details).
            reason="the reporter is not satisfied",
            follow_up_due=said.policy.follow_up_due(said.now),
        ),
    ]


def _refer_to_ombudsman(state: ComplaintState, said: _Said) -> list[Event]:
    due = state.deadlines.get(DeadlineKind.RESOLUTION)
    if due is None or said.now <= due or state.status is Status.REFERRED_TO_OMBUDSMAN:
        raise Refused(
            "too_early", "an Ombudsman referral is possible once the resolution deadline passed"
        )
    return referral(
        state,
        reason="reporter_request",
        now=said.now,
        policy=said.policy,
        ombudsman=said.registry.ombudsman,
    )


_Decider = Callable[[ComplaintState, _Said], list[Event]]
_AFTER_CLOSING: dict[str, _Decider] = {"rate": _rate_handling, "appeal": _appeal}
"""Actions on a complaint that may already be closed (each checks its own state)."""
_WHILE_OPEN: dict[str, _Decider] = {
    "add_information": _add_information,
    "withdraw": _withdraw,
    "satisfied": _satisfied,
    "not_satisfied": _not_satisfied,
    "refer_to_ombudsman": _refer_to_ombudsman,
}
"""Actions on an open complaint only."""


def decide_erasure(state: ComplaintState) -> list[PersonalDataErased]:
    """Record that the reporter's contact is erased: once (nothing more to do afterwards)."""
    if state.status is Status.NEW:
        raise Refused("not_found", "no such complaint", kind=RefusalKind.NOT_FOUND)
    if state.personal_data_erased:
        return []
    if state.reporter_ref is None:
        raise Refused(
            "no_personal_data",
            "this complaint holds no reporter contact",
            kind=RefusalKind.CONFLICT,
        )
    return [PersonalDataErased(reporter_ref=state.reporter_ref)]


def _rate(state: ComplaintState, rating: int | None, comment: str | None) -> list[Event]:
    """Once, when the complaint is resolved (awaiting confirmation, or closed resolved)."""
    if rating is None:
        raise invalid("rating_required", "rate from 1 to 5", "rating")
    resolved = state.status is Status.RESOLVED or (
        state.status is Status.CLOSED and state.closed_reason == "resolved"
    )
    if not resolved:
        raise Refused("not_resolved", "a complaint is rated once it is resolved")
    if state.rating is not None:
        raise Refused("already_rated", "this complaint was already rated")
    return [Rated(rating=rating, comment=comment)]


def _within_message_limit(state: ComplaintState, max_messages: int) -> None:
    """What one reporter can make the platform carry is bounded."""
    if state.reporter_messages >= max_messages:
        raise Refused(
            "message_limit_reached",
            f"this complaint already holds {max_messages} messages from the reporter; "
            "contact the agency through its own channel",
            field="message",
            kind=RefusalKind.CONFLICT,
        )
