"""What reporting's use cases run over: the read-models port (SQL in `reporting.store`, the
replay engine in `reporting.replay_engine`), the checkpoint signing, and the deps that
bundle them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.envelope import Envelope
from reporting.dashboards import Scoring
from reporting.settings import ReportingSettings
from services.kernel.workdays import DeadlinePolicy
from services.platform.checkpoints import SignedCheckpoint
from services.platform.ports import Ports, Transaction


class ReadModels(Protocol):
    """The read models (`reporting.store`: PostgreSQL; `reporting.replay_engine`: in memory)."""

    async def apply(self, tx: Transaction, streams: dict[UUID, list[Envelope]]) -> None:
        """Recompute the rows of the touched complaints."""
        ...

    async def complaints(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """How many rows match, and one page of them."""
        ...

    async def agency_performance(self, now: datetime) -> list[dict[str, Any]]:
        """Per-agency performance as of `now`."""
        ...

    async def region_rollup(self, now: datetime) -> list[dict[str, Any]]:
        """Per-province rollup as of `now`."""
        ...

    async def digests(self) -> dict[str, dict[str, Any]]:
        """Row count and digest per table."""
        ...

    async def group_counts(self, now: datetime, **query: Any) -> list[dict[str, Any]]:
        """Per group (`by`: province, agency, unit or None for all), the counts the
        performance index is made of; `province`, `agency`, `unit` narrow them."""
        ...

    async def trends(
        self, period: str, since: datetime, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Filed and resolved per `period` (week or month), from `since` on (with `tag`)."""
        ...

    async def publishable(self, **query: Any) -> tuple[int, list[dict[str, Any]]]:
        """The rows open data may show (neither confidential nor anonymous), one page:
        `limit`, `offset`, and optionally `category`, `province`, `status`."""
        ...

    async def status_counts(self, column: str) -> list[tuple[str, str, int]]:
        """(value of `column`, status, complaints) over every complaint."""
        ...


@dataclass(frozen=True)
class Signing:
    """The log's signed checkpoints and the key that signs them (over PostgreSQL; the unit
    tests' fakes have none)."""

    checkpoints: Checkpoints
    key: Ed25519PrivateKey


class Checkpoints(Protocol):
    """Where signed checkpoints are kept (`services.platform.checkpoints.CheckpointTable`)."""

    async def make(self, key: Ed25519PrivateKey, now: datetime) -> SignedCheckpoint | None:
        """Sign the log's heads now, if it moved since the last checkpoint."""
        ...

    async def listed(self, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Checkpoints, oldest first, after a position."""
        ...


@dataclass
class ReportingDeps:
    """What reporting's handlers run over."""

    ports: Ports
    read_models: ReadModels
    settings: ReportingSettings
    signing: Signing | None = None

    @property
    def scoring(self) -> Scoring:
        """The plain values the dashboards' numbers depend on."""
        return scoring_of(self.settings, self.ports.policy)


def scoring_of(settings: ReportingSettings, policy: DeadlinePolicy) -> Scoring:
    """The dashboards' plain values: reporting's weights and grades, the policy's follow-up
    deadline and time zone."""
    return Scoring(
        settings.index_weights,
        settings.grade_good_from,
        settings.grade_fair_from,
        policy.follow_up_days,
        policy.calendar.zone.key,
    )


def consumer_name(prefix: str) -> str:
    """The reporting consumer's group and checkpoint name."""
    return f"{prefix}-reporting"
