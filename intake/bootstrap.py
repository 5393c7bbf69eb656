"""Wiring intake's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from intake.domain import IntakeSecrets
from intake.handlers import IntakeDeps
from intake.store import InMemoryTokens, ReporterTokens, TokenTable
from intake.systems import InMemorySystems, Systems, SystemTable
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def wire(ports: Ports, tokens: ReporterTokens, systems: Systems) -> IntakeDeps:
    """Intake over the given ports and stores (a process, the CLI, the tests)."""
    secrets = IntakeSecrets.from_master_key(ports.settings.master_key.get_secret_value())
    return IntakeDeps(ports, secrets, tokens, systems)


def bootstrap(rt: Runtime) -> IntakeDeps:
    """Intake over the process's real adapters."""
    return wire(rt.ports, TokenTable(rt.pool), SystemTable(rt.pool))


def bootstrap_fakes(ports: Ports | None = None) -> IntakeDeps:
    """Intake over in-memory fakes (unit tests)."""
    return wire(ports or memory_ports(), InMemoryTokens(), InMemorySystems())
