"""Broker principals and ACLs without a broker: the credentials file, the connection keywords,
and the parser that turns every command deploy/kafka/acls.sh prints into a binding."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.platform import kafka
from services.platform.faust_app import faust_credentials
from services.tooling import broker_auth
from services.tooling.broker_auth import (
    ACLS_SCRIPT,
    Acl,
    ensure_credentials,
    parse_acl_command,
    planned_acls,
)
from services.tooling.settings import ToolingSettings


def settings(tmp_path: Path, **changes: object) -> ToolingSettings:
    return ToolingSettings(_env_file=None, environment="test", var_dir=tmp_path, **changes)  # type: ignore[arg-type]


def dry_run(**env: str) -> list[str]:
    done = subprocess.run(
        ["bash", str(ACLS_SCRIPT), "--dry-run"],
        env={"PATH": "/usr/bin:/bin", "KAFKA_BIN": "/opt/kafka/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_the_parser_reads_every_line_acls_sh_prints():
    lines = dry_run(
        LAPOR_AGENCIES="kemenkes,kota-31.71,national-admin",
        LAPOR_CHANNELS="web sms",
        LAPOR_AUDITORS="bpk",
        LAPOR_TOPIC_PREFIX="lapor",
    )
    acls = [parse_acl_command(line) for line in lines]
    assert len(acls) == len(lines) > 50
    assert (
        Acl("User:agency-kota-31.71", "allow", "Read", "topic", "lapor.agency.kota-31.71.v1")
        in acls
    )
    assert Acl("User:agency-kemenkes", "deny", "All", "topic", "lapor.complaint-events.v1") in acls
    assert (
        Acl("User:lapor-intake", "allow", "Write", "topic", "lapor.intake-results.", "prefixed")
        in acls
    )
    assert Acl("User:channel-sms", "allow", "Read", "topic", "lapor.intake-results.sms.v1") in acls
    assert Acl("User:auditor-bpk", "allow", "Read", "group", "auditor-bpk") in acls
    # Nobody but the operator may create a topic or touch the cluster.
    assert not [
        a for a in acls if a.operation in ("Create", "Alter", "All") and a.permission == "allow"
    ]
    assert {a.resource_type for a in acls} == {"topic", "group"}
    for acl in acls:
        acl.creation()  # every binding maps to protocol codes


def test_the_parser_refuses_what_it_does_not_understand():
    with pytest.raises(ValueError):
        parse_acl_command("kafka-acls.sh --bootstrap-server B --add --operation Read --topic t")
    with pytest.raises(ValueError):
        parse_acl_command(
            "kafka-acls.sh --add --allow-principal User:x --operation Read --topic t --force"
        )
    with pytest.raises(ValueError):
        parse_acl_command("kafka-topics.sh --create --topic t")


def test_the_embedded_deployment_gets_acls_for_each_agency_channel_and_auditor(tmp_path):
    acls = planned_acls(settings(tmp_path, topic_prefix="t1"))
    principals = {a.principal for a in acls}
    assert {
        "User:agency-kota-bandung",
        "User:agency-national-admin",
        "User:channel-web",
    } <= principals
    assert {f"User:lapor-{s}" for s in broker_auth.SERVICES} <= principals
    assert all(a.name.startswith("t1.") or a.resource_type == "group" for a in acls)


def test_credentials_are_made_once_readable_only_by_their_owner(tmp_path):
    first = ensure_credentials(settings(tmp_path))
    path = tmp_path / "kafka" / "credentials.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert ensure_credentials(settings(tmp_path)) == first
    assert first["agency-kota-bandung"] == "demo-kota-bandung"  # one secret per principal
    assert first["channel-sms"] == "demo-channel-sms"
    assert first["auditor-bpk"] == "demo-auditor-bpk"
    assert len(first["admin"]) >= 32 and first["admin"] != first["lapor-relay"]


def test_a_configured_key_is_the_principals_password_and_an_unsafe_one_is_refused(tmp_path):
    keys = {"kota-bandung": SecretStr("bandung-real-key-123")}
    found = ensure_credentials(settings(tmp_path / "a", api_keys=keys))
    assert found["agency-kota-bandung"] == "bandung-real-key-123"
    unsafe = {"web": SecretStr('quote"and,comma]')}
    with pytest.raises(ValueError, match="channel-web"):
        ensure_credentials(settings(tmp_path / "b", channel_keys=unsafe))


def test_a_sasl_broker_without_credentials_is_refused_never_defaulted(tmp_path):
    open_broker = settings(tmp_path)
    assert kafka.client_auth(open_broker) == {}
    assert faust_credentials(open_broker) is None
    with pytest.raises(kafka.BrokerCredentialsMissing, match="LAPOR_BROKER_USERNAME"):
        kafka.client_auth(settings(tmp_path, broker_security_protocol="SASL_PLAINTEXT"))
    given = settings(
        tmp_path,
        broker_security_protocol="SASL_PLAINTEXT",
        broker_username="lapor-routing",
        broker_password=SecretStr("s3cret-s3cret"),
    )
    assert kafka.client_auth(given) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "lapor-routing",
        "sasl_plain_password": "s3cret-s3cret",
    }
    credentials = faust_credentials(given)
    assert credentials is not None and credentials.username == "lapor-routing"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert "ssl_context" in kafka.client_auth(
        given.model_copy(update={"broker_security_protocol": "SASL_SSL"})
    )
