"""routing's FastAPI dependencies: the use cases' deps of the app serving the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from routing.handlers import RoutingDeps


def routing_deps(request: Request) -> RoutingDeps:
    """What routing's use cases run over (`app.state.routing`, set by `api.mount`)."""
    deps: RoutingDeps = request.app.state.routing
    return deps


Deps = Annotated[RoutingDeps, Depends(routing_deps)]
