"""What the end-to-end modules share: an HTTP client per test."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
async def client():
    async with httpx.AsyncClient(timeout=30) as http:
        yield http
