"""Connected systems as data: registration, key rotation, suspension, last contact and refused
import steps; in PostgreSQL (`connected_systems`, `import_rejections`), and an in-memory twin
for unit tests. Keys are random and kept only as SHA-256 digests.
Kept in one module: the PostgreSQL table and its in-memory twin stand side by side so
that a change to one is seen in the other."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import asyncpg
import httpx

from events.base import ImportStep
from events.messages import ImportRejection
from intake.connected.domain import ConnectedSystem
from services.platform.tokens import new_access_token, token_digest


@dataclass(frozen=True)
class SystemRecord:
    """A connected system with its bookkeeping."""

    system: ConnectedSystem
    registered_at: datetime
    key_rotated_at: datetime
    last_contact_at: datetime | None = None
    replay_after: int | None = None  # the position its last replay read up to
    replayed_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        """What the national admin and the system itself see (never the key)."""
        s = self.system
        return {
            "code": s.code,
            "name": s.name,
            "agencies": list(s.agencies),
            "status_map": dict(s.status_map),
            "active": s.active,
            "reconciliation_url": s.reconciliation_url,
            "registered_at": self.registered_at.isoformat(),
            "key_rotated_at": self.key_rotated_at.isoformat(),
            "last_contact_at": self.last_contact_at.isoformat() if self.last_contact_at else None,
        }


JsonFetcher = Callable[[str, dict[str, str]], Awaitable[Any]]
"""GET a URL with query parameters, answer its JSON (a system's reconciliation endpoint)."""


class SystemExists(Exception):
    """A system with that code is registered already."""


class Systems(Protocol):
    """Where connected systems are kept."""

    async def register(self, system: ConnectedSystem, now: datetime) -> str:
        """Keep a new system; returns its key (shown once). Raises SystemExists."""
        ...

    async def rotate_key(self, code: str, now: datetime) -> str | None:
        """A new key (the old one stops working at once); None for an unknown code."""
        ...

    async def set_active(self, code: str, active: bool) -> bool:
        """Suspend or resume; False for an unknown code."""
        ...

    async def get(self, code: str) -> SystemRecord | None:
        """One system."""
        ...

    async def by_key(self, key: str | None) -> ConnectedSystem | None:
        """The system a key belongs to (suspended ones included: the caller decides)."""
        ...

    async def all(self) -> list[SystemRecord]:
        """Every system, by code."""
        ...

    async def touch(self, code: str, now: datetime) -> None:
        """Record a contact from the system."""
        ...

    async def reject(self, code: str, rejections: list[ImportRejection], now: datetime) -> None:
        """Keep refused import steps, for the system to query."""
        ...

    async def rejections(self, code: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Refused steps after a position, oldest first."""
        ...

    async def rejected_count(self, code: str) -> int:
        """How many steps were ever refused."""
        ...

    async def replayed(self, code: str, after: int, now: datetime) -> None:
        """Record how far the system's last replay read."""
        ...

    async def keep_reconciliation(self, code: str, result: dict[str, Any]) -> None:
        """Keep one comparison's result."""
        ...

    async def last_reconciliation(self, code: str) -> dict[str, Any] | None:
        """The latest comparison's result."""
        ...


def _system(row: Mapping[str, Any]) -> ConnectedSystem:
    status_map = row["status_map"]
    if isinstance(status_map, str):
        status_map = json.loads(status_map)
    return ConnectedSystem(
        code=row["code"],
        name=row["name"],
        agencies=tuple(row["agencies"]),
        status_map=status_map,
        active=row["active"],
        reconciliation_url=row["reconciliation_url"],
    )


def _record(row: Mapping[str, Any]) -> SystemRecord:
    return SystemRecord(
        _system(row),
        row["registered_at"],
        row["key_rotated_at"],
        row["last_contact_at"],
        row["replay_after"],
        row["replayed_at"],
    )


class SystemTable:
    """Connected systems in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def register(self, system: ConnectedSystem, now: datetime) -> str:
        """Keep a new system; returns its key."""
        key = new_access_token()
        try:
            async with self.pool.acquire() as conn:
                await conn.execute(
                    "INSERT INTO connected_systems (code, name, agencies, status_map, "
                    "key_digest, active, registered_at, key_rotated_at, reconciliation_url) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
                    system.code,
                    system.name,
                    list(system.agencies),
                    json.dumps(dict(system.status_map)),
                    token_digest(key),
                    system.active,
                    now,
                    system.reconciliation_url,
                )
        except asyncpg.UniqueViolationError as exc:
            raise SystemExists(system.code) from exc
        return key

    async def rotate_key(self, code: str, now: datetime) -> str | None:
        """A new key; the old one stops working at once."""
        key = new_access_token()
        async with self.pool.acquire() as conn:
            done = await conn.execute(
                "UPDATE connected_systems SET key_digest = $2, key_rotated_at = $3 WHERE code = $1",
                code,
                token_digest(key),
                now,
            )
        return key if done.endswith(" 1") else None

    async def set_active(self, code: str, active: bool) -> bool:
        """Suspend or resume."""
        async with self.pool.acquire() as conn:
            done = await conn.execute(
                "UPDATE connected_systems SET active = $2 WHERE code = $1", code, active
            )
        return bool(done.endswith(" 1"))

    async def get(self, code: str) -> SystemRecord | None:
        """One system."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM connected_systems WHERE code = $1", code)
        return _record(row) if row else None

    async def by_key(self, key: str | None) -> ConnectedSystem | None:
        """The system a key belongs to."""
        if not key:
            return None
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM connected_systems WHERE key_digest = $1", token_digest(key)
            )
        return _system(row) if row else None

    async def all(self) -> list[SystemRecord]:
        """Every system."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM connected_systems ORDER BY code")
        return [_record(r) for r in rows]

    async def touch(self, code: str, now: datetime) -> None:
        """Record a contact."""
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE connected_systems SET last_contact_at = $2 WHERE code = $1", code, now
            )

    async def reject(self, code: str, rejections: list[ImportRejection], now: datetime) -> None:
        """Keep refused steps, each (step, reason) once."""
        if not rejections:
            return
        async with self.pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO import_rejections (system_code, external_id, step_id, error, field, "
                "problem, rejected_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                [
                    (code, r.external_id, r.step_id, r.error, r.field, r.problem, now)
                    for r in rejections
                ],
            )

    async def rejections(self, code: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Refused steps after a position."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT position, external_id, step_id, error, field, problem, rejected_at "
                "FROM import_rejections WHERE system_code = $1 AND position > $2 "
                "ORDER BY position LIMIT $3",
                code,
                after,
                limit,
            )
        return [dict(r) | {"rejected_at": r["rejected_at"].isoformat()} for r in rows]

    async def rejected_count(self, code: str) -> int:
        """How many steps were ever refused."""
        async with self.pool.acquire() as conn:
            found: int = await conn.fetchval(
                "SELECT count(*) FROM import_rejections WHERE system_code = $1", code
            )
        return found

    async def replayed(self, code: str, after: int, now: datetime) -> None:
        """Record how far the system's last replay read."""
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE connected_systems SET replay_after = $2, replayed_at = $3 WHERE code = $1",
                code,
                after,
                now,
            )

    async def keep_reconciliation(self, code: str, result: dict[str, Any]) -> None:
        """Keep one comparison's result."""
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO reconciliations (system_code, reconciled_at, cells_compared, "
                "cells_differing, drift, error) VALUES ($1, $2, $3, $4, $5, $6)",
                code,
                datetime.fromisoformat(result["reconciled_at"]),
                result["cells_compared"],
                result["cells_differing"],
                json.dumps(result["drift"]),
                result.get("error"),
            )

    async def last_reconciliation(self, code: str) -> dict[str, Any] | None:
        """The latest comparison's result."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM reconciliations WHERE system_code = $1 "
                "ORDER BY position DESC LIMIT 1",
                code,
            )
        if row is None:
            return None
        return {
            "reconciled_at": row["reconciled_at"].isoformat(),
            "cells_compared": row["cells_compared"],
            "cells_differing": row["cells_differing"],
            "drift": json.loads(row["drift"]),
            "error": row["error"],
        }


class InMemorySystems:
    """Connected systems in dicts (unit tests)."""

    def __init__(self) -> None:
        self.records: dict[str, SystemRecord] = {}
        self.digests: dict[bytes, str] = {}
        self.refused: list[tuple[str, ImportRejection, datetime]] = []
        self.reconciliations: dict[str, list[dict[str, Any]]] = {}

    async def register(self, system: ConnectedSystem, now: datetime) -> str:
        """Keep a new system; returns its key."""
        if system.code in self.records:
            raise SystemExists(system.code)
        key = new_access_token()
        self.records[system.code] = SystemRecord(system, now, now)
        self.digests[token_digest(key)] = system.code
        return key

    async def rotate_key(self, code: str, now: datetime) -> str | None:
        """A new key; the old one stops working at once."""
        if code not in self.records:
            return None
        self.digests = {d: c for d, c in self.digests.items() if c != code}
        key = new_access_token()
        self.digests[token_digest(key)] = code
        self.records[code] = replace(self.records[code], key_rotated_at=now)
        return key

    async def set_active(self, code: str, active: bool) -> bool:
        """Suspend or resume."""
        record = self.records.get(code)
        if record is None:
            return False
        self.records[code] = replace(record, system=replace(record.system, active=active))
        return True

    async def get(self, code: str) -> SystemRecord | None:
        """One system."""
        return self.records.get(code)

    async def by_key(self, key: str | None) -> ConnectedSystem | None:
        """The system a key belongs to."""
        code = self.digests.get(token_digest(key)) if key else None
        return self.records[code].system if code else None

    async def all(self) -> list[SystemRecord]:
        """Every system."""
        return [self.records[c] for c in sorted(self.records)]

    async def touch(self, code: str, now: datetime) -> None:
        """Record a contact."""
        if code in self.records:
            self.records[code] = replace(self.records[code], last_contact_at=now)

    async def reject(self, code: str, rejections: list[ImportRejection], now: datetime) -> None:
        """Keep refused steps, each (step, reason) once."""
        kept = {(c, r) for c, r, _ in self.refused}
        for r in rejections:
            if (code, r) not in kept:
                self.refused.append((code, r, now))
                kept.add((code, r))

    async def rejections(self, code: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Refused steps after a position."""
        found = [
            {"position": i, **r.model_dump(), "rejected_at": at.isoformat()}
            for i, (c, r, at) in enumerate(self.refused, start=1)
            if c == code and i > after
        ]
        return found[:limit]

    async def rejected_count(self, code: str) -> int:
        """How many steps were ever refused."""
        return sum(c == code for c, _, _ in self.refused)

    async def replayed(self, code: str, after: int, now: datetime) -> None:
        """Record how far the system's last replay read."""
        if code in self.records:
            self.records[code] = replace(self.records[code], replay_after=after, replayed_at=now)

    async def keep_reconciliation(self, code: str, result: dict[str, Any]) -> None:
        """Keep one comparison's result."""
        self.reconciliations.setdefault(code, []).append(result)

    async def last_reconciliation(self, code: str) -> dict[str, Any] | None:
        """The latest comparison's result."""
        kept = self.reconciliations.get(code)
        return kept[-1] if kept else None


STEP_MEANINGS: tuple[ImportStep, ...] = (
    "filed",
    "in_progress",
    "follow_up",
    "resolved",
    "closed",
    "rejected",
)


MAX_REPORT_BYTES = 64 * 1024 * 1024
"""The largest reconciliation answer read from a system (then refused as off-contract)."""


async def fetch_json(url: str, params: dict[str, str]) -> Any:
    """GET a system's reconciliation endpoint: JSON, bounded in time and size."""
    async with (
        httpx.AsyncClient(timeout=30, follow_redirects=False) as client,
        client.stream("GET", url, params=params) as response,
    ):
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_REPORT_BYTES:
                raise ValueError(f"the answer of {url} exceeds {MAX_REPORT_BYTES} bytes")
    return json.loads(body)
