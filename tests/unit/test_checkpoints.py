"""Signed checkpoints, pure: the root over stream heads, the Ed25519 signature, and what a
verifier trusts."""

from __future__ import annotations

from datetime import UTC, datetime

from services.platform.checkpoints import (
    public_hex,
    root_of,
    sign_checkpoint,
    signature_holds,
    signer_of,
)
from services.platform.settings import DEV_CHECKPOINT_KEY

HEADS = [("b-complaint", 3, "ab" * 32), ("a-complaint", 2, "cd" * 32)]
KEY = signer_of(DEV_CHECKPOINT_KEY)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_root_depends_on_every_head_and_not_on_their_order():
    assert root_of(HEADS) == root_of(list(reversed(HEADS)))
    assert root_of(HEADS[:1]) != root_of(HEADS)  # a stream gone
    rewound = [("b-complaint", 2, "ef" * 32), HEADS[1]]
    assert root_of(rewound) != root_of(HEADS)  # a stream rewound


def test_a_checkpoint_holds_only_under_the_trusted_key_and_unchanged():
    checkpoint = sign_checkpoint(KEY, heads=HEADS, log_position=42, made_at=NOW, previous_root=None)
    trusted = public_hex(KEY)
    assert checkpoint.streams == 2 and signature_holds(checkpoint, trusted)
    assert not signature_holds(checkpoint.model_copy(update={"log_position": 41}), trusted)
    other = signer_of("11" * 32)
    forged = sign_checkpoint(other, heads=HEADS, log_position=42, made_at=NOW, previous_root=None)
    assert not signature_holds(forged, trusted)  # signed, but by someone else
    assert signature_holds(forged, public_hex(other))
