"""What every decider shares: the refusal a `decide_*` function raises instead of events, and
the kinds of refusal. Pure: the HTTP edge maps a kind to a status, the deciders never do."""

from __future__ import annotations

from enum import StrEnum


class RefusalKind(StrEnum):
    """Why a command was refused, in terms of the domain (not of any protocol)."""

    NOT_FOUND = "not_found"  # no such thing, or not visible to the caller
    UNAUTHENTICATED = "unauthenticated"  # the caller did not prove who it is
    FORBIDDEN = "forbidden"  # the caller may not do this
    CONFLICT = "conflict"  # not possible in the complaint's current state
    INVALID = "invalid"  # a value the rules reject


class Refused(Exception):
    """A command was refused by the domain rules; `code` is machine-readable, `field` optional."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        kind: RefusalKind = RefusalKind.CONFLICT,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.kind = kind


def invalid(code: str, message: str, field: str) -> Refused:
    """The refusal of a value the rules reject, naming the field that carries it."""
    return Refused(code, message, field=field, kind=RefusalKind.INVALID)
