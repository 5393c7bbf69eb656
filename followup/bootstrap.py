"""Wiring followup's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from followup.handlers import FollowupDeps
from followup.settings import FollowupSettings
from followup.store import CaseTable, InMemoryCases
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def bootstrap(rt: Runtime) -> FollowupDeps:
    """followup over the process's real adapters; its settings from the environment."""
    cases = CaseTable(rt.pool, rt.ports.registry, rt.ports.policy.calendar.zone)
    return FollowupDeps(rt.ports, cases, FollowupSettings())


def bootstrap_fakes(
    ports: Ports | None = None, settings: FollowupSettings | None = None
) -> FollowupDeps:
    """followup over in-memory fakes (unit tests); default settings unless given."""
    ports = ports or memory_ports()
    cases = InMemoryCases(ports.registry, ports.policy.calendar.zone)
    settings = settings or FollowupSettings(_env_file=None, environment=ports.settings.environment)
    return FollowupDeps(ports, cases, settings)
