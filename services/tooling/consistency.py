"""Reconciliation across the record and its copies: the event store (the record of truth)
against the complaints read model and the complaint-events topic. Reports every complaint
missing from a copy, at another version there, or present in a copy with no stream behind it
(e.g. a deleted stream still on the dashboards)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.platform.consumer import stop_quietly
from services.platform.kafka import end_offsets

Versions = Mapping[UUID, int]
"""complaint id -> the latest version a place holds."""


@dataclass(frozen=True, order=True)
class Difference:
    """One complaint a copy does not agree on."""

    where: str
    complaint_id: UUID
    problem: str


def compare(record: Versions, copies: Mapping[str, Versions]) -> list[Difference]:
    """Every disagreement of each copy with the record, sorted."""
    found = []
    for where, copy in copies.items():
        for complaint, version in record.items():
            held = copy.get(complaint)
            if held is None:
                found.append(Difference(where, complaint, f"missing (the record is at {version})"))
            elif held != version:
                found.append(
                    Difference(where, complaint, f"at version {held}, the record at {version}")
                )
        for complaint in copy.keys() - record.keys():
            found.append(Difference(where, complaint, "present, but no such complaint is stored"))
    return sorted(found)


async def record_versions(conn: asyncpg.Connection) -> dict[UUID, int]:
    """Every stream's version, from the events themselves."""
    rows = await conn.fetch("SELECT complaint_id, max(version) AS v FROM events GROUP BY 1")
    return {r["complaint_id"]: r["v"] for r in rows}


async def read_model_versions(conn: asyncpg.Connection) -> dict[UUID, int]:
    """The version each complaint's read-model row was projected from."""
    rows = await conn.fetch("SELECT complaint_id, version FROM rm_complaints")
    return {r["complaint_id"]: r["version"] for r in rows}


async def topic_versions(bootstrap: str, topic: str, auth: dict[str, Any]) -> dict[UUID, int]:
    """The highest version of each complaint on the topic, read to its current end."""
    ends = await end_offsets(bootstrap, topic, auth=auth)
    found: dict[UUID, int] = {}
    partitions = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
    if not partitions:
        return found
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest", **auth
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    seen = _complaint_version(record)
                    if seen is not None:  # anything else on the topic is not an event
                        complaint, version = seen
                        found[complaint] = max(found.get(complaint, 0), version)
                if records and records[-1].offset + 1 >= ends[tp.partition]:
                    remaining.discard(tp)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp.partition]:
                    remaining.discard(tp)
    finally:
        await stop_quietly(consumer)
    return found


async def reconcile_stores(
    pool: asyncpg.Pool, bootstrap: str, topic: str, auth: dict[str, Any]
) -> list[Difference]:
    """Compare the record with the read model and the topic once."""
    async with pool.acquire() as conn:
        record = await record_versions(conn)
        projected = await read_model_versions(conn)
    published = await topic_versions(bootstrap, topic, auth)
    return compare(record, {"read model rm_complaints": projected, f"topic {topic}": published})


async def reconcile_until(
    pool: asyncpg.Pool, bootstrap: str, topic: str, auth: dict[str, Any], wait_s: float
) -> list[Difference]:
    """Compare until the copies agree or `wait_s` passed (they follow the record within
    seconds: only what still differs then is reported)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        found = await reconcile_stores(pool, bootstrap, topic, auth)
        if not found or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(1)


def _complaint_version(record: Any) -> tuple[UUID, int] | None:
    """(complaint id, version) of an event record; None for a record that is not one."""
    try:
        return UUID(record.key.decode()), int(dict(record.headers)["ce_sequence"])
    except (AttributeError, KeyError, ValueError):
        return None
