"""What every HTTP middleware of the platform shares: plain ASGI, and anything that is not an
HTTP request (the lifespan, a websocket) passed straight through untouched."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """An ASGI middleware that acts on HTTP requests only, in `on_http`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.on_http(scope, receive, send)

    async def on_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (each middleware says how)."""
        raise NotImplementedError
