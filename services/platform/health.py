"""Health and metrics endpoints every service process mounts."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.platform.docs_pages import install_docs_pages

Check = Callable[[], Awaitable[dict[str, object]]]


def health_router_app(name: str, ready: Check) -> FastAPI:
    """A small app: `/healthz` (alive), `/readyz` (the service's own check), `/metrics`."""
    app = FastAPI(title=f"lapor {name}", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    install_docs_pages(app)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, object]:
        """The process is alive (and which one: its pid, for operators and fault tests)."""
        return {"service": name, "status": "ok", "pid": os.getpid()}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready: the details"}})
    async def readyz() -> JSONResponse:
        """The service can do its work; 503 with the details when it cannot."""
        detail = await ready()
        code = 200 if detail.get("ready") else 503
        return JSONResponse({"service": name, **detail}, status_code=code)

    # Documented as the text it is (Prometheus' exposition format), not as JSON.
    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
