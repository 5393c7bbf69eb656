"""Intake use cases: file a submission (HTTP or topic), show a complaint to the public or its
reporter, and take the reporter's replies."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4, uuid5

from events.catalog import ComplaintFiled
from events.envelope import Actor, Envelope, stamp
from events.fold import replay
from events.state import ComplaintState
from followup.domain import ReporterAction, decide_reporter_reply
from intake.domain import (
    Submission,
    access_token_for,
    complaint_id_for,
    decide_file,
    same_submission,
    token_matches,
    tracking_id_for,
)
from intake.timeline import public_timeline
from services.commands import execute
from services.decisions import Refused
from services.eventstore import ConcurrencyError, InvalidAppend
from services.personal_data import PersonalDataErased, new_reporter_ref
from services.runtime import Runtime


@dataclass(frozen=True)
class Filing:
    """The answer to a filing: ids for the channel and the reporter; `created` is False for a
    repeated submission (same key, same content)."""

    complaint_id: UUID
    tracking_id: str
    access_token: str
    created: bool


class Intake:
    """The intake service's use cases."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        master = rt.settings.master_key.get_secret_value().encode()
        self._token_secret = hashlib.sha256(b"lapor reporter access tokens\x00" + master).digest()
        self._id_secret = hashlib.sha256(b"lapor channel keys\x00" + master).digest()

    def _filing(self, complaint_id: UUID, created: bool) -> Filing:
        return Filing(
            complaint_id,
            tracking_id_for(complaint_id),
            access_token_for(self._token_secret, complaint_id),
            created,
        )

    async def file(
        self, submission: Submission, *, key: str | None = None, submission_id: str | None = None
    ) -> Filing:
        """File a complaint once: a repeated key returns the first filing, never a second one.

        The reporter's personal data and the filing event commit in one transaction: both or
        neither. A concurrent filing with the same key loses at the stream's version check and
        answers with the winner's complaint.
        """
        complaint_id = (
            complaint_id_for(submission.channel, key, self._id_secret) if key else uuid4()
        )
        if key and (repeat := await self._repeat(complaint_id, submission)):
            return repeat
        now = await self.rt.clock.refresh()
        reporter_ref = new_reporter_ref() if submission.reporter is not None else None
        events = decide_file(
            ComplaintState(),
            submission,
            tracking_id=tracking_id_for(complaint_id),
            reporter_ref=reporter_ref,
            now=now,
            policy=self.rt.policy,
            submission_id=submission_id,
        )
        envelopes = stamp(
            events,
            complaint_id=complaint_id,
            expected_version=0,
            actor=Actor(role="channel", id=submission.channel),
            occurred_at=now,
            correlation_id=complaint_id,
        )
        try:
            async with self.rt.pool.acquire() as conn, conn.transaction():
                if submission.reporter is not None and reporter_ref is not None:
                    contact = submission.reporter.model_dump(exclude_none=True)
                    await self.rt.vault.put(contact, reporter_ref, conn=conn)
                await self.rt.store.append(complaint_id, 0, envelopes, conn=conn)
        except ConcurrencyError:
            if key and (repeat := await self._repeat(complaint_id, submission)):
                return repeat
            raise
        except InvalidAppend as clash:  # the tracking id is taken (about 1 in 2^60 per pair)
            if key:
                raise Refused(
                    "tracking_id_clash",
                    "file again with another Idempotency-Key (or submission id)",
                    field="Idempotency-Key",
                    status=409,
                ) from clash
            return await self.file(submission)  # a fresh random id, a fresh tracking id
        return self._filing(complaint_id, True)

    async def _repeat(self, complaint_id: UUID, submission: Submission) -> Filing | None:
        stream = await self.rt.store.read_stream(complaint_id)
        if not stream:
            return None
        filed = stream[0].payload
        if (
            not isinstance(filed, ComplaintFiled)
            or not same_submission(filed, submission)
            # The reporter's token goes back only to whoever can repeat the person as well.
            or not await self._same_reporter(filed.reporter_ref, submission)
        ):
            raise Refused(
                "idempotency_key_reused",
                "this Idempotency-Key (or submission id) was used for a different submission",
                field="Idempotency-Key",
                status=422,
            )
        return self._filing(complaint_id, False)

    async def _same_reporter(self, reporter_ref: str | None, submission: Submission) -> bool:
        given = submission.reporter.model_dump(exclude_none=True) if submission.reporter else None
        if reporter_ref is None or given is None:
            return reporter_ref is None and given is None
        try:
            stored = await self.rt.vault.get(reporter_ref)
        except (KeyError, PersonalDataErased):
            return False
        return hmac.compare_digest(
            json.dumps(stored, sort_keys=True).encode(), json.dumps(given, sort_keys=True).encode()
        )

    async def _visible(
        self, tracking_id: str, token: str | None
    ) -> tuple[ComplaintState, list[Envelope], bool]:
        complaint_id = await self.rt.store.find_by_tracking_id(tracking_id)
        if complaint_id is None:
            raise Refused("not_found", "no complaint with this tracking id", status=404)
        envelopes = await self.rt.store.read_stream(complaint_id)
        state = replay(envelopes)
        is_reporter = token_matches(self._token_secret, complaint_id, token)
        if state.confidential and not is_reporter:
            # Shows nothing, not even that it exists.
            raise Refused("not_found", "no complaint with this tracking id", status=404)
        return state, envelopes, is_reporter

    async def view(self, tracking_id: str, token: str | None) -> dict[str, Any]:
        """Status and public timeline; a confidential complaint needs the reporter's token."""
        state, envelopes, _ = await self._visible(tracking_id, token)
        return public_timeline(state, envelopes, self.rt.registry)

    async def reply(
        self,
        tracking_id: str,
        token: str | None,
        *,
        action: ReporterAction,
        message: str | None,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """The reporter adds information, confirms, rejects, or consents to a referral."""
        state, _, is_reporter = await self._visible(tracking_id, token)
        await self.rt.clock.refresh()
        if not is_reporter:
            raise Refused("unauthenticated", "the reporter's access token is required", status=401)
        assert state.complaint_id is not None
        idempotency = (
            uuid5(state.complaint_id, f"reporter-reply\x00{idempotency_key}")
            if idempotency_key
            else None
        )
        outcome = await execute(
            self.rt.store,
            state.complaint_id,
            lambda s: decide_reporter_reply(
                s, action=action, message=message, now=self.rt.clock.now(), policy=self.rt.policy
            ),
            actor=Actor(role="reporter", id=tracking_id),
            now=self.rt.clock.now,
            idempotency=idempotency,
        )
        return public_timeline(
            outcome.state, await self.rt.store.read_stream(state.complaint_id), self.rt.registry
        )
