"""HTTP conventions every service shares: errors as machine-readable JSON naming the field and
the problem (never echoing the input, which may be personal data), and the app skeleton."""

from __future__ import annotations

from typing import Annotated, Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kernel.refusals import RefusalKind, Refused
from services.platform.db import TRANSIENT_ERRORS

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

ERROR_SCHEMA: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API key"},
    403: {"description": "the caller's role does not allow this"},
    404: {"description": "not found (or not visible to the caller)"},
    409: {"description": "not possible in the complaint's current state"},
    422: {"description": "invalid input: `errors` lists each field and its problem"},
    503: {"description": "storage unreachable for now: retry after `Retry-After` seconds"},
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


def problem(
    status: int, code: str, message: str, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    """The one error body: {"error": code, "message": ..., "errors": [{"field", "problem"}]}."""
    return JSONResponse(
        {"error": code, "message": message, "errors": errors or []}, status_code=status
    )


def validation_errors(exc: Any) -> list[dict[str, str]]:
    """Field path and problem of each pydantic error, without the offending value."""
    return [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "problem": e.get("msg", "invalid"),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """422 for invalid input, the decider's status for refusals, JSON for every HTTP error."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "invalid_input", "the request is not valid", validation_errors(exc))

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        errors = [{"field": exc.field, "problem": exc.message}] if exc.field else []
        return problem(STATUS_OF_REFUSAL[exc.kind], exc.code, exc.message, errors)

    @app.exception_handler(ValidationError)
    async def _rule(request: Request, exc: ValidationError) -> JSONResponse:
        # A value the contract refuses deep inside a decision: still the caller's input.
        return problem(422, "invalid_value", "a value is not acceptable", validation_errors(exc))

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
        return problem(exc.status_code, "http_error", str(exc.detail))
