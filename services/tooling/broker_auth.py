"""Who may use the broker: the principals' SCRAM credentials (one 0600 file per var dir), the
ACLs of deploy/kafka/acls.sh (its dry run parsed and applied in one admin request), and the
provisioning `infra up` does as `admin` (topics, then ACLs)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest_v1
from aiokafka.protocol.api import Request
from pydantic import SecretStr

from services.kernel.registry import NATIONAL_ADMIN, load_registry
from services.platform import kafka
from services.platform.auth import demo_key
from services.platform.settings import DEMO_AUDITORS
from services.tooling.settings import ToolingSettings

ADMIN = "admin"
"""The operators' principal and the brokers' own: the only super user."""
SCRAM_MECHANISM = "SCRAM-SHA-256"
SERVICES = ("relay", "intake", "routing", "followup", "reporting")
"""Each platform process runs as `lapor-<service>` (acls.sh's *_PRINCIPAL defaults)."""
ACLS_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "acls.sh"

# A password goes into `--add-scram 'SCRAM-SHA-256=[name=..,password=..]'` and a JAAS line:
# nothing that would end a field there.
_SAFE_SECRET = re.compile(r"^[A-Za-z0-9._~+/@:-]{8,200}$")


def service_principal(service: str) -> str:
    """The broker principal of a platform service (`relay` -> `lapor-relay`)."""
    return f"lapor-{service}"


def credentials_path(settings: ToolingSettings) -> Path:
    """Where the credentials of this var dir's embedded broker live (unless configured)."""
    return settings.broker_credentials_file or settings.var_dir / "kafka" / "credentials.json"


def outside_principals(settings: ToolingSettings) -> dict[str, str]:
    """The agencies', channels' and auditors' principals and their passwords: in development
    each one's HTTP key (configured, else its demo key), so a developer holds one secret per
    principal. One without a key gets no broker user."""
    keys: dict[str, str] = {}
    agencies = [a.code for a in load_registry() if a.kind != "work_unit"] + [NATIONAL_ADMIN]
    for code in agencies:
        configured = settings.api_keys.get(code)
        if configured is not None:
            keys[f"agency-{code}"] = configured.get_secret_value()
        elif settings.demo_keys:
            keys[f"agency-{code}"] = demo_key(code)
    for name in settings.channels:
        configured = settings.channel_keys.get(name)
        if configured is not None:
            keys[f"channel-{name}"] = configured.get_secret_value()
        elif settings.demo_keys:
            keys[f"channel-{name}"] = demo_key(name, "channel")
    auditors = set(settings.auditor_keys) | (set(DEMO_AUDITORS) if settings.demo_keys else set())
    for name in sorted(auditors):
        configured = settings.auditor_keys.get(name)
        keys[f"auditor-{name}"] = (
            configured.get_secret_value() if configured else demo_key(name, "auditor")
        )
    return keys


def ensure_credentials(settings: ToolingSettings) -> dict[str, str]:
    """principal -> password, from the credentials file; created once (random passwords for
    `admin` and the services), readable only by its owner."""
    path = credentials_path(settings)
    if path.exists():
        return dict(json.loads(path.read_text()))
    found = {ADMIN: secrets.token_urlsafe(24)}
    found |= {service_principal(s): secrets.token_urlsafe(24) for s in SERVICES}
    found |= outside_principals(settings)
    unsafe = sorted(name for name, secret in found.items() if not _SAFE_SECRET.match(secret))
    if unsafe:
        raise ValueError(
            f"broker passwords must match {_SAFE_SECRET.pattern}; change the keys of: "
            + ", ".join(unsafe)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(found, file, indent=2)
    staging.replace(path)
    return found


def scram_arguments(credentials: dict[str, str]) -> list[str]:
    """The storage tool's `--add-scram` arguments: every principal, created at format time."""
    arguments = []
    for name, password in sorted(credentials.items()):
        arguments += ["--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]"]
    return arguments


def auth_of(credentials: dict[str, str], principal: str) -> dict[str, Any]:
    """aiokafka's connection keywords for one principal of the credentials file."""
    if principal not in credentials:
        raise KeyError(f"no broker credentials for {principal!r}")
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": SCRAM_MECHANISM,
        "sasl_plain_username": principal,
        "sasl_plain_password": credentials[principal],
    }


def principal_environment(credentials: dict[str, str], principal: str) -> dict[str, str]:
    """The settings (environment) that make a process connect as `principal`."""
    auth = auth_of(credentials, principal)
    return {
        "LAPOR_BROKER_SECURITY_PROTOCOL": auth["security_protocol"],
        "LAPOR_BROKER_SASL_MECHANISM": auth["sasl_mechanism"],
        "LAPOR_BROKER_USERNAME": principal,
        "LAPOR_BROKER_PASSWORD": auth["sasl_plain_password"],
    }


def use_principal(settings: ToolingSettings, credentials: dict[str, str], principal: str) -> None:
    """Make this process's own clients (built from `settings`) connect as `principal`."""
    env = principal_environment(credentials, principal)
    settings.broker_security_protocol = "SASL_PLAINTEXT"
    settings.broker_sasl_mechanism = SCRAM_MECHANISM
    settings.broker_username = principal
    settings.broker_password = SecretStr(env["LAPOR_BROKER_PASSWORD"])


# --- ACLs ------------------------------------------------------------------------------------

# Kafka's protocol codes (org.apache.kafka.common.acl / resource).
_RESOURCE = {"--topic": 2, "--group": 3, "--cluster": 4, "--transactional-id": 5}
_PATTERN = {"literal": 3, "prefixed": 4}
_OPERATION = {
    "All": 2,
    "Read": 3,
    "Write": 4,
    "Create": 5,
    "Delete": 6,
    "Alter": 7,
    "Describe": 8,
    "ClusterAction": 9,
    "DescribeConfigs": 10,
    "AlterConfigs": 11,
    "IdempotentWrite": 12,
}
_PERMISSION = {"--deny-principal": 2, "--allow-principal": 3}


@dataclass(frozen=True)
class Acl:
    """One ACL binding, as kafka-acls.sh --add would create it."""

    principal: str
    permission: str  # "allow" | "deny"
    operation: str
    resource_type: str  # "topic" | "group" | "cluster" | "transactional-id"
    name: str
    pattern: str = "literal"
    host: str = "*"

    def creation(self) -> tuple[int, str, int, str, str, int, int]:
        """The CreateAcls (v1) entry of this binding."""
        return (
            _RESOURCE[f"--{self.resource_type}"],
            self.name,
            _PATTERN[self.pattern],
            self.principal,
            self.host,
            _OPERATION[self.operation],
            _PERMISSION[f"--{self.permission}-principal"],
        )


class _CreateAcls(Request[CreateAclsRequest_v1]):
    """Many bindings in one CreateAcls request (aiokafka's own builder sends one)."""

    API_KEY = 30

    def __init__(self, creations: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self.creations = creations

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        """The v1 message (the only version both aiokafka and Kafka 4 speak)."""
        return request_struct_class(self.creations)


def parse_acl_command(line: str) -> Acl:
    """One `kafka-acls.sh ... --add ...` command line, as acls.sh --dry-run prints it."""
    words = shlex.split(line)
    if not words or not words[0].endswith("kafka-acls.sh") or "--add" not in words:
        raise ValueError(f"not a kafka-acls.sh --add command: {line!r}")
    found: dict[str, str] = {}
    position = 1
    while position < len(words):
        word = words[position]
        if word == "--add":
            position += 1
            continue
        if word == "--cluster":
            found["resource"], found["name"] = word, "kafka-cluster"
            position += 1
            continue
        if position + 1 >= len(words):
            raise ValueError(f"{word} has no value in {line!r}")
        value = words[position + 1]
        if word in _PERMISSION:
            found["permission"], found["principal"] = word, value
        elif word in _RESOURCE:
            found["resource"], found["name"] = word, value
        elif word == "--operation":
            found["operation"] = value
        elif word == "--resource-pattern-type":
            found["pattern"] = value
        elif word in ("--allow-host", "--deny-host"):
            found["host"] = value
        elif word not in ("--bootstrap-server", "--command-config"):
            raise ValueError(f"unknown kafka-acls.sh option {word} in {line!r}")
        position += 2
    missing = {"permission", "operation", "resource"} - set(found)
    if missing:
        raise ValueError(f"{line!r} lacks {sorted(missing)}")
    if found["operation"] not in _OPERATION or found.get("pattern", "literal") not in _PATTERN:
        raise ValueError(f"unknown operation or pattern type in {line!r}")
    return Acl(
        principal=found["principal"],
        permission="allow" if found["permission"] == "--allow-principal" else "deny",
        operation=found["operation"],
        resource_type=found["resource"][2:],
        name=found["name"],
        pattern=found.get("pattern", "literal"),
        host=found.get("host", "*"),
    )


def acl_script_environment(settings: ToolingSettings) -> dict[str, str]:
    """The environment that runs acls.sh for this deployment's agencies, channels, auditors."""
    outside = outside_principals(settings)
    agencies = [p.removeprefix("agency-") for p in outside if p.startswith("agency-")]
    auditors = [p.removeprefix("auditor-") for p in outside if p.startswith("auditor-")]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LAPOR_AGENCIES": ",".join(agencies),
        "LAPOR_CHANNELS": ",".join(settings.channels),
        "LAPOR_AUDITORS": ",".join(auditors),
        "LAPOR_TOPIC_PREFIX": settings.topic_prefix,
        "KAFKA_BIN": "/nonexistent",  # a dry run names it only
    }


def planned_acls(settings: ToolingSettings) -> list[Acl]:
    """Every ACL deploy/kafka/acls.sh defines for this deployment (its dry run, parsed)."""
    done = subprocess.run(
        ["bash", str(ACLS_SCRIPT), "--dry-run"],
        env=acl_script_environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"acls.sh --dry-run failed: {done.stderr.strip()}")
    return [parse_acl_command(line) for line in done.stdout.splitlines() if line.strip()]


async def apply_acls(bootstrap: str, auth: dict[str, Any], acls: list[Acl]) -> None:
    """Create the bindings in one request (the broker ignores one that already exists)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="lapor-acls", **auth)
    await admin.start()
    try:
        # aiokafka has the CreateAcls message but no method for it; v1 adds pattern types.
        request = _CreateAcls([acl.creation() for acl in acls])
        response = await admin._send_to_controller(request)
    finally:
        await admin.close()
    failed = [
        (acl, code, message)
        for acl, (code, message) in zip(acls, response.creation_responses, strict=True)
        if code != 0
    ]
    if failed:
        raise RuntimeError(f"{len(failed)} ACLs refused, e.g. {failed[0]}")


async def provision(settings: ToolingSettings, bootstrap: str, credentials: dict[str, str]) -> None:
    """As `admin`: the platform's topics (services may not create them), then the ACLs."""
    admin = auth_of(credentials, ADMIN)
    await kafka.ensure_platform_topics(bootstrap, settings, auth=admin)
    await apply_acls(bootstrap, admin, planned_acls(settings))
