"""Wiring followup's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from followup.handlers import FollowupDeps
from followup.store import CaseTable, InMemoryCases
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def bootstrap(rt: Runtime) -> FollowupDeps:
    """followup over the process's real adapters."""
    return FollowupDeps(
        rt.ports, CaseTable(rt.pool, rt.ports.registry, rt.ports.policy.calendar.zone)
    )


def bootstrap_fakes(ports: Ports | None = None) -> FollowupDeps:
    """followup over in-memory fakes (unit tests)."""
    ports = ports or memory_ports()
    return FollowupDeps(ports, InMemoryCases(ports.registry, ports.policy.calendar.zone))
