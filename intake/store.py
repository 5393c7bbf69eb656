"""Intake's own table: reporters' access tokens, kept only as digests, with expiry and
revocation; in PostgreSQL, and its in-memory twin for unit tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import asyncpg

from services.platform.memory import MemoryTransaction
from services.platform.ports import Transaction
from services.platform.tokens import token_digest


class ReporterTokens(Protocol):
    """Where reporters' tokens are kept (as digests)."""

    async def issue(
        self,
        complaint_id: UUID,
        token: str,
        *,
        now: datetime,
        expires_at: datetime,
        revoke_others: bool,
        tx: Transaction = None,
    ) -> None:
        """Keep a new token's digest (in the caller's transaction, if given); with
        `revoke_others`, every earlier token of the complaint stops working."""
        ...

    async def valid(self, complaint_id: UUID, token: str | None, now: datetime) -> bool:
        """Whether the token opens this complaint now (issued for it, not expired or revoked)."""
        ...

    async def revoke(self, complaint_id: UUID, token: str, now: datetime) -> bool:
        """Revoke one token; True if it was valid."""
        ...


class TokenTable:
    """Tokens in PostgreSQL (`reporter_tokens`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def issue(
        self,
        complaint_id: UUID,
        token: str,
        *,
        now: datetime,
        expires_at: datetime,
        revoke_others: bool,
        tx: Transaction = None,
    ) -> None:
        """Keep a new token's digest; with `revoke_others`, the earlier ones stop working."""
        if tx is not None:
            await self._issue(tx, complaint_id, token, now, expires_at, revoke_others)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await self._issue(conn, complaint_id, token, now, expires_at, revoke_others)

    @staticmethod
    async def _issue(
        conn: asyncpg.Connection,
        complaint_id: UUID,
        token: str,
        now: datetime,
        expires_at: datetime,
        revoke_others: bool,
    ) -> None:
        if revoke_others:
            await conn.execute(
                "UPDATE reporter_tokens SET revoked_at = $2 "
                "WHERE complaint_id = $1 AND revoked_at IS NULL",
                complaint_id,
                now,
            )
        await conn.execute(
            "INSERT INTO reporter_tokens (token_digest, complaint_id, issued_at, expires_at) "
            "VALUES ($1, $2, $3, $4)",
            token_digest(token),
            complaint_id,
            now,
            expires_at,
        )

    async def valid(self, complaint_id: UUID, token: str | None, now: datetime) -> bool:
        """Whether the token opens this complaint now."""
        if not token:
            return False
        async with self.pool.acquire() as conn:
            found = await conn.fetchval(
                "SELECT 1 FROM reporter_tokens WHERE token_digest = $1 AND complaint_id = $2 "
                "AND revoked_at IS NULL AND expires_at > $3",
                token_digest(token),
                complaint_id,
                now,
            )
        return found is not None

    async def revoke(self, complaint_id: UUID, token: str, now: datetime) -> bool:
        """Revoke one token; True if it was valid."""
        async with self.pool.acquire() as conn:
            done = await conn.execute(
                "UPDATE reporter_tokens SET revoked_at = $3 WHERE token_digest = $1 "
                "AND complaint_id = $2 AND revoked_at IS NULL AND expires_at > $3",
                token_digest(token),
                complaint_id,
                now,
            )
        return bool(done.endswith(" 1"))


@dataclass
class _Kept:
    complaint_id: UUID
    expires_at: datetime
    revoked: bool = False


class InMemoryTokens:
    """Tokens in a dict, by digest (unit tests)."""

    def __init__(self) -> None:
        self.kept: dict[bytes, _Kept] = {}

    async def issue(
        self,
        complaint_id: UUID,
        token: str,
        *,
        now: datetime,
        expires_at: datetime,
        revoke_others: bool,
        tx: Transaction = None,
    ) -> None:
        """Keep a new token's digest (when the transaction commits, if given one)."""

        def write() -> None:
            if revoke_others:
                for kept in self.kept.values():
                    if kept.complaint_id == complaint_id:
                        kept.revoked = True
            self.kept[token_digest(token)] = _Kept(complaint_id, expires_at)

        if isinstance(tx, MemoryTransaction):
            tx.on_commit.append(write)
        else:
            write()

    async def valid(self, complaint_id: UUID, token: str | None, now: datetime) -> bool:
        """Whether the token opens this complaint now."""
        kept = self.kept.get(token_digest(token)) if token else None
        return (
            kept is not None
            and kept.complaint_id == complaint_id
            and not kept.revoked
            and kept.expires_at > now
        )

    async def revoke(self, complaint_id: UUID, token: str, now: datetime) -> bool:
        """Revoke one token; True if it was valid."""
        if not await self.valid(complaint_id, token, now):
            return False
        self.kept[token_digest(token)].revoked = True
        return True
