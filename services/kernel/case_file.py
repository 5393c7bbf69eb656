"""The case file of a complaint as staff see it (national admin, the agency holding it): its
current state and the filing's text, never personal data (callers add a reporter's contact
only where the rules allow it)."""

from __future__ import annotations

from typing import Any

from events import catalog as ev
from events.envelope import Envelope
from events.state import ComplaintState


def case_file(state: ComplaintState, stream: list[Envelope]) -> dict[str, Any]:
    """Current state, deadlines and the filed description of one complaint."""
    filed = next((e.payload for e in stream if isinstance(e.payload, ev.ComplaintFiled)), None)
    return {
        "complaint_id": str(state.complaint_id),
        "tracking_id": state.tracking_id,
        "status": state.status.value,
        "version": state.version,
        "kind": state.kind.value if state.kind else None,
        "title": state.title,
        "description": getattr(filed, "description", None),
        "category": state.category,
        "region_code": state.region_code,
        "anonymous": state.anonymous,
        "confidential": state.confidential,
        "agency_code": state.agency_code,
        "unit_code": state.unit_code,
        "acknowledged": state.acknowledged,
        "refused_by": list(state.refused_by),
        "tags": list(state.tags),
        "deadlines": {k.value: v.isoformat() for k, v in state.deadlines.items()},
    }
