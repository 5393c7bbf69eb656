"""Follow-up use cases: agency replies (topic and HTTP), the deadline scan that escalates or
closes, and keeping followup's table from the complaint events."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import UUID, uuid5

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from events.base import AgencyCode, LongText, ShortText
from events.envelope import Actor, Envelope
from events.fold import replay
from events.state import ComplaintState
from followup import domain, store
from followup.domain import AgencyAction
from services.batch_consumer import Batch
from services.case_file import case_file
from services.commands import Outcome, execute
from services.db import TRANSIENT_ERRORS
from services.decisions import Refused
from services.logs import get_logger
from services.personal_data import PersonalDataErased
from services.runtime import Runtime

log = get_logger("followup")
SCHEDULER = Actor(role="system", id="deadline-scheduler")


class AgencyReply(BaseModel):
    """An agency's action on a complaint disposed to it (the HTTP body)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    action: AgencyAction
    message: LongText | None = Field(
        None, description="the follow-up (follow_up, propose_resolution)"
    )
    unit_code: AgencyCode | None = Field(None, description="the work unit (forward)")
    reason: ShortText | None = Field(None, description="why it is not your authority (refuse)")
    suggested_agency_code: AgencyCode | None = Field(None, description="who it belongs to (refuse)")


class AgencyReplyMessage(AgencyReply):
    """An agency reply on `<prefix>.agency-replies.v1`, signed in the `lapor_signature` header
    (hex HMAC-SHA256 of the message value under the agency's API key)."""

    reply_id: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{1,128}$",
        description="the agency's id for it; a re-send is applied once",
    )
    agency_code: AgencyCode
    complaint_id: UUID


class Followup:
    """The followup service's use cases."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def agency_reply(
        self, agency: str, complaint_id: UUID, reply: AgencyReply, reply_id: str | None
    ) -> Outcome:
        """Apply an agency's reply; refused unless the complaint is disposed to that agency."""
        idempotency = (
            uuid5(complaint_id, f"agency-reply\x00{agency}\x00{reply_id}") if reply_id else None
        )
        await self.rt.clock.refresh()
        return await execute(
            self.rt.store,
            complaint_id,
            lambda state: domain.decide_agency_reply(
                state,
                agency=agency,
                action=reply.action,
                registry=self.rt.registry,
                now=self.rt.clock.now(),
                policy=self.rt.policy,
                message=reply.message,
                unit_code=reply.unit_code,
                reason=reply.reason,
                suggested_agency_code=reply.suggested_agency_code,
            ),
            actor=Actor(role="agency", id=agency),
            now=self.rt.clock.now,
            idempotency=idempotency,
        )

    async def visible_to(
        self, agency: str | None, complaint_id: UUID
    ) -> tuple[ComplaintState, list[Envelope]]:
        """A complaint as an agency may see it: only while disposed to it (None: the admin)."""
        stream = await self.rt.store.read_stream(complaint_id)
        state = replay(stream)
        if not stream or (agency is not None and domain.holder(state, self.rt.registry) != agency):
            # The same answer for "absent" and "not yours": nothing leaks across agencies.
            raise Refused("not_found", "no such complaint disposed to you", status=404)
        return state, stream

    async def agency_view(self, agency: str | None, complaint_id: UUID) -> dict[str, Any]:
        """The case file for the agency holding it; the reporter's contact only when the
        complaint is not anonymous."""
        state, stream = await self.visible_to(agency, complaint_id)
        reporter = None
        if not state.anonymous and state.reporter_ref and not state.personal_data_erased:
            with contextlib.suppress(KeyError, PersonalDataErased):
                data = await self.rt.vault.get(state.reporter_ref)
                reporter = {k: data.get(k) for k in ("name", "phone", "email")}
        return case_file(state, stream) | {"reporter": reporter}

    async def on_batch(self, batch: Batch, conn: asyncpg.Connection) -> None:
        """Keep followup's table (who holds what, the next deadline) from a batch of events."""
        for stream in batch.streams.values():
            await store.keep_case(conn, replay(stream), self.rt.registry)

    async def scan_deadlines(self) -> int:
        """Escalate or close every complaint whose deadline has passed; returns how many."""
        now = await self.rt.clock.refresh(force=True)
        acted = 0
        for complaint_id in await store.due(self.rt.pool, now):
            outcome = await execute(
                self.rt.store,
                complaint_id,
                lambda state: domain.decide_deadlines(
                    state, now=self.rt.clock.now(), registry=self.rt.registry, policy=self.rt.policy
                ),
                actor=SCHEDULER,
                now=self.rt.clock.now,
            )
            if outcome.appended:
                acted += 1
                log.info(
                    "deadline.missed",
                    complaint_id=str(complaint_id),
                    events=[e.event_type for e in outcome.appended],
                )
        return acted

    async def run_scheduler(self, stopping: asyncio.Event) -> None:
        """Scan on an interval until `stopping` (any number of instances may run: the expected
        version makes a second escalation of the same miss impossible)."""
        while not stopping.is_set():
            try:
                await self.scan_deadlines()
            except TRANSIENT_ERRORS as exc:
                log.warning("deadline.scan_retry", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stopping.wait(), timeout=self.rt.settings.deadline_scan_interval_s
                )
