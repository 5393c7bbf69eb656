"""A connected system's import topic, opened by the operator as `admin`: the topic
`<prefix>.imports.<code>.v1`, the system's own broker principal `system-<code>` (a SCRAM
credential made at run time: AlterUserScramCredentials, which aiokafka has no method for), and
ACLs that let that principal write its own topic and nothing else."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from events.topics import topic_config
from services.platform import kafka
from services.tooling.broker_auth import SCRAM_MECHANISM, Acl, apply_acls
from services.tooling.settings import ToolingSettings

SCRAM_SHA_256 = 1
"""Kafka's code for SCRAM-SHA-256 (org.apache.kafka.clients.admin.ScramMechanism)."""
SCRAM_ITERATIONS = 4096
"""The broker's minimum, and the storage tool's default."""


def system_principal(code: str) -> str:
    """The broker principal of a connected system (`lapor-bandung` -> `system-lapor-bandung`)."""
    return f"system-{code}"


def system_acls(settings: ToolingSettings, code: str) -> list[Acl]:
    """The system writes its own import topic (Write implies Describe) and is kept off the
    stream of every complaint, as agencies and channels are."""
    principal = f"User:{system_principal(code)}"
    return [
        Acl(principal, "allow", "Write", "topic", settings.system_imports_topic(code)),
        Acl(principal, "deny", "All", "topic", settings.events_topic),
    ]


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's SaltedPassword := Hi(password, salt, i), which is PBKDF2 with HMAC-SHA-256
    (RFC 5802 section 2.2); the broker keeps only this (and keys derived from it)."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)


class _AlterUserScramCredentialsResponse(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsRequest(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("tags", TaggedFields),
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScram(Request[_AlterUserScramCredentialsRequest]):
    """Set or delete one user's SCRAM-SHA-256 credential (KIP-554)."""

    API_KEY = 51

    def __init__(self, user: str, password: str | None) -> None:
        self.user = user
        self.password = password

    def build(
        self, request_struct_class: type[_AlterUserScramCredentialsRequest]
    ) -> _AlterUserScramCredentialsRequest:
        """Upsert when there is a password, else delete."""
        if self.password is None:
            return request_struct_class([(self.user, SCRAM_SHA_256, {})], [], {})
        salt = secrets.token_bytes(32)
        upsertion = (
            self.user,
            SCRAM_SHA_256,
            SCRAM_ITERATIONS,
            salt,
            salted_password(self.password, salt),
            {},
        )
        return request_struct_class([], [upsertion], {})


async def set_scram_credential(
    bootstrap: str, auth: dict[str, Any], user: str, password: str | None
) -> None:
    """Create or replace `user`'s SCRAM-SHA-256 password; None deletes it (the user can no
    longer log in). Raises when the broker refuses."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="lapor-scram", **auth)
    await admin.start()
    try:
        response = await admin._send_to_controller(_AlterUserScram(user, password))
    finally:
        await admin.close()
    for name, code, message, _ in response.results:
        if code != 0:
            raise RuntimeError(f"the broker refused the credential of {name}: {code} {message}")


async def open_import_topic(
    settings: ToolingSettings, bootstrap: str, auth: dict[str, Any], code: str
) -> dict[str, Any]:
    """Create the system's import topic, a new password for its principal (replacing any
    earlier one) and its ACLs; the answer carries the password, shown once."""
    topic = settings.system_imports_topic(code)
    await kafka.ensure_topics(
        bootstrap,
        {topic: settings.event_partitions},
        settings.topic_replication_factor,
        settings.topic_min_insync_replicas,
        {topic: topic_config(settings.topic_prefix, topic, settings.personal_data_retention_hours)},
        auth=auth,
    )
    password = secrets.token_urlsafe(24)
    await set_scram_credential(bootstrap, auth, system_principal(code), password)
    await apply_acls(bootstrap, auth, system_acls(settings, code))
    return {
        "system": code,
        "topic": topic,
        "principal": system_principal(code),
        "password": password,
        "sasl_mechanism": SCRAM_MECHANISM,
        "bootstrap_servers": bootstrap,
    }


async def close_import_topic(bootstrap: str, auth: dict[str, Any], code: str) -> dict[str, Any]:
    """Delete the system's broker credential: it can no longer log in; what it sent stays."""
    await set_scram_credential(bootstrap, auth, system_principal(code), None)
    return {"system": code, "principal": system_principal(code), "closed": True}
