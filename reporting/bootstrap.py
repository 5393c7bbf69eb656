"""Wiring reporting's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from reporting.handlers import ReportingDeps
from reporting.memory import InMemoryReadModels
from reporting.store import ReadModelTables
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def bootstrap(rt: Runtime) -> ReportingDeps:
    """reporting over the process's real adapters."""
    return ReportingDeps(rt.ports, ReadModelTables(rt.pool, rt.ports.policy.calendar))


def bootstrap_fakes(ports: Ports | None = None) -> ReportingDeps:
    """reporting over in-memory fakes (unit tests)."""
    ports = ports or memory_ports()
    return ReportingDeps(ports, InMemoryReadModels(ports.policy.calendar))
