"""Rate limits on what strangers can send: per client address and per key, in a moving window
(the `limits` library), answered with 429 and Retry-After. Per process: N replicas allow N times
the rate, which a proxy in front should cap as well."""

from __future__ import annotations

import math
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse, storage, strategies
from prometheus_client import Counter

REFUSED = Counter("lapor_rate_limited_total", "requests refused by a rate limit", ["limit"])


class RateLimited(Exception):
    """A caller went over a limit: try again after `retry_after_s`."""

    def __init__(self, limit: str, retry_after_s: int) -> None:
        super().__init__(f"rate limit {limit} exceeded")
        self.limit = limit
        self.retry_after_s = retry_after_s


class RateLimits:
    """Named limits ("filing-per-client" -> "20/minute"), each counted per identifier."""

    def __init__(self, limits: dict[str, str]) -> None:
        self._items: dict[str, RateLimitItem] = {name: parse(text) for name, text in limits.items()}
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, name: str, identifier: str) -> None:
        """Count one request of `identifier` against the limit `name`; RateLimited when over."""
        item = self._items[name]
        if self._window.hit(item, name, identifier):
            return
        reset_at, _ = self._window.get_window_stats(item, name, identifier)
        REFUSED.labels(name).inc()
        raise RateLimited(str(item), max(1, math.ceil(reset_at - time.time())))


def client_address(request: Request) -> str:
    """The caller's address (the proxy's, behind one: the limit then needs the proxy's help)."""
    return request.client.host if request.client else "unknown"


def install_rate_limit_handler(app: FastAPI) -> None:
    """429 with Retry-After and the usual error body for every RateLimited."""

    @app.exception_handler(RateLimited)
    async def _limited(request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(
            {
                "error": "rate_limited",
                "message": f"too many requests ({exc.limit}); retry after {exc.retry_after_s} s",
                "errors": [],
            },
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
