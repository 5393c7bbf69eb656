"""followup's FastAPI dependencies: the use cases' deps of the app serving the request, who may
call (case workers), and the per-key rate limit of case files and replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from followup.handlers import FollowupDeps
from services.platform.auth import CASE_WORKERS, Principal, requiring
from services.platform.ratelimit import RateLimits


def followup_deps(request: Request) -> FollowupDeps:
    """What followup's use cases run over (`app.state.followup`, set by `api.mount`)."""
    deps: FollowupDeps = request.app.state.followup
    return deps


def limits(request: Request) -> RateLimits:
    """The app's rate limits (`app.state.followup_limits`, set by `api.mount`)."""
    found: RateLimits = request.app.state.followup_limits
    return found


Deps = Annotated[FollowupDeps, Depends(followup_deps)]
CaseWorker = Annotated[Principal, Depends(requiring(*CASE_WORKERS))]
"""The national admin, an agency, or a work unit's liaison."""
Limits = Annotated[RateLimits, Depends(limits)]
