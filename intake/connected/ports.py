"""What the connected systems' use cases run over: the platform's ports, the systems' store,
and the client that reads a system's reconciliation endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from intake.connected.store import JsonFetcher, Systems, fetch_json
from services.kernel.refusals import RefusalKind, Refused
from services.platform.ports import Ports


@dataclass
class ConnectedDeps:
    """What the connected systems' handlers run over."""

    ports: Ports
    systems: Systems
    fetch_json: JsonFetcher = fetch_json


def unknown_system(code: str) -> Refused:
    """The refusal for a system code nobody registered."""
    return Refused("unknown_system", f"no connected system {code}", kind=RefusalKind.NOT_FOUND)
