"""Intake HTTP API: file a complaint, follow it by tracking id, and the reporter's replies."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from followup.domain import ReporterAction
from intake.domain import Submission
from intake.handlers import Intake
from services.http import ERROR_SCHEMA

KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9._:-]{1,128}$",
        description="makes a retry return the first result instead of acting twice",
    ),
]
TokenHeader = Annotated[
    str | None,
    Header(alias="X-Access-Token", description="the reporter's access token, from the filing"),
]
TrackingId = Annotated[str, Path(pattern=r"^lpr-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$")]


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


def router(intake: Intake) -> APIRouter:
    """The intake routes, bound to the service's use cases."""
    api = APIRouter(prefix="/v1", tags=["complaints"], responses=ERROR_SCHEMA)

    @api.post("/complaints", status_code=201, response_model=Filed)
    async def file_complaint(
        submission: Submission, request: Request, response: Response, key: KeyHeader = None
    ) -> Filed:
        """File a complaint, aspiration, information request or whistle-blowing report.

        Public: citizens' channels call it. With an `Idempotency-Key`, a retry returns the
        same complaint (header `Idempotent-Replayed: true`), never a second one.
        """
        filing = await intake.file(submission, key=key)
        if not filing.created:
            response.headers["Idempotent-Replayed"] = "true"
        return Filed(
            complaint_id=filing.complaint_id,
            tracking_id=filing.tracking_id,
            access_token=filing.access_token,
            status_url=str(request.url_for("get_complaint", tracking_id=filing.tracking_id)),
        )

    @api.get("/complaints/{tracking_id}", name="get_complaint")
    async def get_complaint(tracking_id: TrackingId, token: TokenHeader = None) -> dict[str, Any]:
        """Status, deadlines and the public timeline. A confidential complaint is visible only
        with the reporter's `X-Access-Token`; personal data is never shown."""
        return await intake.view(tracking_id, token)

    @api.post("/complaints/{tracking_id}/replies")
    async def reply(
        tracking_id: TrackingId,
        body: ReporterReply,
        token: TokenHeader = None,
        key: KeyHeader = None,
    ) -> dict[str, Any]:
        """The reporter (with the access token) adds information, says the follow-up satisfied
        them (resolved, then closed) or did not (reopened), or consents to an Ombudsman referral
        once the resolution deadline has passed."""
        return await intake.reply(
            tracking_id, token, action=body.action, message=body.message, idempotency_key=key
        )

    return api
