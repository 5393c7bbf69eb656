"""Wiring intake's two sides to their adapters: the channel side (filing, tracking, the
reporter's replies) and the connected systems' wing, over the real adapters of a running
process or the in-memory fakes for unit tests. The only module that knows both."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from intake.connected.handlers import ConnectedDeps
from intake.connected.store import InMemorySystems, Systems, SystemTable
from intake.domain import IntakeSecrets
from intake.handlers import IntakeDeps
from intake.store import InMemoryTokens, ReporterTokens, TokenTable
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


@dataclass(frozen=True)
class Intake:
    """Both sides of intake over the same ports."""

    channels: IntakeDeps
    connected: ConnectedDeps


def wire(ports: Ports, tokens: ReporterTokens, systems: Systems) -> Intake:
    """Intake over the given ports and stores (a process, the CLI, the tests)."""
    secrets = IntakeSecrets.from_master_key(ports.settings.master_key.get_secret_value())
    return Intake(IntakeDeps(ports, secrets, tokens), ConnectedDeps(ports, systems))


def over_database(pool: asyncpg.Pool, ports: Ports) -> Intake:
    """Intake over its PostgreSQL tables (a process, the operator's commands)."""
    return wire(ports, TokenTable(pool), SystemTable(pool))


def bootstrap(rt: Runtime) -> Intake:
    """Intake over the process's real adapters."""
    return over_database(rt.pool, rt.ports)


def bootstrap_fakes(ports: Ports | None = None) -> Intake:
    """Intake over in-memory fakes (unit tests)."""
    return wire(ports or memory_ports(), InMemoryTokens(), InMemorySystems())
