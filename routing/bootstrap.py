"""Wiring routing's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from routing.handlers import RoutingDeps
from routing.settings import RoutingSettings
from routing.store import InMemoryQueue, InMemoryWorkItemLog, QueueTable, WorkItemLog
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def bootstrap(rt: Runtime) -> RoutingDeps:
    """Routing over the process's real adapters; its settings from the environment."""
    keeper = f"{rt.settings.topic_prefix}-routing"
    log = WorkItemLog(rt.pool, keeper)
    return RoutingDeps(rt.ports, QueueTable(rt.pool), log, RoutingSettings())


def bootstrap_fakes(
    ports: Ports | None = None, settings: RoutingSettings | None = None
) -> RoutingDeps:
    """Routing over in-memory fakes (unit tests); default settings unless given."""
    ports = ports or memory_ports()
    settings = settings or RoutingSettings(_env_file=None, environment=ports.settings.environment)
    return RoutingDeps(ports, InMemoryQueue(), InMemoryWorkItemLog(), settings)
