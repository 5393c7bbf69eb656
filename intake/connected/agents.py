"""Imports over a topic: a connected system writes one complaint with its history per message
(keyed by its external id) to `<prefix>.imports.<code>.v1`, which only its own broker principal
may write, so the topic names the system. Intake reads every such topic by pattern and imports
through the same handler as the bulk endpoint; what is not an item, or comes from a system that
is unknown or suspended, goes to the dead-letter topic with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from events import topics
from events.messages import MAX_IMPORT_ITEMS, ImportBatch, ImportItem
from intake.connected.handlers import ConnectedDeps, ImportComplaints, handle
from services.platform.consumer import DeadLetteringConsumer
from services.platform.settings import PlatformSettings


@dataclass(frozen=True)
class TopicImport:
    """One decoded message: the system that wrote it (from the topic) and its item."""

    system_code: str
    item: ImportItem


class NotAnImport(ValueError):
    """A message on an import topic that cannot be imported as it is."""


def consumer_name(prefix: str) -> str:
    """The consumer group reading every import topic (acls.sh grants it)."""
    return f"{prefix}-system-imports"


def import_decoder(prefix: str) -> Callable[[ConsumerRecord[bytes, bytes]], TopicImport]:
    """Decode a message of an import topic: the system from the topic's name, the item from
    the value (each invalid field named)."""
    pattern = topics.system_imports_pattern(prefix)

    def decode(message: ConsumerRecord[bytes, bytes]) -> TopicImport:
        found = pattern.match(message.topic)
        if found is None:
            raise NotAnImport(f"{message.topic} is not an import topic")
        try:
            item = ImportItem.model_validate_json(message.value or b"")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            raise NotAnImport(f"not an import item: {problems}") from None
        return TopicImport(found.group(1), item)

    return decode


def rounds(imports: list[TopicImport]) -> list[list[TopicImport]]:
    """Split a fetched batch into rounds in which each (system, external id) comes once, in
    the order they came: two messages about one complaint are never imported side by side."""
    found: list[list[TopicImport]] = []
    last: dict[tuple[str, str], int] = {}
    for one in imports:
        key = (one.system_code, one.item.external_id)
        index = last.get(key, -1) + 1
        if index == len(found):
            found.append([])
        found[index].append(one)
        last[key] = index
    return found


def import_applier(deps: ConnectedDeps) -> Callable[[list[TopicImport]], Awaitable[None]]:
    """Import a fetched batch, per system, in bulk-endpoint-sized batches."""

    async def apply(imports: list[TopicImport]) -> None:
        for one_round in rounds(imports):
            by_system: dict[str, list[ImportItem]] = {}
            for one in one_round:
                by_system.setdefault(one.system_code, []).append(one.item)
            for code, items in by_system.items():
                record = await deps.systems.get(code)
                if record is None:
                    raise NotAnImport(f"no connected system {code!r} is registered")
                if not record.system.active:
                    raise NotAnImport(f"{code} is suspended by the national admin")
                for start in range(0, len(items), MAX_IMPORT_ITEMS):
                    batch = ImportBatch(items=items[start : start + MAX_IMPORT_ITEMS])
                    await handle(ImportComplaints(record.system, batch), deps)

    return apply


def topic_import_consumer(
    settings: PlatformSettings, bootstrap: str, deps: ConnectedDeps
) -> DeadLetteringConsumer[TopicImport]:
    """The consumer of every connected system's import topic."""
    apply = import_applier(deps)

    async def apply_one(one: TopicImport) -> None:
        await apply([one])

    return DeadLetteringConsumer(
        settings,
        bootstrap,
        name=consumer_name(settings.topic_prefix),
        pattern=topics.system_imports_pattern(settings.topic_prefix).pattern,
        decode=import_decoder(settings.topic_prefix),
        handle=apply_one,
        handle_batch=apply,
    )
