"""Intake HTTP API: file a complaint, follow it by tracking id, and the reporter's replies."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from events.messages import Submission
from intake.domain import ReporterAction
from intake.handlers import FileComplaint, IntakeDeps, ReplyAsReporter, ShowComplaint, handle
from services.platform.http import ERROR_SCHEMA, TRACKING_ID, IdempotencyKey

REPORTER_TOKEN = APIKeyHeader(
    name="X-Access-Token",
    scheme_name="ReporterToken",
    description="the reporter's access token, from the filing",
    auto_error=False,  # the handlers refuse a missing or wrong token with their own answer
)
TokenHeader = Annotated[str | None, Security(REPORTER_TOKEN)]
TrackingId = Annotated[str, Path(pattern=TRACKING_ID)]


class Filed(BaseModel):
    """The answer to a filing. Keep the access token: it is the reporter's key to the case."""

    complaint_id: UUID
    tracking_id: str
    access_token: str
    status_url: str


class ReporterReply(BaseModel):
    """The reporter's answer."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    action: ReporterAction
    message: str | None = Field(None, min_length=1, max_length=20_000, pattern=r"^[^\x00]*$")


def router(deps: IntakeDeps) -> APIRouter:
    """The intake routes, bound to the service's use cases."""
    api = APIRouter(prefix="/v1", tags=["complaints"], responses=ERROR_SCHEMA)
    public_base_url = deps.ports.settings.public_base_url

    @api.post("/complaints", status_code=201, response_model=Filed)
    async def file_complaint(
        submission: Submission, response: Response, key: IdempotencyKey = None
    ) -> Filed:
        """File a complaint, aspiration, information request or whistle-blowing report.

        Public: citizens' channels call it. With an `Idempotency-Key`, a retry returns the
        same complaint (header `Idempotent-Replayed: true`), never a second one.
        """
        filing = await handle(FileComplaint(submission, key=key), deps)
        if not filing.created:
            response.headers["Idempotent-Replayed"] = "true"
        return Filed(
            complaint_id=filing.complaint_id,
            tracking_id=filing.tracking_id,
            access_token=filing.access_token,
            # From settings, never from the Host header: a forged Host must not plant a link.
            status_url=f"{public_base_url}/v1/complaints/{filing.tracking_id}",
        )

    # The token is optional here ({} added to the declared requirement): a complaint that is
    # not confidential is public.
    @api.get("/complaints/{tracking_id}", name="get_complaint", openapi_extra={"security": [{}]})
    async def get_complaint(tracking_id: TrackingId, token: TokenHeader = None) -> dict[str, Any]:
        """Status, deadlines and the public timeline. A confidential complaint is visible only
        with the reporter's `X-Access-Token`; personal data is never shown."""
        view: dict[str, Any] = await handle(ShowComplaint(tracking_id, token), deps)
        return view

    @api.post("/complaints/{tracking_id}/replies")
    async def reply(
        tracking_id: TrackingId,
        body: ReporterReply,
        token: TokenHeader = None,
        key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """The reporter (with the access token) adds information, says the follow-up satisfied
        them (resolved, then closed) or did not (reopened), or consents to an Ombudsman referral
        once the resolution deadline has passed."""
        command = ReplyAsReporter(tracking_id, token, body.action, body.message, key)
        view: dict[str, Any] = await handle(command, deps)
        return view

    return api
