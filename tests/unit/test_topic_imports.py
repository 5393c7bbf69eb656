"""Imports over a topic: the system is named by the topic (only its principal may write it),
each message is one item, a batch is imported in rounds that keep one complaint's messages in
order, and what cannot be imported is named for the dead-letter topic."""

from __future__ import annotations

import json

import pytest
from aiokafka.structs import ConsumerRecord

from intake.bootstrap import bootstrap_fakes
from intake.connected.agents import NotAnImport, TopicImport, import_applier, import_decoder, rounds
from intake.connected.domain import complaint_id_of
from intake.connected.handlers import SetSystemActive, handle
from services.platform.settings import PlatformSettings
from services.tooling.system_topics import salted_password, system_acls, system_principal
from tests.unit.test_imports import FULL, item, registered, step


def record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, 7, 0, 0, b"k", value, None, len(b"k"), len(value), ())


decode = import_decoder("lapor")


def test_the_topic_names_the_system_and_the_value_is_one_item():
    found = decode(record("lapor.imports.lapor-bandung.v1", FULL.model_dump_json().encode()))
    assert found == TopicImport("lapor-bandung", FULL)


@pytest.mark.parametrize(
    ("topic", "value", "named"),
    [
        ("lapor.imports.lapor-bandung.v1", b"not json", "body"),
        ("lapor.imports.lapor-bandung.v1", json.dumps({"external_id": "A"}).encode(), "steps"),
        ("lapor.imports.lapor-bandung.v1", json.dumps({"items": []}).encode(), "items"),
        ("lapor.imports.a.b.v1", FULL.model_dump_json().encode(), "not an import topic"),
        ("other.imports.lapor-bandung.v1", FULL.model_dump_json().encode(), "not an import"),
    ],
)
def test_what_is_not_an_item_is_refused_with_the_field_named(topic, value, named):
    with pytest.raises(NotAnImport) as refused:
        decode(record(topic, value))
    assert named in str(refused.value)


def test_rounds_keep_each_complaints_messages_in_order_and_apart():
    a1, b1, a2, c1, a3 = (
        TopicImport("s", item(step(f"s{n}", "diterima"), external_id=x))
        for n, x in enumerate(["A", "B", "A", "C", "A"])
    )
    other_system_a = TopicImport("t", a1.item)
    assert rounds([a1, b1, a2, c1, other_system_a, a3]) == [
        [a1, b1, c1, other_system_a],
        [a2],
        [a3],
    ]


async def test_the_applier_imports_through_the_bulk_use_case_idempotently():
    deps = bootstrap_fakes().connected
    await registered(deps)
    apply = import_applier(deps)
    second = item(step("x1", "diterima"), step("x2", "diproses", 1), external_id="BDG-0002")
    await apply([TopicImport("lapor-bandung", FULL), TopicImport("lapor-bandung", second)])
    stream = deps.ports.store.read_stream
    first = await stream(complaint_id_of("lapor-bandung", "BDG-0001"))
    other = await stream(complaint_id_of("lapor-bandung", "BDG-0002"))
    assert first[0].event_type == other[0].event_type == "complaint.imported"
    assert sum(e.event_type == "complaint.step_imported" for e in first) == 4  # after s1
    await apply([TopicImport("lapor-bandung", FULL)])  # re-sent: nothing changes
    assert await stream(complaint_id_of("lapor-bandung", "BDG-0001")) == first


async def test_an_unknown_or_suspended_system_is_refused_and_nothing_is_imported():
    deps = bootstrap_fakes().connected
    await registered(deps)
    apply = import_applier(deps)
    with pytest.raises(NotAnImport, match="no connected system 'nobody'"):
        await apply([TopicImport("nobody", FULL)])
    await handle(SetSystemActive("lapor-bandung", False), deps)
    with pytest.raises(NotAnImport, match="suspended"):
        await apply([TopicImport("lapor-bandung", FULL)])
    assert await deps.ports.store.read_stream(complaint_id_of("lapor-bandung", "BDG-0001")) == []


def test_a_systems_principal_writes_its_own_topic_and_is_kept_off_every_complaints_events():
    settings = PlatformSettings()
    acls = system_acls(settings, "lapor-bandung")
    assert system_principal("lapor-bandung") == "system-lapor-bandung"
    assert [(a.permission, a.operation, a.name) for a in acls] == [
        ("allow", "Write", "lapor.imports.lapor-bandung.v1"),
        ("deny", "All", "lapor.complaint-events.v1"),
    ]
    assert all(a.principal == "User:system-lapor-bandung" for a in acls)


def test_the_salted_password_is_rfc_5802s_hi():
    # RFC 7677's SCRAM-SHA-256 example: password "pencil", this salt, 4096 iterations; its
    # ClientKey = HMAC(SaltedPassword, "Client Key") hashes to the StoredKey the RFC implies.
    import base64
    import hashlib
    import hmac

    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    salted = salted_password("pencil", salt, 4096)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    auth_message = (
        b"n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    assert base64.b64encode(proof) == b"dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
