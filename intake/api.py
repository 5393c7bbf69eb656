"""Intake HTTP API: channels file complaints; reporters follow them by tracking id, reply, and
rotate or end their access token; the national admin erases a reporter's contact; auditors read
who read contacts."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from events.messages import Submission
from intake.deps import Channel, Deps, Limits, filing_limits, reply_limits
from intake.domain import ReporterAction
from intake.handlers import FileComplaint, IntakeDeps, handle
from intake.reporters import (
    ErasePersonalData,
    ListContactReads,
    ReplyAsReporter,
    RevokeToken,
    RotateToken,
    ShowComplaint,
)
from services.platform.auth import Admin, Auditor, KeyRing
from services.platform.http import ERROR_SCHEMA, LIMITED, TRACKING_ID, IdempotencyKey
from services.platform.ratelimit import RateLimits

REPORTER_TOKEN = APIKeyHeader(
    name="X-Access-Token",
    scheme_name="ReporterToken",
    description="the reporter's access token, from the filing",
    auto_error=False,  # the handlers refuse a missing or wrong token with their own answer
)
TokenHeader = Annotated[str | None, Security(REPORTER_TOKEN)]
TrackingId = Annotated[str, Path(pattern=TRACKING_ID)]


class Filed(BaseModel):
    """The answer to a filing. Keep the access token: it is the reporter's key to the case.
    A repeated filing gets a fresh token only when it repeats the reporter's contact too (the
    earlier token then stops working); an anonymous one never gets a token again."""

    complaint_id: UUID
    tracking_id: str
    access_token: str | None
    status_url: str


class NewToken(BaseModel):
    """A fresh access token; the one presented no longer works."""

    access_token: str


class ReporterReply(BaseModel):
    """The reporter's answer."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    action: ReporterAction
    message: str | None = Field(None, min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")
    rating: int | None = Field(
        None, ge=1, le=5, description="with action rate: 1 (poor) to 5 (very good)"
    )


router = APIRouter(prefix="/v1", responses=ERROR_SCHEMA | LIMITED)
"""The intake routes of the channel side."""


def mount(app: FastAPI, deps: IntakeDeps, keyring: KeyRing) -> None:
    """Serve the channel side's routes on `app`, over `deps`."""
    settings = deps.settings
    app.state.intake, app.state.keyring = deps, keyring
    app.state.intake_limits = RateLimits(
        {
            "filing-per-client": settings.filing_rate_per_client,
            "filing-per-channel": settings.filing_rate_per_channel,
            "reply-per-client": settings.reply_rate_per_client,
        }
    )
    app.include_router(router)


@router.post(
    "/complaints",
    status_code=201,
    response_model=Filed,
    tags=["complaints"],
    dependencies=[Depends(filing_limits)],
)
async def file_complaint(
    submission: Submission,
    response: Response,
    channel: Channel,
    deps: Deps,
    limits: Limits,
    key: IdempotencyKey = None,
) -> Filed:
    """File a complaint, aspiration, information request or whistle-blowing report.

    Channels only, with their own key (X-API-Key); `channel` must be the key's channel.
    With an `Idempotency-Key`, a retry returns the same complaint (header
    `Idempotent-Replayed: true`), never a second one.
    """
    limits.hit("filing-per-channel", channel.id)
    filing = await handle(FileComplaint(submission, channel.id, key=key), deps)
    if not filing.created:
        response.headers["Idempotent-Replayed"] = "true"
    return Filed(
        complaint_id=filing.complaint_id,
        tracking_id=filing.tracking_id,
        access_token=filing.access_token,
        # From settings, never from the Host header: a forged Host must not plant a link.
        status_url=f"{deps.public_base}/v1/complaints/{filing.tracking_id}",
    )


# The token is optional here ({} added to the declared requirement): a complaint that is
# not confidential is public.
@router.get(
    "/complaints/{tracking_id}",
    name="get_complaint",
    tags=["complaints"],
    openapi_extra={"security": [{}]},
)
async def get_complaint(
    deps: Deps, tracking_id: TrackingId, token: TokenHeader = None
) -> dict[str, Any]:
    """Status, deadlines and the public timeline. A confidential complaint is visible only
    with the reporter's `X-Access-Token`; personal data is never shown."""
    view: dict[str, Any] = await handle(ShowComplaint(tracking_id, token), deps)
    return view


@router.post(
    "/complaints/{tracking_id}/replies",
    tags=["complaints"],
    dependencies=[Depends(reply_limits)],
)
async def reply(
    deps: Deps,
    tracking_id: TrackingId,
    body: ReporterReply,
    token: TokenHeader = None,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The reporter (with the access token) adds information, confirms the follow-up or the
    proposed resolution (`satisfied`: resolved, then closed) or disputes it
    (`not_satisfied`: reopened), withdraws the complaint (`withdraw`), rates its handling
    once resolved (`rate` with `rating` 1-5 and an optional `message`), appeals a closure
    within LAPOR_APPEAL_DAYS (`appeal`: a reviewer above the agency decides), or consents
    to an Ombudsman referral once the resolution deadline has passed."""
    command = ReplyAsReporter(tracking_id, token, body.action, body.message, key, body.rating)
    view: dict[str, Any] = await handle(command, deps)
    return view


@router.post(
    "/complaints/{tracking_id}/access-token",
    response_model=NewToken,
    tags=["complaints"],
    dependencies=[Depends(reply_limits)],
)
async def rotate_token(deps: Deps, tracking_id: TrackingId, token: TokenHeader = None) -> NewToken:
    """Swap the access token for a new one (the presented one and any other stop working)."""
    return NewToken(access_token=await handle(RotateToken(tracking_id, token), deps))


@router.delete(
    "/complaints/{tracking_id}/access-token",
    status_code=204,
    tags=["complaints"],
    dependencies=[Depends(reply_limits)],
)
async def revoke_token(deps: Deps, tracking_id: TrackingId, token: TokenHeader = None) -> Response:
    """End the presented access token (e.g. after using a shared device)."""
    await handle(RevokeToken(tracking_id, token), deps)
    return Response(status_code=204)


@router.post(
    "/admin/complaints/{complaint_id}/erase-personal-data",
    tags=["personal data"],
)
async def erase_personal_data(deps: Deps, complaint_id: UUID, admin: Admin) -> dict[str, Any]:
    """The national admin erases the reporter's contact (UU PDP 27/2022): the reporter's key
    is destroyed, so the stored contact can never be read again, and
    `PersonalDataErased` is appended. Repeating it is harmless."""
    done: dict[str, Any] = await handle(ErasePersonalData(complaint_id, admin.id), deps)
    return done


@router.get("/audit/contact-reads", tags=["personal data"])
async def contact_reads(
    deps: Deps,
    auditor: Auditor,
    complaint_id: UUID | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Every read of a reporter's contact: who, when, why, which complaint (oldest first;
    page with `after` = the last position seen). Auditors and the national admin."""
    rows: list[dict[str, Any]] = await handle(ListContactReads(complaint_id, after, limit), deps)
    return rows
