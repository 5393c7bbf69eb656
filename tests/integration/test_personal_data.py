"""Personal data apart from the log, encrypted per reporter, erasable by destroying the key."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from services.platform.ports import ContactErased, ContactRead
from services.platform.vault import EncryptedVault, WrongMasterKey

pytestmark = pytest.mark.integration

PERSON = {"name": "Siti Rahayu", "phone": "+62 812 3456 7890", "nik": "3171234567890001"}
READ = ContactRead("test", "integration test", None)


async def test_stored_encrypted_and_read_back(pool):
    data = EncryptedVault(pool, "test-master-key")
    ref = await data.put(PERSON)
    assert ref.startswith("rep_")
    assert await data.get(ref, read=READ) == PERSON
    async with pool.acquire() as conn:
        raw = bytes(
            await conn.fetchval("SELECT ciphertext FROM reporter_data WHERE reporter_ref = $1", ref)
        )
    assert b"Siti" not in raw and b"3171234567890001" not in raw


async def test_erasing_the_key_makes_the_data_unreadable_for_good(pool):
    data = EncryptedVault(pool, "test-master-key")
    ref = await data.put(PERSON)
    assert await data.erase(ref) is True
    with pytest.raises(ContactErased):
        await data.get(ref, read=READ)
    async with pool.acquire() as conn:
        still_there = await conn.fetchval(
            "SELECT count(*) FROM reporter_data WHERE reporter_ref = $1", ref
        )
        erased = await conn.fetchval(
            "SELECT count(*) FROM reporter_erasures WHERE reporter_ref = $1", ref
        )
    assert still_there == 1 and erased == 1  # ciphertext stays, unreadable
    assert await data.erase(ref) is False


async def test_another_master_key_cannot_read_the_data(pool):
    ref = await EncryptedVault(pool, "key-one").put(PERSON)
    with pytest.raises(WrongMasterKey, match="wrapped by master key"):
        await EncryptedVault(pool, "key-two").get(ref, read=READ)


async def test_a_swapped_ciphertext_does_not_decrypt(pool):
    """The reporter ref is authenticated data: one person's data cannot pass as another's."""
    data = EncryptedVault(pool, "test-master-key")
    first, second = await data.put(PERSON), await data.put({"name": "Budi"})
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE reporter_data SET ciphertext = "
            "(SELECT ciphertext FROM reporter_data WHERE reporter_ref = $1) "
            "WHERE reporter_ref = $2",
            first,
            second,
        )
    with pytest.raises(InvalidTag):
        await data.get(second, read=READ)


async def test_every_read_is_logged_with_who_why_and_which_complaint(pool):
    from uuid import uuid4

    data = EncryptedVault(pool, "test-master-key")
    ref = await data.put(PERSON)
    complaint = uuid4()
    await data.get(ref, read=ContactRead("agency kota-bandung", "case file", complaint))
    await data.erase(ref)
    with pytest.raises(ContactErased):  # a refused read is logged too: it was attempted
        await data.get(ref, read=ContactRead("agency kota-bandung", "case file", complaint))
    rows = await data.reads(complaint)
    assert [(r["reader"], r["purpose"], r["reporter_ref"]) for r in rows] == [
        ("agency kota-bandung", "case file", ref)
    ] * 2
    assert rows[0]["read_at"] is not None and rows[1]["position"] > rows[0]["position"]
    later = await data.reads(complaint, after=rows[0]["position"])
    assert [r["position"] for r in later] == [rows[1]["position"]]
    assert "Siti" not in str(rows)


async def test_reporter_tokens_in_postgres_are_digests_that_expire_and_rotate(pool):
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    from intake.store import TokenTable
    from services.platform.tokens import new_access_token

    tokens = TokenTable(pool)
    complaint, now = uuid4(), datetime(2026, 11, 30, tzinfo=UTC)
    first, second = new_access_token(), new_access_token()
    await tokens.issue(
        complaint, first, now=now, expires_at=now + timedelta(days=1), revoke_others=False
    )
    assert await tokens.valid(complaint, first, now)
    assert not await tokens.valid(uuid4(), first, now)
    assert not await tokens.valid(complaint, first, now + timedelta(days=2))
    await tokens.issue(
        complaint, second, now=now, expires_at=now + timedelta(days=1), revoke_others=True
    )
    assert not await tokens.valid(complaint, first, now)
    assert await tokens.revoke(complaint, second, now)
    assert not await tokens.valid(complaint, second, now)
    async with pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT token_digest FROM reporter_tokens WHERE complaint_id = $1", complaint
        )
    assert len(stored) == 2 and all(first.encode() not in bytes(r[0]) for r in stored)
