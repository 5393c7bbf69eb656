"""The status groups the dashboards count by, defined once: the SQL engine
(`reporting.store`) builds its filters from them, the replay engine
(`reporting.replay_engine`) tests membership.

"Open" here is narrower than the fold's `ComplaintState.is_open`: a complaint referred to the
Ombudsman is still open for its reporter and the Ombudsman, but no longer counts against the
agencies' figures (the Ombudsman's own case system follows it)."""

from __future__ import annotations

from dataclasses import dataclass

from events.state import AT_AGENCY, Status

ENDED_FOR_DASHBOARDS = frozenset({Status.CLOSED, Status.ARCHIVED, Status.REFERRED_TO_OMBUDSMAN})
"""Not open on the dashboards."""
OWING_A_FOLLOW_UP = AT_AGENCY
"""With an agency that owes a follow-up (its overdue count is taken over these)."""


def _listed(statuses: frozenset[Status]) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(statuses))


OPEN_SQL = f"status NOT IN ({_listed(ENDED_FOR_DASHBOARDS)})"
"""The SQL condition of a row that is open on the dashboards."""
AT_AGENCY_SQL = f"status IN ({_listed(OWING_A_FOLLOW_UP)})"
"""The SQL condition of a row whose agency owes a follow-up."""


def open_on_dashboards(status: str) -> bool:
    """Whether a row with this status counts as open on the dashboards."""
    return status not in ENDED_FOR_DASHBOARDS


def owes_follow_up(status: str) -> bool:
    """Whether a row with this status is with an agency that owes a follow-up."""
    return status in OWING_A_FOLLOW_UP


@dataclass(frozen=True, kw_only=True)
class GroupQuery:
    """What the performance counts are asked for, the same to both engines: grouped `by`
    province, agency or unit (None: every complaint in one), a first follow-up counted timely
    within `follow_up_days`, over the complaints in `province`, `agency`, `unit` and with
    `tag`, where given."""

    by: str | None
    follow_up_days: int
    province: str | None = None
    agency: str | None = None
    unit: str | None = None
    tag: str | None = None
