"""HTTP conventions every service shares: errors as machine-readable JSON naming the field and
the problem (never echoing the input, which may be personal data), and the safety middleware
(body size limit, no caching of answers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Annotated, Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.refusals import RefusalKind, Refused
from services.platform.db import TRANSIENT_ERRORS
from services.platform.middleware import HttpMiddleware
from services.platform.request_log import RequestLine, with_header
from services.platform.settings import PlatformSettings

AGENCY_CODE = r"^[a-z0-9][a-z0-9.-]{1,62}$"
TRACKING_ID = r"^lpr-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9._:-]{1,128}$",
        description="makes a retry return the first result instead of acting twice",
    ),
]
"""The one `Idempotency-Key` header every command route accepts."""

RETRY_AFTER_S = 2
UNAVAILABLE: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, KafkaError)
"""Failures of the infrastructure, not of the request: 503 with Retry-After, never 500."""

STATUS_OF_REFUSAL: dict[RefusalKind, int] = {
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.UNAUTHENTICATED: 401,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.CONFLICT: 409,
    RefusalKind.INVALID: 422,
}
"""The HTTP status each kind of refusal answers with."""

LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "too many requests: retry after `Retry-After` seconds"}
}
"""The answer of a rate-limited route, for its OpenAPI responses."""

ERROR_SCHEMA: dict[int | str, dict[str, Any]] = {
    400: {"description": "the body cannot be read (not UTF-8 JSON)"},
    401: {"description": "no valid API key"},
    403: {"description": "the caller's role does not allow this"},
    404: {"description": "not found (or not visible to the caller)"},
    409: {"description": "not possible in the complaint's current state"},
    413: {"description": "the body is larger than `limit_bytes`"},
    422: {
        "description": "invalid input: `errors` lists each field and its problem (at most "
        "20; `errors_omitted` says how many more there were)"
    },
    503: {"description": "storage unreachable for now: retry after `Retry-After` seconds"},
}

MAX_ERRORS = 20
"""At most this many entries in an error body's `errors`: a body with thousands of bad fields
must not make an answer thousands of times larger."""
MAX_FIELD_CHARS = 120
MAX_PROBLEM_CHARS = 200
"""Longer field paths and problems are cut: a field path may be a key the caller made up."""


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def problem(
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, str]] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The one error body: {"error": code, "message": ..., "errors": [{"field", "problem"}]},
    with `extra` fields where a kind of error has more to say (e.g. `limit_bytes`)."""
    body = {"error": code, "message": message, "errors": errors or [], **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _errors_of(exc: Any) -> Sequence[Any]:
    if isinstance(exc, ValidationError):
        # pydantic builds this list on each call: leave out what is never shown (the input).
        return exc.errors(include_url=False, include_context=False, include_input=False)
    errors: Sequence[Any] = exc.errors()
    return errors


def _entries(errors: Sequence[Any], limit: int) -> list[dict[str, str]]:
    # islice: only the entries shown are formatted, however many the body provoked.
    return [
        {
            "field": _clip(_field(tuple(e.get("loc", ()))), MAX_FIELD_CHARS),
            "problem": _clip(str(e.get("msg", "invalid")), MAX_PROBLEM_CHARS),
            "type": _clip(str(e.get("type", "")), MAX_FIELD_CHARS),
        }
        for e in islice(errors, limit)
    ]


def validation_errors(exc: Any, limit: int = MAX_ERRORS) -> list[dict[str, str]]:
    """Field path and problem of the first `limit` pydantic errors, without the offending
    value, each cut to a sane length."""
    return _entries(_errors_of(exc), limit)


def invalid(code: str, message: str, exc: Any) -> JSONResponse:
    """A 422 listing at most MAX_ERRORS of the validation errors, and how many were left off."""
    errors = _errors_of(exc)
    shown = _entries(errors, MAX_ERRORS)
    return problem(422, code, message, shown, errors_omitted=len(errors) - len(shown))


def install_error_handlers(app: FastAPI) -> None:
    """422 for invalid input, the decider's status for refusals, JSON for every HTTP error."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid("invalid_input", "the request is not valid", exc)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        errors = [{"field": exc.field, "problem": exc.message}] if exc.field else []
        return problem(STATUS_OF_REFUSAL[exc.kind], exc.code, exc.message, errors)

    @app.exception_handler(ValidationError)
    async def _rule(request: Request, exc: ValidationError) -> JSONResponse:
        # A value the contract refuses deep inside a decision: still the caller's input.
        return invalid("invalid_value", "a value is not acceptable", exc)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database or the broker is away (restarting, failing over): nothing was decided,
        # so the caller may simply try again.
        response = problem(
            503, "unavailable", "the service cannot reach its storage right now; try again"
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    for transient in UNAVAILABLE:
        app.add_exception_handler(transient, _unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The exception's headers are part of the answer: `Allow` on a 405, for one.
        message = _clip(str(exc.detail), MAX_PROBLEM_CHARS)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; a path served by
            # several routes (POST and DELETE on one resource) allows all of their methods.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(exc.status_code, "http_error", message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves on the request's path."""
    # Asked of the router itself (included routers nest their routes): which methods would
    # match this path in full.
    return [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


def install_http_safety(app: FastAPI, settings: PlatformSettings) -> None:
    """The request body limit and `Cache-Control: no-store` on every answer of `app`, and
    the canonical log line of every request."""
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # Added after the limit, so outside it: the body limit's 413 carries it too.
    app.add_middleware(NoStore)
    # Outermost: the line sees every answer, and the correlation id is bound for all of it.
    app.add_middleware(RequestLine)


class BodyTooLarge(Exception):
    """Raised into the app by `BodyLimit` when the body passes the limit mid-stream."""


DRAIN_BYTES = 1024 * 1024
"""Past the limit, up to this many more bytes of a body still arriving are read and thrown
away before the 413, so that the client, still sending, gets to read the answer instead of
a reset connection; a larger remainder is cut off with the connection."""


class BodyLimit(HttpMiddleware):
    """Refuse (413) a request whose body is larger than `limit` bytes: at once when its
    Content-Length says so, else as soon as the streamed (chunked) bytes pass the limit.
    Nothing past the limit is kept in memory: the rest is discarded unread by the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def on_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _declared_length(scope)
        if declared > self.limit:
            await self._refuse(scope, receive, send, more=declared <= DRAIN_BYTES)
            return
        received = 0
        exceeded = False
        more = True
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded, more
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                more = bool(message.get("more_body", False))
                if received > self.limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the app made of the interrupted body (a 400, a 500), the caller
                # gets the 413 instead.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, receive, send, more=more)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, checked_send)
        except Exception:
            if not exceeded:
                raise
            if not started:
                await self._refuse(scope, receive, send, more=more)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, more: bool) -> None:
        discarded = 0
        while more and discarded <= DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                break
            discarded += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
        response = problem(
            413,
            "body_too_large",
            f"the request body is larger than the limit of {self.limit} bytes",
            limit_bytes=self.limit,
        )
        # Whatever of the body is left unread, the connection does not serve another request.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The largest Content-Length the request declares (-1 when none or not a number: the
    streamed bytes are counted anyway)."""
    declared = -1
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.strip().isdigit():
            declared = max(declared, int(value))
    return declared


class NoStore(HttpMiddleware):
    """`Cache-Control: no-store` on every answer: answers may carry an access token or a
    reporter's contact, which no browser or proxy cache may keep."""

    async def on_http(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = with_header(message, b"cache-control", b"no-store")
            await send(message)

        await self.app(scope, receive, send_no_store)
