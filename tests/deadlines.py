"""The deadlines of the tests' waits, stretched while the machine is loaded."""

from __future__ import annotations

import os

MAX_STRETCH = 3.0
"""At most three times the written deadline: a test that truly hangs still fails in bounded time."""


def under_load(seconds: float) -> float:
    """`seconds`, stretched by how loaded the machine is: by the number of test workers sharing
    it (pytest-xdist) or its load per core now, whichever is more, up to `MAX_STRETCH`. It bounds
    waits for recovery only (a poll returns as soon as its condition holds), so only a failing
    test waits longer: on two workers fixed deadlines failed tests that were merely slowed."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * min(MAX_STRETCH, max(1.0, float(workers), per_core))
