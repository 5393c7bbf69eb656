"""Kafka wiring shared by every service: producers, consumers, topic creation, clean shutdown."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    RecordTooLargeError,
    UnknownProducerId,
)
from aiokafka.helpers import create_ssl_context

from events.topics import topic_config
from services.kernel.registry import NATIONAL_ADMIN, load_registry
from services.platform.ports import MAX_MESSAGE_BYTES, MessageTooLarge
from services.platform.settings import PlatformSettings

_TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code, returned rather than raised
_TOPIC_AUTHORIZATION_FAILED = 29

Auth = Mapping[str, Any]
"""aiokafka's connection keywords for one principal (empty on an open broker)."""


class BrokerCredentialsMissing(RuntimeError):
    """The broker wants a principal and this process was given none."""


def client_auth(settings: PlatformSettings) -> dict[str, Any]:
    """The aiokafka connection keywords (security protocol, SASL mechanism, user, password) of
    this process's principal; refuses to connect without credentials on a SASL broker."""
    protocol = settings.broker_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    if not settings.broker_username or settings.broker_password is None:
        # Never fall back to another principal (least of all admin): say what is missing.
        raise BrokerCredentialsMissing(
            f"the broker uses {protocol}: set LAPOR_BROKER_USERNAME and LAPOR_BROKER_PASSWORD "
            "(the launcher sets them for each service of the embedded broker)"
        )
    auth: dict[str, Any] = {
        "security_protocol": protocol,
        "sasl_mechanism": settings.broker_sasl_mechanism,
        "sasl_plain_username": settings.broker_username,
        "sasl_plain_password": settings.broker_password.get_secret_value(),
    }
    if protocol == "SASL_SSL":
        auth["ssl_context"] = create_ssl_context()  # the system's CAs
    return auth


def producer(
    bootstrap: str, *, client_id: str, idempotent: bool, auth: Auth, linger_ms: int = 2
) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (`acks=all`) and, on Apache Kafka, is
    idempotent: a retried send is written once. Tansu cannot be; consumers are idempotent."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **auth,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotent,
        linger_ms=linger_ms,
        max_batch_size=MAX_MESSAGE_BYTES,
        max_request_size=MAX_MESSAGE_BYTES,
        request_timeout_ms=10_000,
        retry_backoff_ms=100,
    )


def consumer(
    bootstrap: str,
    settings: PlatformSettings,
    *topics: str,
    group_id: str | None,
    client_id: str,
) -> AIOKafkaConsumer:
    """A consumer that commits by hand, after the work is done (at-least-once)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        **client_auth(settings),
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.session_timeout_s * 1000),
        heartbeat_interval_ms=int(settings.heartbeat_interval_s * 1000),
        max_poll_records=1000,
        fetch_max_wait_ms=50,  # the broker holds an empty fetch this long: it bounds latency
        fetch_min_bytes=64 * 1024,  # under load, fuller batches: fewer transactions per event
        metadata_max_age_ms=5_000,
    )


async def ensure_topics(
    bootstrap: str,
    topics: dict[str, int],
    replication_factor: int = 1,
    min_insync_replicas: int = 1,
    configs: dict[str, dict[str, str]] | None = None,
    *,
    auth: Auth,
) -> list[str]:
    """Create the topics that do not exist yet (name -> partitions); returns those created.

    Create topics before any client mentions them: a broker that auto-creates topics gives them
    its own default partition count. Under ACLs a principal sees only the topics it may
    describe and creates none (only `admin` may): those it may not create are the operator's.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="lapor-admin", **auth)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created = []
        for name, partitions in topics.items():
            if name in existing:
                continue
            response = await admin.create_topics(
                [
                    NewTopic(
                        name,
                        num_partitions=partitions,
                        replication_factor=replication_factor,
                        topic_configs=_topic_configs(replication_factor, min_insync_replicas)
                        | (configs or {}).get(name, {}),
                    )
                ]
            )
            for topic, code, *message in getattr(response, "topic_errors", []):
                if code in (_TOPIC_ALREADY_EXISTS, _TOPIC_AUTHORIZATION_FAILED):
                    continue
                if code != 0:
                    raise KafkaError(f"cannot create topic {topic}: error {code} {message}")
                created.append(topic)
        return created
    finally:
        await admin.close()


