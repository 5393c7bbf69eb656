"""What the end-to-end modules share: an HTTP client per test, and after every scenario on a
running system, the reconciliation of the record with its copies."""

from __future__ import annotations

import httpx
import pytest

from tests.deadlines import under_load

STORES_MAY_DIFFER = {"test_faults", "test_cluster"}
"""Modules that empty the broker or run another cluster on purpose: their own tests say what
must hold afterwards."""


@pytest.fixture
async def client():
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


@pytest.fixture(autouse=True)
def record_and_copies_agree(request):
    """After each scenario: the event store, the complaints read model and the complaint-events
    topic agree on every complaint (`python -m services reconcile`, given a minute to settle)."""
    yield
    module = request.module.__name__.rsplit(".", 1)[-1]
    if "system" not in request.fixturenames or module in STORES_MAY_DIFFER:
        return
    system = request.getfixturevalue("system")
    done = system.cli("-m", "services", "reconcile", "--wait", str(round(under_load(60))))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
