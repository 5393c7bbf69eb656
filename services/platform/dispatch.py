"""Handing a command to its handler through a service's explicit table (no discovery by import
side effects): routes and agents parse, dispatch, and shape the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

D = TypeVar("D")

Handler = Callable[[Any, D], Awaitable[Any]]
"""A use case: (command, the service's dependencies) -> its result."""


def dispatcher(table: Mapping[type, Handler[D]]) -> Callable[[object, D], Awaitable[Any]]:
    """A service's `handle`: runs the handler the table lists for the command's type."""

    async def handle(command: object, deps: D) -> Any:
        handler = table.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        return await handler(command, deps)

    return handle