def _topic_configs(replication_factor: int, min_insync_replicas: int) -> dict[str, str]:
    # acks=all waits for min.insync.replicas copies; never more than there are replicas.
    if replication_factor == 1:
        return {}
    return {"min.insync.replicas": str(min(min_insync_replicas, replication_factor))}


def platform_topics(settings: PlatformSettings) -> dict[str, int]:
    """The topics every deployment has, with their partition counts: the platform's own, and
    one queue per agency that holds a key (work units act through their agency) and the
    national admin's. Created before any client names them, again after a broker reset."""
    owners = [a.code for a in load_registry() if a.kind != "work_unit"] + [NATIONAL_ADMIN]
    return {
        settings.events_topic: settings.event_partitions,
        settings.dead_letter_topic: 1,
        settings.intake_topic: settings.event_partitions,
        settings.agency_replies_topic: settings.event_partitions,
        settings.checkpoints_topic: 1,
    } | {
        **{settings.agency_topic(code): settings.agency_partitions for code in owners},
        # One small topic per channel: a result per submission, read by that channel alone.
        **{settings.intake_results_topic(c): 1 for c in settings.channels},
    }


async def list_topics(bootstrap: str, *, auth: Auth) -> set[str]:
    """The topics the broker has now (under ACLs: those this principal may describe)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="lapor-probe", **auth)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topic: str, *, auth: Auth) -> dict[int, int]:
    """partition -> the offset the next message will get."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id="lapor-probe", **auth)
    await probe.start()
    try:
        partitions = probe.partitions_for_topic(topic) or set()
        if not partitions:
            await probe._client.force_metadata_update()
            partitions = probe.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = await probe.end_offsets(tps) if tps else {}
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await probe.stop()


async def ensure_platform_topics(
    bootstrap: str, settings: PlatformSettings, *, auth: Auth | None = None
) -> list[str]:
    """Create the platform's own topics with the configured partitions and replication, as
    this process's principal (or as `auth`'s, the operator's). On a broker with ACLs only the
    operator may (`infra up` for the embedded one, create-topics.sh in production)."""
    return await ensure_topics(
        bootstrap,
        platform_topics(settings),
        settings.topic_replication_factor,
        settings.topic_min_insync_replicas,
        topic_configs(settings),
        auth=client_auth(settings) if auth is None else auth,
    )


def topic_configs(settings: PlatformSettings) -> dict[str, dict[str, str]]:
    """Per-topic settings: each platform topic's retention as the catalogue states it (those
    that may carry a reporter's contact in clear keep it only for the personal-data retention;
    the history and the checkpoints forever; the rest a week)."""
    hours = settings.personal_data_retention_hours
    return {
        name: topic_config(settings.topic_prefix, name, hours) for name in platform_topics(settings)
    }


PRODUCER_BROKEN: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
)
"""Errors after which an idempotent producer's sequence state is useless (seen after a broker
restart): only a new producer, with a new producer id, can send again."""


class KafkaPublisher:
    """The Publisher port on an aiokafka producer, replaced by a fresh one when it breaks."""

    def __init__(self, make: Callable[[], AIOKafkaProducer]) -> None:
        self._make = make
        self.producer: AIOKafkaProducer | None = None
        self._broken = False

    async def start(self) -> None:
        """Connect."""
        self.producer = self._make()
        await self.producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self.producer is not None:
            producer, self.producer = self.producer, None
            with contextlib.suppress(Exception):
                await producer.stop()

    async def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Send one message and wait for the broker's acknowledgement."""
        await (await self.send(topic, key, value, headers))

    async def send(
        self, topic: str, key: str, value: bytes, headers: dict[str, str]
    ) -> Awaitable[Any]:
        """Send one message; the returned awaitable completes on the broker's acknowledgement
        (it raises what the broker answered; a broken producer is replaced for the next send)."""
        if self._broken or self.producer is None:
            await self.stop()
            await self.start()
            self._broken = False
        assert self.producer is not None
        try:
            future = await self.producer.send(
                topic,
                value=value,
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
        except MessageSizeTooLargeError as exc:
            raise MessageTooLarge(f"{len(value)} bytes: {exc}") from exc
        return self._watch(future)

    async def _watch(self, future: Awaitable[Any]) -> Any:
        try:
            return await future
        except PRODUCER_BROKEN:
            self._broken = True
            raise
        except (MessageSizeTooLargeError, RecordTooLargeError) as exc:
            raise MessageTooLarge(str(exc)) from exc
