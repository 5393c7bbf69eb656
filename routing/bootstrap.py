"""Wiring routing's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from routing.handlers import RoutingDeps
from routing.store import InMemoryQueue, InMemoryWorkItemLog, QueueTable, WorkItemLog
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def bootstrap(rt: Runtime) -> RoutingDeps:
    """Routing over the process's real adapters."""
    keeper = f"{rt.settings.topic_prefix}-routing"
    return RoutingDeps(rt.ports, QueueTable(rt.pool), WorkItemLog(rt.pool, keeper))


def bootstrap_fakes(ports: Ports | None = None) -> RoutingDeps:
    """Routing over in-memory fakes (unit tests)."""
    return RoutingDeps(ports or memory_ports(), InMemoryQueue(), InMemoryWorkItemLog())
