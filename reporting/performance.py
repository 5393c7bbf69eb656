"""The performance index of an agency or a region, and its grade: a pure function of the
counts the read model keeps per group (README: "The performance index").

    index = 100 x sum(w_c x s_c) / sum(w_c), over the components c that apply, where
    timeliness   s = first follow-ups within the follow-up deadline / complaints received
    resolution   s = resolved with no deadline missed (never escalated) / received
    escalations  s = 1 - escalated / received
    refusals     s = 1 - refused ("not our authority") / received
    reopens      s = 1 - reopened / received
    satisfaction s = (mean rating - 1) / 4, only where reporters rated
and the grade is Baik from LAPOR_GRADE_GOOD_FROM, Sedang from LAPOR_GRADE_FAIR_FROM, else Kurang.
A group that received nothing has no index and no grade."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

COMPONENTS = ("timeliness", "resolution", "escalations", "refusals", "reopens", "satisfaction")


class IndexWeights(BaseModel):
    """The weight of each component of the performance index (README: the formula); they
    need not add up to 1: the index divides by the sum of those that apply."""

    model_config = ConfigDict(extra="forbid")

    timeliness: float = Field(0.25, ge=0, le=1, description="first follow-up within its deadline")
    resolution: float = Field(0.25, ge=0, le=1, description="resolved with no deadline missed")
    escalations: float = Field(0.15, ge=0, le=1, description="not escalated away")
    refusals: float = Field(0.10, ge=0, le=1, description="not refused")
    reopens: float = Field(0.10, ge=0, le=1, description="not reopened")
    satisfaction: float = Field(0.15, ge=0, le=1, description="reporters' ratings, 1-5")


@dataclass(frozen=True)
class GroupCounts:
    """What the read model counts for one group (an agency, a province, a unit, the nation)."""

    code: str | None
    filed: int = 0
    received: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    timely_first: int = 0
    escalated: int = 0
    refused: int = 0
    reopened: int = 0
    rated: int = 0
    rating_points: int = 0
    median_days_to_first_follow_up: float | None = None


def components(counts: GroupCounts) -> dict[str, float | None]:
    """Each component's score in [0, 1] (None where it does not apply)."""
    received = counts.received
    satisfaction = (counts.rating_points / counts.rated - 1) / 4 if counts.rated else None
    if not received:
        return dict.fromkeys(COMPONENTS[:-1]) | {"satisfaction": satisfaction}
    return {
        "timeliness": counts.timely_first / received,
        "resolution": counts.resolved_in_time / received,
        "escalations": 1 - counts.escalated / received,
        "refusals": 1 - counts.refused / received,
        "reopens": 1 - counts.reopened / received,
        "satisfaction": satisfaction,
    }


def index_of(counts: GroupCounts, weights: IndexWeights) -> float | None:
    """The index (0-100, one decimal), or None for a group that received nothing."""
    if not counts.received:
        return None
    scores = components(counts)
    weight: dict[str, float] = weights.model_dump()
    used = {c: (weight[c], score) for c, score in scores.items() if score is not None}
    total = sum(w for w, _ in used.values())
    if total <= 0:
        return None
    return round(100 * sum(w * score for w, score in used.values()) / total, 1)


def grade_of(index: float | None, good_from: float, fair_from: float) -> str | None:
    """Baik, Sedang or Kurang (None without an index)."""
    if index is None:
        return None
    if index >= good_from:
        return "Baik"
    return "Sedang" if index >= fair_from else "Kurang"


def satisfaction_of(counts: GroupCounts) -> float | None:
    """The mean rating (1-5, two decimals), or None where nobody rated."""
    return round(counts.rating_points / counts.rated, 2) if counts.rated else None


def scored(
    counts: GroupCounts, weights: IndexWeights, good_from: float, fair_from: float
) -> dict[str, Any]:
    """The group's counts with its components, index and grade."""
    index = index_of(counts, weights)
    return asdict(counts) | {
        "satisfaction": satisfaction_of(counts),
        "resolved_within_deadline_share": (
            round(counts.resolved_in_time / counts.resolved, 3) if counts.resolved else None
        ),
        "components": {
            c: None if s is None else round(s, 3) for c, s in components(counts).items()
        },
        "index": index,
        "grade": grade_of(index, good_from, fair_from),
    }


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best index first (those without one last, by code); each with its rank."""
    order = sorted(rows, key=lambda r: (r["index"] is None, -(r["index"] or 0), r["code"] or ""))
    return [r | {"rank": n if r["index"] is not None else None} for n, r in enumerate(order, 1)]
