"""intake's FastAPI dependencies: the channel side's use cases' deps of the app serving the
request, who may call (channels, auditors), and the rate limits taken before authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from intake.handlers import IntakeDeps
from services.platform.auth import Principal, requiring
from services.platform.ratelimit import RateLimits, client_address


def intake_deps(request: Request) -> IntakeDeps:
    """What intake's channel-side use cases run over (`app.state.intake`, set by `api.mount`)."""
    deps: IntakeDeps = request.app.state.intake
    return deps


def limits(request: Request) -> RateLimits:
    """The app's rate limits (`app.state.intake_limits`, set by `api.mount`)."""
    found: RateLimits = request.app.state.intake_limits
    return found


def filing_limits(request: Request) -> None:
    """Filings per client address, before authentication: a flood of bad keys is a flood too."""
    limits(request).hit("filing-per-client", client_address(request))


def reply_limits(request: Request) -> None:
    """The reporter's requests per client address."""
    limits(request).hit("reply-per-client", client_address(request))


Deps = Annotated[IntakeDeps, Depends(intake_deps)]
Limits = Annotated[RateLimits, Depends(limits)]
Channel = Annotated[Principal, Depends(requiring("channel"))]
"""A channel, with its own key: it files only as itself."""
