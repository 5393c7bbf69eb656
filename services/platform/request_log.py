"""One canonical log line per HTTP request (method, path, status, duration, caller role,
complaint id, correlation id), and the correlation id taken from or returned in the
`X-Correlation-ID` header, so that a channel can follow its request into the events."""

from __future__ import annotations

from uuid import UUID, uuid4

from starlette.types import Message, Receive, Scope, Send

from services.platform.logs import canonical_line
from services.platform.middleware import HttpMiddleware

CORRELATION_HEADER = "X-Correlation-ID"
MAX_PATH_CHARS = 200
"""A longer path is cut in the log line: a stranger chooses it."""


def with_header(message: Message, name: bytes, value: bytes) -> Message:
    """A response-start message with `name` set to `value` (any earlier value replaced)."""
    headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != name]
    return {**message, "headers": [*headers, (name, value)]}


def correlation_of(raw: bytes | None) -> UUID:
    """The caller's correlation id when it is a UUID, else a fresh one (anything else a
    stranger sends is not carried into the events)."""
    if raw:
        try:
            return UUID(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    return uuid4()


class RequestLine(HttpMiddleware):
    """The outermost middleware: binds the correlation id for everything the request does,
    answers with it in `X-Correlation-ID`, and logs the request's line when it ends."""

    async def on_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = CORRELATION_HEADER.lower().encode()
        given = next((v for k, v in scope.get("headers", ()) if k.lower() == header), None)
        correlation = correlation_of(given)
        path = scope.get("path", "")[:MAX_PATH_CHARS]
        with canonical_line(
            "http.request", correlation, method=scope.get("method"), path=path, status=500
        ) as line:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    line["status"] = message["status"]
                    message = with_header(message, header, str(correlation).encode())
                await send(message)

            await self.app(scope, receive, send_with_id)
