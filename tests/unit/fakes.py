"""The four services wired to one set of in-memory fakes (each through its bootstrap's test
variant), and a way to deliver stored events to their event handlers as the consumer would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from events.messages import Submission
from followup.bootstrap import bootstrap_fakes as followup_fakes
from followup.handlers import FollowupDeps
from followup.handlers import on_batch as followup_on_batch
from followup.settings import FollowupSettings
from intake.bootstrap import bootstrap_fakes as intake_fakes
from intake.connected.handlers import ConnectedDeps
from intake.handlers import IntakeDeps
from intake.settings import IntakeSettings
from reporting.bootstrap import bootstrap_fakes as reporting_fakes
from reporting.handlers import ReportingDeps
from reporting.handlers import on_batch as reporting_on_batch
from reporting.settings import ReportingSettings
from routing.bootstrap import bootstrap_fakes as routing_fakes
from routing.handlers import RoutingDeps
from routing.reactions import on_batch as routing_on_batch
from routing.settings import RoutingSettings
from services.platform.batch_consumer import Batch
from services.platform.memory import (
    InMemoryEventStore,
    InMemoryVault,
    ManualClock,
    RecordingPublisher,
    memory_ports,
)
from services.platform.ports import Ports
from services.platform.settings import PlatformSettings

CONTACT = {"name": "Budi Santoso", "phone": "+62 812 3456 7890"}


def submission(**fields: Any) -> Submission:
    """A valid submission that the rules dispose to kota-bandung, changed by `fields`."""
    body: dict[str, Any] = {
        "title": "Jalan berlubang di depan sekolah",
        "description": "Lubang besar, sudah dua pengendara jatuh.",
        "channel": "web",
        "category": "jalan",
        "region_code": "32.73",
        "reporter": CONTACT,
    }
    body.update(fields)
    return Submission.model_validate(body)


@dataclass
class FakeSystem:
    """Every service over the same fakes."""

    ports: Ports
    intake: IntakeDeps
    connected: ConnectedDeps
    routing: RoutingDeps
    followup: FollowupDeps
    reporting: ReportingDeps
    delivered: dict[UUID, int]

    @property
    def store(self) -> InMemoryEventStore:
        assert isinstance(self.ports.store, InMemoryEventStore)
        return self.ports.store

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.ports.clock, ManualClock)
        return self.ports.clock

    @property
    def published(self) -> RecordingPublisher:
        assert isinstance(self.ports.publisher, RecordingPublisher)
        return self.ports.publisher

    @property
    def vault(self) -> InMemoryVault:
        assert isinstance(self.ports.vault, InMemoryVault)
        return self.ports.vault

    async def deliver(self, complaint_id: UUID) -> Batch:
        """Hand the complaint's undelivered events to every consumer, as one batch each, until
        no consumer appends anything more (routing's reactions append events of their own)."""
        while True:
            stream = await self.store.read_stream(complaint_id)
            done = self.delivered.get(complaint_id, 0)
            if len(stream) == done:
                return Batch(stream, {complaint_id: stream})
            batch = Batch(stream[done:], {complaint_id: stream})
            self.delivered[complaint_id] = len(stream)
            for on_batch, deps in (
                (routing_on_batch, self.routing),
                (followup_on_batch, self.followup),
                (reporting_on_batch, self.reporting),
            ):
                await on_batch(batch, None, deps)  # type: ignore[arg-type]


def fake_system(**settings: Any) -> FakeSystem:
    """A fresh in-memory system (settings overridden as given)."""
    given = split_settings(**settings)
    ports = memory_ports(given.platform)
    intake = intake_fakes(ports, given.intake)
    return FakeSystem(
        ports,
        intake.channels,
        intake.connected,
        routing_fakes(ports, given.routing),
        followup_fakes(ports, given.followup),
        reporting_fakes(ports, given.reporting),
        {},
    )


@dataclass(frozen=True)
class GivenSettings:
    """Test settings, each in the class of the service that reads it."""

    platform: PlatformSettings
    intake: IntakeSettings
    routing: RoutingSettings
    followup: FollowupSettings
    reporting: ReportingSettings


def split_settings(**given: Any) -> GivenSettings:
    """Test settings (environment `test`, no .env) with the given values, each passed to the
    class that declares it; a name no class declares is an error."""
    classes = (PlatformSettings, IntakeSettings, RoutingSettings, FollowupSettings)
    classes += (ReportingSettings,)
    unknown = set(given) - {name for cls in classes for name in cls.model_fields}
    assert not unknown, f"no settings class declares {sorted(unknown)}"
    built = [
        cls(  # type: ignore[call-arg]
            _env_file=None,
            **{"environment": "test"} | {k: v for k, v in given.items() if k in cls.model_fields},
        )
        for cls in classes
    ]
    return GivenSettings(*built)
