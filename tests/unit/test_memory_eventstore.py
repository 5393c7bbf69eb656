"""The in-memory event store keeps the same contract as the PostgreSQL one."""

from __future__ import annotations

import pytest

from services.platform.memory import InMemoryEventStore
from tests.eventstore_contract import EventStoreContract


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def store(self) -> InMemoryEventStore:
        return InMemoryEventStore()
