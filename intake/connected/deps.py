"""The connected systems' FastAPI dependencies: the wing's deps of the app serving the request,
and the calling system (its own key, active, within its rate limit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from intake.connected.domain import ConnectedSystem
from intake.connected.handlers import ConnectedDeps
from services.kernel.refusals import RefusalKind, Refused
from services.platform.auth import DeclaredKey, presented_key
from services.platform.ratelimit import RateLimits


def connected_deps(request: Request) -> ConnectedDeps:
    """What the wing's use cases run over (`app.state.connected`, set by `api.mount`)."""
    deps: ConnectedDeps = request.app.state.connected
    return deps


Deps = Annotated[ConnectedDeps, Depends(connected_deps)]


async def calling_system(
    request: Request, code: str, _: DeclaredKey, deps: Deps
) -> ConnectedSystem:
    """A connected system calling with its own key (401 without a valid key, 403 when
    suspended or calling for another system, 429 past LAPOR_AGENCY_RATE_PER_KEY)."""
    system = await deps.systems.by_key(presented_key(request))
    if system is None:
        raise Refused(
            "unauthenticated",
            "a connected system's key is required (X-API-Key)",
            kind=RefusalKind.UNAUTHENTICATED,
        )
    if system.code != code:
        raise Refused("forbidden", "this key is another system's", kind=RefusalKind.FORBIDDEN)
    if not system.active:
        raise Refused(
            "suspended", f"{code} is suspended by the national admin", kind=RefusalKind.FORBIDDEN
        )
    limits: RateLimits = request.app.state.connected_limits
    limits.hit("system-per-key", system.code)
    return system


CallingSystem = Annotated[ConnectedSystem, Depends(calling_system)]
