"""What every decider shares: the refusal a `decide_*` function raises instead of events. Pure."""

from __future__ import annotations


class Refused(Exception):
    """A command was refused by the domain rules; `code` is machine-readable, `field` optional.

    `status` is the HTTP status an API answers with: 409 for "not in this state", 403 for "not
    yours", 422 for a value the rules reject.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int = 409):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status
