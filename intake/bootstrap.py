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
from intake.settings import IntakeSettings
from intake.store import InMemoryTokens, ReporterTokens, TokenTable
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


@dataclass(frozen=True)
class Intake:
    """Both sides of intake over the same ports."""

    channels: IntakeDeps
    connected: ConnectedDeps
    settings: IntakeSettings


def wire(
    ports: Ports, tokens: ReporterTokens, systems: Systems, settings: IntakeSettings
) -> Intake:
    """Intake over the given ports, stores and settings (a process, the CLI, the tests)."""
    secrets = IntakeSecrets.from_master_key(ports.settings.master_key.get_secret_value())
    channels = IntakeDeps(ports, secrets, tokens, settings)
    return Intake(channels, ConnectedDeps(ports, systems), settings)


def over_database(
    pool: asyncpg.Pool, ports: Ports, settings: IntakeSettings | None = None
) -> Intake:
    """Intake over its PostgreSQL tables (a process, the operator's commands); its settings
    from the environment unless given."""
    return wire(ports, TokenTable(pool), SystemTable(pool), settings or IntakeSettings())


def bootstrap(rt: Runtime) -> Intake:
    """Intake over the process's real adapters."""
    return over_database(rt.pool, rt.ports)


def bootstrap_fakes(ports: Ports | None = None, settings: IntakeSettings | None = None) -> Intake:
    """Intake over in-memory fakes (unit tests); default settings unless given."""
    ports = ports or memory_ports()
    settings = settings or IntakeSettings(_env_file=None, environment=ports.settings.environment)
    return wire(ports, InMemoryTokens(), InMemorySystems(), settings)
