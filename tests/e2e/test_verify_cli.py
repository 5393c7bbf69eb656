"""The auditor's tamper check through its command line: exit code, the complaint named, anchors."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

from services.kernel.tracking import tracking_id_for
from tests.integration.helpers import bypass_append_only, event_for


async def verify(infra, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": infra.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_verify_names_the_tampered_complaint_and_exits_non_zero(infra, store, tmp_path):
    complaint = uuid.uuid4()
    await store.append(complaint, 0, [event_for(complaint, v) for v in (1, 2)])
    heads = tmp_path / "heads.json"

    clean = await verify(infra, "--export-heads", str(heads))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert ", 0 broken" in clean.stdout
    assert str(complaint) in json.loads(heads.read_text())

    async with store.pool.acquire() as conn:
        await bypass_append_only(conn)  # what only a superuser can do
        await conn.execute(
            "UPDATE events SET occurred_at = occurred_at - interval '1 day' "
            "WHERE complaint_id = $1 AND version = 1",
            complaint,
        )
    try:
        tampered = await verify(infra, "--against", str(heads))
        assert tampered.returncode == 1
        # One verify for every entry point: the complaint by id and by tracking id.
        named = f"BROKEN complaint {complaint} ({tracking_id_for(complaint)}) at version 1"
        assert named in tampered.stdout
    finally:
        async with store.pool.acquire() as conn:
            await bypass_append_only(conn)  # what only a superuser can do
            for table in ("outbox", "events", "streams"):
                await conn.execute(f"DELETE FROM {table} WHERE complaint_id = $1", complaint)


async def test_checkpoints_catch_a_deleted_complaint_even_when_their_rows_are_erased(
    infra, store, tmp_path
):
    """Per-complaint chains cannot see a whole complaint vanish; a signed checkpoint can, and
    one kept outside still does after the attacker erased the checkpoints table too."""
    env = {
        **os.environ,
        "DATABASE_URL": infra.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
    }
    kept, doomed = uuid.uuid4(), uuid.uuid4()
    await store.append(kept, 0, [event_for(kept, v) for v in (1, 2)])
    await store.append(doomed, 0, [event_for(doomed, v) for v in (1, 2, 3)])
    await asyncio.sleep(5.5)  # checkpoints cover settled events only
    made = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services", "checkpoint"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    outside = tmp_path / "checkpoints.json"
    outside.write_text(json.dumps([json.loads(made.stdout)]))
    try:
        clean = await verify(infra)
        assert clean.returncode == 0 and "0 checkpoint(s) broken" in clean.stdout, clean.stdout
        async with store.pool.acquire() as conn:
            await bypass_append_only(conn)  # what only a superuser can do
            for table in ("outbox", "events", "streams"):
                await conn.execute(f"DELETE FROM {table} WHERE complaint_id = $1", doomed)
        chains_only = await store.verify_chains()
        assert doomed not in {b.complaint_id for b in chains_only}  # the chains see nothing
        caught = await verify(infra)
        assert caught.returncode == 1 and "BROKEN log at checkpoint position" in caught.stdout
        async with store.pool.acquire() as conn:
            await bypass_append_only(conn)
            await conn.execute("DELETE FROM checkpoints")  # the evidence erased...
        assert (await verify(infra)).returncode == 0
        from_outside = await verify(infra, "--checkpoints", str(outside))  # ...kept outside
        assert from_outside.returncode == 1 and "a complaint deleted" in from_outside.stdout
        forged = json.loads(made.stdout) | {"root": "0" * 64}
        outside.write_text(json.dumps([forged]))
        refused = await verify(infra, "--checkpoints", str(outside))
        assert "signature does not hold" in refused.stdout
    finally:
        async with store.pool.acquire() as conn:
            await bypass_append_only(conn)
            await conn.execute("DELETE FROM checkpoints")
            for complaint in (kept, doomed):
                for table in ("outbox", "events", "streams"):
                    await conn.execute(f"DELETE FROM {table} WHERE complaint_id = $1", complaint)
