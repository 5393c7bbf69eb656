"""Wiring reporting's handlers to their adapters: the real ones of a running process (or of the
operator's commands), or the in-memory fakes for unit tests."""

from __future__ import annotations

import asyncpg

from reporting.ports import ReportingDeps, Signing
from reporting.replay_engine import ReplayReadModels
from reporting.settings import ReportingSettings
from reporting.store import ReadModelTables
from services.platform.checkpoints import CheckpointTable, signer_of
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def over_database(
    pool: asyncpg.Pool, ports: Ports, settings: ReportingSettings | None = None
) -> ReportingDeps:
    """reporting over its PostgreSQL read models and checkpoints (a process, the operator's
    commands); its settings from the environment unless given."""
    settings = settings or ReportingSettings()
    key = signer_of(settings.checkpoint_signing_key.get_secret_value())
    signing = Signing(CheckpointTable(pool), key)
    read_models = ReadModelTables(pool, ports.policy.calendar)
    return ReportingDeps(ports, read_models, settings, signing)


def bootstrap(rt: Runtime) -> ReportingDeps:
    """reporting over the process's real adapters."""
    return over_database(rt.pool, rt.ports)


def bootstrap_fakes(
    ports: Ports | None = None, settings: ReportingSettings | None = None
) -> ReportingDeps:
    """reporting over in-memory fakes (unit tests); default settings unless given."""
    ports = ports or memory_ports()
    settings = settings or ReportingSettings(_env_file=None, environment=ports.settings.environment)
    return ReportingDeps(ports, ReplayReadModels(ports.policy.calendar), settings)
