"""Wiring reporting's handlers to their adapters: the real ones of a running process (or of the
operator's commands), or the in-memory fakes for unit tests."""

from __future__ import annotations

import asyncpg

from reporting.ports import ReportingDeps, Signing
from reporting.replay_engine import ReplayReadModels
from reporting.store import ReadModelTables
from services.platform.checkpoints import CheckpointTable, signer_of
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def over_database(pool: asyncpg.Pool, ports: Ports) -> ReportingDeps:
    """reporting over its PostgreSQL read models and checkpoints (a process, the operator's
    commands)."""
    key = signer_of(ports.settings.checkpoint_signing_key.get_secret_value())
    signing = Signing(CheckpointTable(pool), key)
    return ReportingDeps(ports, ReadModelTables(pool, ports.policy.calendar), signing)


def bootstrap(rt: Runtime) -> ReportingDeps:
    """reporting over the process's real adapters."""
    return over_database(rt.pool, rt.ports)


def bootstrap_fakes(ports: Ports | None = None) -> ReportingDeps:
    """reporting over in-memory fakes (unit tests)."""
    ports = ports or memory_ports()
    return ReportingDeps(ports, ReplayReadModels(ports.policy.calendar))
