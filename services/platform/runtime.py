"""What a service process holds while it runs: settings, pool, the real adapters of every port,
the key ring and readiness flags; opened once, closed once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from services.kernel.registry import Registry, load_registry
from services.platform import kafka
from services.platform.auth import KeyRing
from services.platform.batch_consumer import BatchHandler, batch_event_consumer
from services.platform.clock import PlatformClock
from services.platform.consumer import InFlight, Progress
from services.platform.db import create_pool
from services.platform.eventstore import PostgresEventStore
from services.platform.policy import deadline_policy
from services.platform.ports import Ports, Publisher
from services.platform.settings import Endpoints, PlatformSettings
from services.platform.vault import EncryptedVault


@dataclass
class Runtime:
    """The shared resources of one service process."""

    name: str
    settings: PlatformSettings
    endpoints: Endpoints
    pool: asyncpg.Pool
    publisher: kafka.KafkaPublisher
    clock: PlatformClock
    ports: Ports
    keyring: KeyRing
    ready: dict[str, asyncio.Event] = field(default_factory=dict)
    progress: dict[str, Progress | InFlight] = field(default_factory=dict)
    """Consumers whose stalled backlog makes `/readyz` false after `stall_timeout_s`."""

    @classmethod
    async def open(cls, settings: PlatformSettings, endpoints: Endpoints, name: str) -> Runtime:
        """Connect to PostgreSQL and Kafka and load the registry."""
        registry: Registry = load_registry()
        pool = await create_pool(endpoints.database_url, max_size=settings.db_pool_max)
        await kafka.ensure_platform_topics(endpoints.kafka_bootstrap_servers, settings)
        publisher = kafka.KafkaPublisher(
            lambda: kafka.producer(
                endpoints.kafka_bootstrap_servers,
                client_id=name,
                idempotent=settings.idempotent_producer,
                auth=kafka.client_auth(settings),
            )
        )
        await publisher.start()
        ports = database_ports(pool, settings, publisher, registry)
        clock = ports.clock
        assert isinstance(clock, PlatformClock)
        await clock.listen(endpoints.database_url)
        return cls(
            name, settings, endpoints, pool, publisher, clock, ports, KeyRing(settings, registry)
        )

    async def close(self) -> None:
        """Flush the producer and close the pool."""
        await self.publisher.stop()
        await self.clock.close()
        await self.pool.close()

    def complaint_events(
        self, consumer: str, apply: BatchHandler, *, lock_key: int | None = None
    ) -> Callable[[asyncio.Event], Awaitable[None]]:
        """The service's complaint-events consumer (batches applied once, in stream order),
        counted by `/readyz`; the worker that runs it."""
        found = batch_event_consumer(
            self.settings,
            self.endpoints.kafka_bootstrap_servers,
            name=consumer,
            pool=self.pool,
            handle=apply,
            lock_key=lock_key,
        )
        self.ready["complaint-events"] = found.ready
        self.progress["complaint-events"] = found.progress
        return found.run

    def readiness(self) -> Callable[[], Awaitable[dict[str, object]]]:
        """The `/readyz` check: every registered worker has started consuming, and no consumer
        has had fetched messages waiting longer than `stall_timeout_s` (stuck on one)."""

        async def check() -> dict[str, object]:
            workers = {name: event.is_set() for name, event in self.ready.items()}
            waits = {name: round(p.stalled_for(), 1) for name, p in self.progress.items()}
            stalled = {n: s for n, s in waits.items() if s > self.settings.stall_timeout_s}
            ready = all(workers.values()) and not stalled
            return {"ready": ready, "workers": workers, "stalled_s": stalled}

        return check


def database_ports(
    pool: asyncpg.Pool, settings: PlatformSettings, publisher: Publisher, registry: Registry
) -> Ports:
    """The ports over one PostgreSQL pool: the event store, the platform clock, the vault (a
    process's runtime, and the command line's one-off commands)."""
    return Ports(
        store=PostgresEventStore(pool),
        # Only an adjustable clock (development, test) has an offset to read; in production
        # "now" is the system time and costs no query.
        clock=PlatformClock(pool if settings.adjustable_clock else None),
        publisher=publisher,
        vault=EncryptedVault(pool, settings.master_key.get_secret_value()),
        registry=registry,
        policy=deadline_policy(settings),
        settings=settings,
    )
