"""The replay engine of the read models: the same pure projection as the PostgreSQL tables,
with the aggregates computed in Python over the projected rows. It serves the auditor's as-of
dashboards (the log folded up to an instant, `reporting.as_of`) and, over the fakes, the unit
tests. A property test (`tests/integration/test_read_model_engines.py`) keeps its answers
equal to the SQL engine's over generated histories on the real PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from uuid import UUID

from events.envelope import Envelope
from reporting.groups import GroupQuery, open_on_dashboards, owes_follow_up
from reporting.projection import COMPLAINT_COLUMNS, GROUP_KEYS, Projected, project
from services.kernel.workdays import WorkingCalendar
from services.platform.ports import Transaction


class ReplayReadModels:
    """Projected complaints in a dict, and the dashboards' aggregates over them."""

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
        agencies, overdue_at = query.get("agencies"), query.get("overdue_at")
        tag = query.get("tag")
        wanted = {
            "unit_code": query.get("unit"),
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
            and (overdue_at is None or _past_a_deadline(r, overdue_at))
            and (tag is None or tag in r["tags"])
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
        followed = {
            r["first_follow_up_agency"]
            for r in rows
            if r["first_follow_up_agency"] and r["days_to_first_follow_up"] is not None
        }
        holders = {r["agency_code"] for r in rows if r["agency_code"]}
        for agency in sorted(set(facts) | holders | followed):
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
                    "open": sum(open_on_dashboards(r["status"]) for r in held),
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
                    "open": sum(open_on_dashboards(r["status"]) for r in mine),
                    "resolved": sum(r["closed_reason"] == "resolved" for r in mine),
                    "closed": sum(r["status"] == "closed" for r in mine),
                    "archived": sum(r["status"] == "archived" for r in mine),
                    "escalated": sum(r["escalations"] > 0 for r in mine),
                    "overdue": sum(
                        open_on_dashboards(r["status"])
                        and any(
                            d is not None and d < now for d in (r["follow_up_due"], r["verify_due"])
                        )
                        for r in mine
                    ),
                }
            )
        return found

    async def group_counts(self, now: datetime, **query: Any) -> list[dict[str, Any]]:
        """The performance counts per group, as the PostgreSQL query computes them."""
        ratings: dict[Any, tuple[int, int]] = {}
        for p in self.projected.values():
            for complaint, _, fact, times in p.facts:
                rated, points = ratings.get(complaint, (0, 0))
                if fact == "rated":
                    rated += times
                elif fact == "rating_points":
                    points += times
                ratings[complaint] = (rated, points)
        return _group_counts(self._rows(), ratings, now, GroupQuery(**query))

    async def trends(
        self, period: str, since: datetime, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Filed and resolved per week or month, in the calendar's zone."""
        counts: dict[date, list[int]] = {}
        for row in self._rows():
            if tag is not None and tag not in row["tags"]:
                continue
            for at, index in ((row["filed_at"], 0), (row["closed_at"], 1)):
                if at is None or at < since or (index and row["closed_reason"] != "resolved"):
                    continue
                local = at.astimezone(self.calendar.zone).date()
                start = (
                    local - timedelta(days=local.weekday())
                    if period == "week"
                    else local.replace(day=1)
                )
                counts.setdefault(start, [0, 0])[index] += 1
        return [
            {"period": start.isoformat(), "filed": n[0], "resolved": n[1]}
            for start, n in sorted(counts.items())
        ]

    def _publishable(self) -> list[dict[str, Any]]:
        return [r for r in self._rows() if not r["confidential"] and not r["anonymous"]]

    async def publishable(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """Rows open data may show, one page, newest first."""
        wanted = {k: query.get(k) for k in ("category", "status")}
        wanted["province_code"] = query.get("province")
        rows = [
            r for r in self._publishable() if all(v is None or r[k] == v for k, v in wanted.items())
        ]
        rows.sort(key=lambda r: (r["filed_at"], str(r["complaint_id"])), reverse=True)
        offset, limit = query.get("offset", 0), query.get("limit", 100)
        return len(rows), rows[offset : offset + limit]

    async def status_counts(self, column: str) -> list[tuple[str, str, int]]:
        """(value of `column`, status, complaints) over every complaint."""
        counts: dict[tuple[str, str], int] = {}
        for row in self._rows():
            key = (row[column] or "unknown", row["status"])
            counts[key] = counts.get(key, 0) + 1
        return [(code, status, n) for (code, status), n in sorted(counts.items())]

    async def digests(self) -> dict[str, dict[str, Any]]:
        """Row count and a digest of the complaint rows."""
        rows = sorted(repr(p.row) for p in self.projected.values())
        digest = hashlib.md5("\n".join(rows).encode(), usedforsecurity=False).hexdigest()
        return {"rm_complaints": {"rows": len(rows), "digest": digest}}


def _group_counts(
    rows: list[dict[str, Any]], ratings: dict[Any, tuple[int, int]], now: datetime, q: GroupQuery
) -> list[dict[str, Any]]:
    wanted = {"province_code": q.province, "agency_code": q.agency, "unit_code": q.unit}
    chosen = [
        r
        for r in rows
        if all(v is None or r[k] == v for k, v in wanted.items())
        and (q.tag is None or q.tag in r["tags"])
    ]
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in chosen:
        groups.setdefault(row[GROUP_KEYS[q.by]] if q.by else None, []).append(row)
    found = []
    for code in sorted(groups, key=lambda c: (c is None, c or "")):
        mine = groups[code]
        open_ = [r for r in mine if open_on_dashboards(r["status"])]
        days = [
            r["days_to_first_follow_up"] for r in mine if r["days_to_first_follow_up"] is not None
        ]
        resolved = [r for r in mine if r["closed_reason"] == "resolved"]
        rated = [ratings.get(r["complaint_id"], (0, 0)) for r in mine]
        found.append(
            {
                "code": code,
                "filed": len(mine),
                "received": sum(r["first_disposed_at"] is not None for r in mine),
                "open": len(open_),
                "overdue": sum(_past_a_deadline(r, now) for r in open_),
                "resolved": len(resolved),
                "resolved_in_time": sum(r["escalations"] == 0 for r in resolved),
                "timely_first": sum(d <= q.follow_up_days for d in days),
                "escalated": sum(r["escalations"] > 0 for r in mine),
                "refused": sum(r["refusals"] > 0 for r in mine),
                "reopened": sum(r["reopen_count"] > 0 for r in mine),
                "rated": sum(n for n, _ in rated),
                "rating_points": sum(p for _, p in rated),
                "median_days_to_first_follow_up": float(median(days)) if days else None,
            }
        )
    return found


def _past_a_deadline(row: dict[str, Any], now: datetime) -> bool:
    """Open, with its follow-up or verification deadline passed (the dashboards' overdue)."""
    dues = (row["follow_up_due"], row["verify_due"])
    return open_on_dashboards(row["status"]) and any(d is not None and d < now for d in dues)


def _overdue(row: dict[str, Any], now: datetime) -> bool:
    due = row["follow_up_due"]
    return owes_follow_up(row["status"]) and due is not None and due < now
