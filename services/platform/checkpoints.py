"""Signed checkpoints over the whole log: a digest of every stream's head at one global
position, signed with Ed25519, kept in `checkpoints`, published on a topic and over HTTP.
Checking the log against them catches what per-complaint chains cannot: a whole complaint
deleted, or a stream rewound with its hashes recomputed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.messages import SignedCheckpoint
from services.platform.ports import SETTLE_S

Head = tuple[str, int, str]
"""(complaint id, version, hash hex) of one stream at a position."""


def root_of(heads: Iterable[Head]) -> str:
    """SHA-256 over every stream head, one line each, sorted by complaint id."""
    digest = hashlib.sha256()
    for complaint, version, head in sorted(heads):
        digest.update(f"{complaint} {version} {head}\n".encode())
    return digest.hexdigest()


def signer_of(seed_hex: str) -> Ed25519PrivateKey:
    """The signing key from its 32-byte seed (hex, as in settings)."""
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def public_hex(key: Ed25519PrivateKey) -> str:
    """The raw public key, hex."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    heads: list[Head],
    log_position: int,
    made_at: datetime,
    previous_root: str | None,
) -> SignedCheckpoint:
    """A checkpoint of `heads` at `log_position`, signed."""
    unsigned = SignedCheckpoint(
        log_position=log_position,
        streams=len(heads),
        root=root_of(heads),
        made_at=made_at,
        previous_root=previous_root,
        public_key=public_hex(key),
        signature="0" * 128,
    )
    return unsigned.model_copy(update={"signature": key.sign(unsigned.body()).hex()})


def signature_holds(checkpoint: SignedCheckpoint, trusted_public_key: str) -> bool:
    """Whether the checkpoint was signed by the trusted key (not merely by the key it names)."""
    if checkpoint.public_key != trusted_public_key:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(trusted_public_key)).verify(
            bytes.fromhex(checkpoint.signature), checkpoint.body()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class CheckpointFault:
    """A checkpoint the log (or its signature) does not match."""

    log_position: int
    reason: str


async def heads_at(conn: asyncpg.Connection, position: int) -> list[Head]:
    """Every stream's head as of a global position, from the events themselves."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (complaint_id) complaint_id, version, hash FROM events "
        "WHERE global_position <= $1 ORDER BY complaint_id, version DESC",
        position,
    )
    return [(str(r["complaint_id"]), r["version"], bytes(r["hash"]).hex()) for r in rows]


async def settled_position(conn: asyncpg.Connection) -> int:
    """The highest position no later-committing event can fall below."""
    found = await conn.fetchval(
        "SELECT max(global_position) FROM events "
        "WHERE recorded_at < now() - make_interval(secs => $1)",
        SETTLE_S,
    )
    return int(found or 0)


class CheckpointTable:
    """Checkpoints in PostgreSQL (`checkpoints`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def make(self, key: Ed25519PrivateKey, now: datetime) -> SignedCheckpoint | None:
        """Sign a checkpoint of the settled log and keep it; None when the log has not moved
        since the last one."""
        async with self.pool.acquire() as conn:
            position = await settled_position(conn)
            last = await conn.fetchrow(
                "SELECT log_position, root FROM checkpoints ORDER BY position DESC LIMIT 1"
            )
            if position == 0 or (last is not None and last["log_position"] >= position):
                return None  # nothing settled yet, or nothing new since the last one
            heads = await heads_at(conn, position)
            checkpoint = sign_checkpoint(
                key,
                heads=heads,
                log_position=position,
                made_at=now,
                previous_root=last["root"] if last else None,
            )
            await conn.execute(
                "INSERT INTO checkpoints (log_position, streams, root, made_at, previous_root, "
                "public_key, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                checkpoint.log_position,
                checkpoint.streams,
                checkpoint.root,
                checkpoint.made_at,
                checkpoint.previous_root,
                checkpoint.public_key,
                checkpoint.signature,
            )
        return checkpoint

    async def listed(self, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Checkpoints after a position of this table, oldest first."""
        return [
            {"position": position} | checkpoint.model_dump(mode="json")
            for position, checkpoint in await self._kept(after, limit)
        ]

    async def _kept(self, after: int, limit: int) -> list[tuple[int, SignedCheckpoint]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM checkpoints WHERE position > $1 ORDER BY position LIMIT $2",
                after,
                limit,
            )
        fields = SignedCheckpoint.model_fields
        return [(r["position"], SignedCheckpoint(**{k: r[k] for k in fields})) for r in rows]

    async def check(
        self, trusted_public_key: str, checkpoints: list[SignedCheckpoint] | None = None
    ) -> list[CheckpointFault]:
        """Check the log against every checkpoint kept here (or those given, e.g. kept
        outside): each must carry the trusted signature, and the log as of its position must
        still have its root."""
        if checkpoints is None:
            checkpoints = [checkpoint for _, checkpoint in await self._kept(0, 1_000_000)]
        faults = []
        async with self.pool.acquire() as conn:
            for checkpoint in checkpoints:
                if not signature_holds(checkpoint, trusted_public_key):
                    faults.append(
                        CheckpointFault(checkpoint.log_position, "signature does not hold")
                    )
                    continue
                heads = await heads_at(conn, checkpoint.log_position)
                if root_of(heads) != checkpoint.root:
                    faults.append(
                        CheckpointFault(
                            checkpoint.log_position,
                            f"the log as of then no longer matches ({len(heads)} streams now, "
                            f"{checkpoint.streams} signed): a complaint deleted, or a stream "
                            "rewound or rewritten",
                        )
                    )
        return faults
