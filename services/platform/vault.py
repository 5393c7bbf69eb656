"""Personal data of reporters, apart from the event log: encrypted with a per-reporter key that is
itself wrapped by the master key; erasing the key erases the person (crypto-shredding)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.platform.db import fetch_dicts
from services.platform.ports import ContactErased, ContactRead, Transaction

_NONCE = 12


class WrongMasterKey(RuntimeError):
    """The reporter's key was wrapped by another master key than the one configured."""


def new_reporter_ref() -> str:
    """A fresh opaque reference to put in events instead of the person."""
    return "rep_" + secrets.token_urlsafe(18)


def _seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _open(key: bytes, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], context)


class EncryptedVault:
    """Store, read and erase reporters' contact data (name, phone, e-mail, national id)."""

    def __init__(self, pool: asyncpg.Pool, master_key: str) -> None:
        self.pool = pool
        self._master = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"lapor reporter-key wrap v1"
        ).derive(master_key.encode())
        self.master_key_id = hashlib.sha256(self._master).hexdigest()[:16]

    async def put(
        self,
        data: dict[str, Any],
        reporter_ref: str | None = None,
        *,
        tx: Transaction = None,
    ) -> str:
        """Encrypt and store a reporter's data under a new key; returns the reporter ref.

        With `tx`, the rows join the caller's open transaction (a filing stores the person
        and appends the event in one commit: both or neither)."""
        ref = reporter_ref or new_reporter_ref()
        key = AESGCM.generate_key(bit_length=256)
        wrapped = _seal(self._master, key, ref.encode())
        sealed = _seal(key, json.dumps(data, ensure_ascii=False).encode(), ref.encode())
        if tx is not None:
            await self._insert(tx, ref, wrapped, sealed)
        else:
            async with self.pool.acquire() as own, own.transaction():
                await self._insert(own, ref, wrapped, sealed)
        return ref

    async def _insert(
        self, conn: asyncpg.Connection, ref: str, wrapped: bytes, sealed: bytes
    ) -> None:
        await conn.execute(
            "WITH k AS (INSERT INTO reporter_keys (reporter_ref, wrapped_key, master_key_id) "
            "VALUES ($1, $2, $3)) INSERT INTO reporter_data (reporter_ref, ciphertext) "
            "VALUES ($1, $4)",
            ref,
            wrapped,
            self.master_key_id,
            sealed,
        )

    async def get(self, reporter_ref: str, *, read: ContactRead) -> dict[str, Any]:
        """Decrypt a reporter's data; ContactErased once the key is gone. The read is logged
        first, in the same transaction: no read without its entry."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO personal_data_reads (reader, purpose, complaint_id, reporter_ref) "
                "VALUES ($1, $2, $3, $4)",
                read.reader,
                read.purpose,
                read.complaint_id,
                reporter_ref,
            )
            row = await conn.fetchrow(
                "SELECT k.wrapped_key, k.master_key_id, d.ciphertext FROM reporter_data d "
                "LEFT JOIN reporter_keys k USING (reporter_ref) WHERE d.reporter_ref = $1",
                reporter_ref,
            )
        if row is None:
            raise KeyError(reporter_ref)
        if row["wrapped_key"] is None:
            raise ContactErased(reporter_ref)
        if row["master_key_id"] != self.master_key_id:
            raise WrongMasterKey(
                f"{reporter_ref} is wrapped by master key {row['master_key_id']}, "
                f"configured is {self.master_key_id}"
            )
        key = _open(self._master, bytes(row["wrapped_key"]), reporter_ref.encode())
        loaded: dict[str, Any] = json.loads(
            _open(key, bytes(row["ciphertext"]), reporter_ref.encode())
        )
        return loaded

    async def erase(self, reporter_ref: str) -> bool:
        """Destroy the reporter's key (the ciphertext stays, unreadable); True if a key existed."""
        async with self.pool.acquire() as conn, conn.transaction():
            deleted = await conn.execute(
                "DELETE FROM reporter_keys WHERE reporter_ref = $1", reporter_ref
            )
            await conn.execute(
                "INSERT INTO reporter_erasures (reporter_ref) VALUES ($1) ON CONFLICT DO NOTHING",
                reporter_ref,
            )
        return deleted.endswith(" 1")

    async def reads(
        self, complaint_id: UUID | None = None, *, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The read log, oldest first, after a position: every complaint's or one's."""
        return await fetch_dicts(
            self.pool,
            "SELECT position, read_at, reader, purpose, complaint_id, reporter_ref "
            "FROM personal_data_reads WHERE position > $1 "
            "AND ($2::uuid IS NULL OR complaint_id = $2) ORDER BY position LIMIT $3",
            after,
            complaint_id,
            limit,
        )
