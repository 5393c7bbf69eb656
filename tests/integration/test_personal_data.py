"""Personal data apart from the log, encrypted per reporter, erasable by destroying the key."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from services.platform.ports import ContactErased
from services.platform.vault import EncryptedVault, WrongMasterKey

pytestmark = pytest.mark.integration

PERSON = {"name": "Siti Rahayu", "phone": "+62 812 3456 7890", "nik": "3171234567890001"}


async def test_stored_encrypted_and_read_back(pool):
    data = EncryptedVault(pool, "test-master-key")
    ref = await data.put(PERSON)
    assert ref.startswith("rep_")
    assert await data.get(ref) == PERSON
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
        await data.get(ref)
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
        await EncryptedVault(pool, "key-two").get(ref)


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
        await data.get(second)
