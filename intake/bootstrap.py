"""Wiring intake's handlers to their adapters: the real ones of a running process, or the
in-memory fakes for unit tests."""

from __future__ import annotations

from intake.domain import IntakeSecrets
from intake.handlers import IntakeDeps
from services.platform.memory import memory_ports
from services.platform.ports import Ports
from services.platform.runtime import Runtime


def _deps(ports: Ports) -> IntakeDeps:
    return IntakeDeps(
        ports, IntakeSecrets.from_master_key(ports.settings.master_key.get_secret_value())
    )


def bootstrap(rt: Runtime) -> IntakeDeps:
    """Intake over the process's real adapters."""
    return _deps(rt.ports)


def bootstrap_fakes(ports: Ports | None = None) -> IntakeDeps:
    """Intake over in-memory fakes (unit tests)."""
    return _deps(ports or memory_ports())
