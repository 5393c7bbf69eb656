"""The public view of a complaint: status, deadlines and timeline, with no personal data and no
internal identifiers (actor ids of people, reporter references)."""

from __future__ import annotations

from typing import Any

from events import catalog as ev
from events.base import format_time
from events.envelope import Envelope
from events.state import ComplaintState
from services.kernel.registry import Registry

_SHOWN_TEXT = {
    ev.FollowUpPosted: "message",
    ev.InformationRequested: "question",
    ev.DispositionRefused: "reason",
    ev.ComplaintReopened: "reason",
    ev.DeadlineExtended: "justification",
    ev.AppealDecided: "reason",  # the reviewer's public reasoning
    ev.OmbudsmanFindingsIssued: "message",  # the Ombudsman's findings are public acts
}


def _agency(registry: Registry, code: str | None) -> dict[str, str] | None:
    agency = registry.get(code)
    return {"code": agency.code, "name": agency.name} if agency else None


def _entry(envelope: Envelope, registry: Registry) -> dict[str, Any]:
    payload = envelope.payload
    entry: dict[str, Any] = {
        "version": envelope.version,
        "at": format_time(envelope.occurred_at),
        "event": payload.event_type,
        "by": envelope.actor.role,
    }
    # Agencies act in public; people (admins, reporters) are shown by role only.
    if envelope.actor.role in ("agency", "work_unit"):
        entry["by_agency"] = _agency(registry, envelope.actor.id)
    for name in ("agency_code", "to_agency_code", "unit_code", "reviewer_code", "ombudsman_code"):
        code = getattr(payload, name, None)
        if code:
            entry[name.replace("_code", "")] = _agency(registry, code)
    text = _SHOWN_TEXT.get(type(payload))
    if text:
        entry[text] = getattr(payload, text)
    if isinstance(payload, ev.Escalated):
        entry["to_tier"] = payload.to_tier.value
        entry["missed"] = payload.deadline.value
    if isinstance(payload, ev.ReporterReplied) and payload.satisfied is not None:
        entry["satisfied"] = payload.satisfied
    if isinstance(payload, ev.FollowUpPosted | ev.Resolved) and payload.resolution_code:
        entry["resolution_code"] = payload.resolution_code
    if isinstance(payload, ev.Resolved):
        entry["confirmed_by"] = payload.confirmed_by
    if isinstance(payload, ev.DeadlineExtended):
        entry["new_due"] = format_time(payload.new_due)
        entry["granted_by"] = payload.granted_by
    if isinstance(payload, ev.Rated):
        entry["rating"] = payload.rating  # the comment is the reporter's words: not public
    if isinstance(payload, ev.Appealed | ev.AppealDecided):
        entry["reviewer_tier"] = payload.reviewer_tier.value
    if isinstance(payload, ev.Appealed):
        entry["review_due"] = format_time(payload.review_due)
    if isinstance(payload, ev.AppealDecided):
        entry["outcome"] = payload.outcome
    if isinstance(payload, ev.ReferredToOmbudsman):
        entry["referral_reason"] = payload.reason
    if isinstance(payload, ev.OmbudsmanFindingsIssued):
        entry["stage"] = payload.stage
        entry["outcome"] = payload.outcome
    if isinstance(payload, ev.ComplaintClosed) and payload.appeal_until:
        entry["appeal_until"] = format_time(payload.appeal_until)
    if isinstance(payload, ev.ComplaintClosed | ev.ComplaintArchived):
        entry["reason"] = getattr(payload, "reason", None) or getattr(payload, "reason_code", None)
    return entry


def public_timeline(
    state: ComplaintState, envelopes: list[Envelope], registry: Registry
) -> dict[str, Any]:
    """What the reporter (and, unless confidential, the public) sees."""
    description = next(
        (e.payload.description for e in envelopes if isinstance(e.payload, ev.ComplaintFiled)),
        None,
    )
    return {
        "tracking_id": state.tracking_id,
        "status": state.status.value,
        "kind": state.kind.value if state.kind else None,
        "title": state.title,
        "description": description,
        "category": state.category,
        "region_code": state.region_code,
        "anonymous": state.anonymous,
        "confidential": state.confidential,
        "agency": _agency(registry, state.agency_code),
        "filed_at": format_time(state.filed_at) if state.filed_at else None,
        "deadlines": {kind.value: format_time(due) for kind, due in state.deadlines.items()},
        "clocks_paused": state.clocks_paused,
        "resolution_code": state.resolution_code,
        "rating": state.rating,
        "appeal_until": format_time(state.appeal_until) if state.appeal_until else None,
        "timeline": [_entry(e, registry) for e in envelopes],
    }
