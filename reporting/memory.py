"""The read models in memory, for unit tests: the same pure projection as the PostgreSQL
tables, with the aggregates computed in Python."""

from __future__ import annotations

import hashlib
from datetime import datetime
from statistics import median
from typing import Any
from uuid import UUID

from events.envelope import Envelope
from reporting.projection import COMPLAINT_COLUMNS, Projected, project
from services.kernel.workdays import WorkingCalendar
from services.platform.ports import Transaction

_OPEN_ENDED = {"closed", "archived", "referred_to_ombudsman"}
_AT_AGENCY = {"disposed", "forwarded_to_unit", "in_follow_up", "escalated"}


class InMemoryReadModels:
    """Projected complaints in a dict."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.projected: dict[UUID, Projected] = {}

    async def apply(self, tx: Transaction, streams: dict[UUID, list[Envelope]]) -> None:
        """Recompute the touched complaints' rows."""
        for complaint_id, stream in streams.items():
            self.projected[complaint_id] = project(stream, self.calendar)

    def _rows(self) -> list[dict[str, Any]]:
        return [dict(zip(COMPLAINT_COLUMNS, p.row, strict=True)) for p in self.projected.values()]

    async def complaints(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """How many rows match, and one page of them (newest first)."""
        agencies = query.get("agencies")
        wanted = {
            "status": query.get("status"),
            "province_code": query.get("province"),
            "channel": query.get("channel"),
            "source_system": query.get("source"),
        }
        rows = [
            r
            for r in self._rows()
            if all(v is None or r[k] == v for k, v in wanted.items())
            and (agencies is None or r["agency_code"] in agencies)
        ]
        rows.sort(key=lambda r: (r["filed_at"], str(r["complaint_id"])), reverse=True)
        offset, limit = query.get("offset", 0), query.get("limit", 100)
        return len(rows), rows[offset : offset + limit]

    async def agency_performance(self, now: datetime) -> list[dict[str, Any]]:
        """Per agency: received, open, resolved, escalations, refusals, follow-ups, overdue."""
        facts: dict[str, dict[str, int]] = {}
        for p in self.projected.values():
            for _, agency, fact, times in p.facts:
                counts = facts.setdefault(agency, {})
                counts[fact] = counts.get(fact, 0) + times
        rows = self._rows()
        found = []
        for agency in sorted(set(facts) | {r["agency_code"] for r in rows if r["agency_code"]}):
            held = [r for r in rows if r["agency_code"] == agency]
            days = [
                r["days_to_first_follow_up"]
                for r in rows
                if r["first_follow_up_agency"] == agency
                and r["days_to_first_follow_up"] is not None
            ]
            counts = facts.get(agency, {})
            found.append(
                {
                    "agency_code": agency,
                    "received": counts.get("received", 0),
                    "open": sum(r["status"] not in _OPEN_ENDED for r in held),
                    "resolved": sum(r["closed_reason"] == "resolved" for r in held),
                    "escalations": counts.get("escalated_from", 0),
                    "refusals": counts.get("refused", 0),
                    "followed_up": len(days),
                    "median_days_to_first_follow_up": median(days) if days else None,
                    "overdue": sum(_overdue(r, now) for r in held),
                }
            )
        return found

    async def region_rollup(self, now: datetime) -> list[dict[str, Any]]:
        """Per province: filed, open, resolved, closed, archived, escalated, overdue."""
        found = []
        rows = self._rows()
        for province in sorted({r["province_code"] for r in rows}):
            mine = [r for r in rows if r["province_code"] == province]
            found.append(
                {
                    "province_code": province,
                    "filed": len(mine),
                    "open": sum(r["status"] not in _OPEN_ENDED for r in mine),
                    "resolved": sum(r["closed_reason"] == "resolved" for r in mine),
                    "closed": sum(r["status"] == "closed" for r in mine),
                    "archived": sum(r["status"] == "archived" for r in mine),
                    "escalated": sum(r["escalations"] > 0 for r in mine),
                    "overdue": sum(
                        r["status"] not in _OPEN_ENDED
                        and any(
                            d is not None and d < now for d in (r["follow_up_due"], r["verify_due"])
                        )
                        for r in mine
                    ),
                }
            )
        return found

    async def digests(self) -> dict[str, dict[str, Any]]:
        """Row count and a digest of the complaint rows."""
        rows = sorted(repr(p.row) for p in self.projected.values())
        digest = hashlib.md5("\n".join(rows).encode(), usedforsecurity=False).hexdigest()
        return {"rm_complaints": {"rows": len(rows), "digest": digest}}


def _overdue(row: dict[str, Any], now: datetime) -> bool:
    due = row["follow_up_due"]
    return row["status"] in _AT_AGENCY and due is not None and due < now
