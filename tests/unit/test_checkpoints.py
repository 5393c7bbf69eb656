"""Signed checkpoints, pure: the root over stream heads, the Ed25519 signature, and what a
verifier trusts."""

from __future__ import annotations

from datetime import UTC, datetime

from reporting.settings import DEV_CHECKPOINT_KEY
from services.platform.checkpoints import (
    public_hex,
    root_of,
    sign_checkpoint,
    signature_holds,
    signer_of,
)

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


def test_auditors_and_the_national_admin_read_the_checkpoints_over_http():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from reporting import api
    from reporting.bootstrap import bootstrap_fakes
    from reporting.ports import Signing
    from services.kernel.registry import load_registry
    from services.platform.auth import KeyRing, demo_key
    from services.platform.http import install_error_handlers
    from services.platform.memory import memory_ports
    from services.platform.settings import PlatformSettings

    signed = sign_checkpoint(KEY, heads=HEADS, log_position=7, made_at=NOW, previous_root=None)

    class Kept:
        async def listed(self, after, limit):  # type: ignore[no-untyped-def]
            return [{"position": 1} | signed.model_dump(mode="json")][after:limit]

    app = FastAPI()
    install_error_handlers(app)
    settings = PlatformSettings(_env_file=None)
    keyring = KeyRing(settings, load_registry())
    deps = bootstrap_fakes(memory_ports(settings))
    deps.signing = Signing(Kept(), KEY)  # type: ignore[arg-type]
    api.mount(app, deps, keyring)
    http = TestClient(app, raise_server_exceptions=False)
    for key in (demo_key("bpk", "auditor"), demo_key("national-admin")):
        [found] = http.get("/v1/audit/checkpoints", headers={"X-API-Key": key}).json()
        assert found["root"] == signed.root
        answer = http.get("/v1/audit/checkpoints/public-key", headers={"X-API-Key": key})
        assert answer.json()["public_key"] == public_hex(KEY)
    assert http.get("/v1/audit/checkpoints").status_code == 401
    agency = {"X-API-Key": demo_key("kota-bandung")}
    assert http.get("/v1/audit/checkpoints", headers=agency).status_code == 403
