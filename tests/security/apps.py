"""Each service's HTTP app built as `create_app` builds it (the shared skeleton, its router),
over one FakeSystem instead of a runtime: what the security tests and schemathesis call."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from followup import api as followup_api
from intake import api as intake_api
from intake.connected import api as systems_api
from reporting import api as reporting_api
from reporting import open_api
from reporting.dashboard_page import install_dashboard
from routing import api as routing_api
from services.kernel.registry import NATIONAL_ADMIN
from services.platform.auth import KeyRing, demo_key
from services.platform.serving import http_app
from tests.unit.fakes import FakeSystem

SERVICES = ("intake", "routing", "followup", "reporting")
ADMIN = {"X-API-Key": demo_key(NATIONAL_ADMIN)}
CHANNEL = {"X-API-Key": demo_key("web", "channel")}


def agency(code: str) -> dict[str, str]:
    """The headers of a call made with an agency's demo key."""
    return {"X-API-Key": demo_key(code)}


async def _ready() -> dict[str, object]:
    return {"ready": True, "workers": {}}


def service_app(name: str, system: FakeSystem) -> FastAPI:
    """The named service's app over `system`'s fakes."""
    settings = system.ports.settings
    app = http_app(name, settings, _ready, title=f"lapor {name}", description=name)
    keyring = KeyRing(settings, system.ports.registry)
    mounts: dict[str, Any] = {
        "intake": lambda: intake_api.mount(app, system.intake, keyring),
        "routing": lambda: routing_api.mount(app, system.routing, keyring),
        "followup": lambda: followup_api.mount(app, system.followup, keyring),
        "reporting": lambda: reporting_api.mount(app, system.reporting, keyring),
    }
    mounts[name]()
    if name == "intake":
        systems_api.mount(app, system.connected, keyring)
    if name == "reporting":
        install_dashboard(app)
        open_api.mount(app, system.reporting)
    return app


def client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An HTTP client over the app in-process (no server, no socket)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )
