"""The dashboard page's numbers: the national overview with its weekly and monthly trends, the
performance index per agency and per region (ranked, graded), and the drill-down national ->
province -> agency (a regency, a city, a ministry) -> work unit. Public aggregates only: the
overdue lists behind them are complaint rows, read with a key (`/v1/reports/complaints`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reporting.performance import GroupCounts, IndexWeights, ranked, scored
from services.kernel.refusals import RefusalKind, Refused
from services.kernel.registry import Registry

TREND_WEEKS = 12
TREND_MONTHS = 12
LEVELS = ("national", "province", "agency", "unit")
"""The drill-down, top to bottom; each level lists the groups of the next."""


@dataclass(frozen=True)
class Scoring:
    """What the numbers depend on besides the counts (from reporting's scoring and the
    deadline policy): the index's weights, the grades, the follow-up deadline, the time zone."""

    weights: IndexWeights
    good_from: float
    fair_from: float
    follow_up_days: int
    zone: str


@dataclass(frozen=True)
class Overview:
    """The national overview and its trends (of one tag's complaints, when given)."""

    tag: str | None = None


@dataclass(frozen=True)
class Performance:
    """The performance index per agency or per province, ranked."""

    by: str = "agency"
    tag: str | None = None


@dataclass(frozen=True)
class Drilldown:
    """One level of the drill-down: its totals and the groups one level down."""

    province: str | None = None
    agency: str | None = None
    unit: str | None = None
    tag: str | None = None


def name_of(registry: Registry, level: str, code: str | None) -> str:
    """How people call a group: an agency's or a unit's name, a province's name by its code."""
    if code is None:
        return "Indonesia" if level == "national" else "-"
    if level == "province":
        province = next(
            (a for a in registry if a.kind == "province" and a.region_code == code), None
        )
        return province.name if province else code
    agency = registry.get(code)
    return agency.name if agency else code


async def _scored(
    scoring: Scoring, read_models: Any, now: datetime, **query: Any
) -> list[dict[str, Any]]:
    rows = await read_models.group_counts(now, follow_up_days=scoring.follow_up_days, **query)
    return [
        scored(
            GroupCounts(**row),
            scoring.weights,
            scoring.good_from,
            scoring.fair_from,
        )
        for row in rows
    ]


def formula(scoring: Scoring) -> dict[str, Any]:
    """The index's weights and the grade thresholds in force (README: the formula)."""
    return {
        "weights": scoring.weights.model_dump(),
        "grades": {"Baik": scoring.good_from, "Sedang": scoring.fair_from},
    }


def _nothing(scoring: Scoring, code: str | None = None) -> dict[str, Any]:
    return scored(GroupCounts(code), scoring.weights, 0, 0)


async def overview(
    scoring: Scoring, read_models: Any, now: datetime, tag: str | None = None
) -> dict[str, Any]:
    """Filed, open, overdue, resolved, median working days to first follow-up, the share
    resolved within the deadline, satisfaction; filed and resolved per week and per month."""
    totals = await _scored(scoring, read_models, now, by=None, tag=tag)
    return {
        "as_of": now.isoformat(),
        "tag": tag,
        "totals": totals[0] if totals else _nothing(scoring),
        "formula": formula(scoring),
        "trends": {
            "week": every_period(
                await read_models.trends("week", now - timedelta(weeks=TREND_WEEKS), tag),
                periods_before(now, scoring.zone, "week", TREND_WEEKS),
            ),
            "month": every_period(
                await read_models.trends("month", now - timedelta(days=31 * TREND_MONTHS), tag),
                periods_before(now, scoring.zone, "month", TREND_MONTHS),
            ),
        },
    }


def periods_before(now: datetime, zone: str, period: str, count: int) -> list[str]:
    """The first days (ISO) of the `count` weeks (Mondays) or months up to `now`'s, local."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return [(monday - timedelta(weeks=n)).isoformat() for n in range(count - 1, -1, -1)]
    months = [(today.year * 12 + today.month - 1) - n for n in range(count - 1, -1, -1)]
    return [date(m // 12, m % 12 + 1, 1).isoformat() for m in months]


def every_period(rows: list[dict[str, Any]], periods: list[str]) -> list[dict[str, Any]]:
    """One row per period, those without complaints at zero (a trend has no gaps)."""
    found = {row["period"]: row for row in rows}
    return [found.get(p, {"period": p, "filed": 0, "resolved": 0}) for p in periods]


async def performance(
    scoring: Scoring,
    registry: Registry,
    read_models: Any,
    by: str,
    now: datetime,
    tag: str | None = None,
) -> dict[str, Any]:
    """Every agency (or province: `by`) with its index and grade, best first."""
    rows = [
        row | {"name": name_of(registry, by, row["code"])}
        for row in await _scored(scoring, read_models, now, by=by, tag=tag)
        if row["code"] is not None  # not yet disposed: nobody's to rank
    ]
    return {
        "as_of": now.isoformat(),
        "by": by,
        "tag": tag,
        "formula": formula(scoring),
        "rows": ranked(rows),
    }


async def drilldown(
    scoring: Scoring,
    registry: Registry,
    read_models: Any,
    query: Drilldown,
    now: datetime,
) -> dict[str, Any]:
    """A level's totals and its children's: national lists provinces, a province its
    agencies, an agency its work units (complaints it holds itself show as `code` null)."""
    if (query.unit and not query.agency) or (query.agency and not query.province):
        raise Refused(
            "incomplete_path",
            "name the province above an agency, and the agency above a unit",
            field="province" if query.agency and not query.province else "agency",
            kind=RefusalKind.INVALID,
        )
    level = (
        "unit"
        if query.unit
        else "agency"
        if query.agency
        else "province"
        if query.province
        else "national"
    )
    child = LEVELS[LEVELS.index(level) + 1] if level != "unit" else None
    code = query.unit or query.agency or query.province
    path = {"province": query.province, "agency": query.agency, "unit": query.unit}
    totals = await _scored(scoring, read_models, now, by=None, tag=query.tag, **path)
    children = (
        await _scored(scoring, read_models, now, by=child, tag=query.tag, **path) if child else []
    )
    return {
        "as_of": now.isoformat(),
        "level": level,
        "code": code,
        "name": name_of(registry, level, code),
        "path": path,
        "tag": query.tag,
        "totals": totals[0] if totals else _nothing(scoring, code),
        "child_level": child,
        "children": ranked(
            [c | {"name": name_of(registry, child or "", c["code"])} for c in children]
        ),
    }
