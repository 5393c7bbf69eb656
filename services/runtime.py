"""What a service process holds while it runs: settings, pool, event store, clock, registry,
keys, deadline policy and a Kafka producer; opened once, closed once, shared by its handlers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from routing.registry import Registry, load_registry
from services import kafka
from services.auth import KeyRing
from services.clock import PlatformClock
from services.db import create_pool
from services.eventstore import EventStore
from services.infra import Endpoints
from services.logs import get_logger
from services.personal_data import PersonalDataStore
from services.settings import PlatformSettings
from services.workdays import DeadlinePolicy, WorkingCalendar

log = get_logger("runtime")


def deadline_policy(settings: PlatformSettings) -> DeadlinePolicy:
    """The regulated clocks with the limits from settings."""
    return DeadlinePolicy(
        WorkingCalendar(settings.timezone),
        verify_days=settings.verify_working_days,
        follow_up_days=settings.follow_up_working_days,
        escalation_days=settings.escalation_working_days,
        silence_days=settings.silence_working_days,
        resolution_days=settings.resolution_days,
    )


@dataclass
class Runtime:
    """The shared resources of one service process."""

    name: str
    settings: PlatformSettings
    endpoints: Endpoints
    pool: asyncpg.Pool
    store: EventStore
    clock: PlatformClock
    registry: Registry
    keyring: KeyRing
    policy: DeadlinePolicy
    vault: PersonalDataStore
    producer: AIOKafkaProducer
    ready: dict[str, asyncio.Event] = field(default_factory=dict)

    @classmethod
    async def open(
        cls, settings: PlatformSettings, endpoints: Endpoints, name: str, *, pool_size: int = 10
    ) -> Runtime:
        """Connect to PostgreSQL and Kafka and load the registry."""
        registry = load_registry()
        pool = await create_pool(endpoints.database_url, max_size=pool_size)
        await kafka.ensure_platform_topics(endpoints.kafka_bootstrap_servers, settings)
        producer = kafka.producer(endpoints.kafka_bootstrap_servers, client_id=name)
        await producer.start()
        # Only an adjustable clock (development, test) has an offset to read; in production
        # "now" is the system time and costs no query.
        clock = PlatformClock(pool if settings.adjustable_clock else None)
        await clock.listen(endpoints.database_url)
        return cls(
            name=name,
            settings=settings,
            endpoints=endpoints,
            pool=pool,
            store=EventStore(pool),
            clock=clock,
            registry=registry,
            keyring=KeyRing(settings, registry),
            policy=deadline_policy(settings),
            vault=PersonalDataStore(pool, settings.master_key.get_secret_value()),
            producer=producer,
        )

    async def close(self) -> None:
        """Flush the producer and close the pool."""
        with contextlib.suppress(Exception):
            await self.producer.stop()
        await self.clock.close()
        await self.pool.close()

    async def publish(self, topic: str, key: str, value: dict[str, Any], **headers: str) -> None:
        """Send one JSON message and wait for the broker's acknowledgement."""
        await self.producer.send_and_wait(
            topic,
            value=json.dumps(value, ensure_ascii=False, default=str).encode(),
            key=key.encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )

    def readiness(self) -> Callable[[], Awaitable[dict[str, object]]]:
        """The `/readyz` check: every registered worker has started consuming."""

        async def check() -> dict[str, object]:
            workers = {name: event.is_set() for name, event in self.ready.items()}
            return {"ready": all(workers.values()), "workers": workers}

        return check
