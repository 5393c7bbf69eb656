"""The broker enforces who reads what, shown with a client nobody here wrote (Debian's kcat) on
the embedded Apache Kafka: an agency reads its own queue and nothing else, a channel writes
intake and reads no one's submissions, and each service runs as its own principal."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform import kafka
from tests.e2e.burst import SERVICES, pids
from tests.e2e.system import System, started_system

DENIED = "Topic authorization failed"  # librdkafka's text for TOPIC_AUTHORIZATION_FAILED


@pytest.fixture(scope="module")
def system() -> Iterator[System]:
    assert shutil.which("kcat"), "make test installs Debian's kcat"
    with started_system("e2e-acls", LAPOR_BROKER_ENGINE="kafka") as running:
        yield running


def kcat(
    system: System,
    principal: str,
    *args: str,
    stdin: str | None = None,
    password: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """kcat as `principal` (SASL/PLAIN: Debian's librdkafka 2.0 cannot do SCRAM with Kafka 4)."""
    return subprocess.run(
        [
            "kcat",
            "-b",
            system.bootstrap,
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanisms=PLAIN",
            "-X",
            f"sasl.username={principal}",
            "-X",
            f"sasl.password={password or system.password(principal)}",
            "-m",
            "15",
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read(system: System, principal: str, topic: str) -> subprocess.CompletedProcess[str]:
    """Read a topic from its start to its end."""
    return kcat(system, principal, "-C", "-t", system.topic(topic), "-o", "beginning", "-e", "-q")


def write(system: System, principal: str, topic: str) -> subprocess.CompletedProcess[str]:
    """Write one message."""
    return kcat(system, principal, "-P", "-t", system.topic(topic), "-k", "k", stdin="{}\n")


def refused(done: subprocess.CompletedProcess[str]) -> bool:
    """kcat failed, and because the broker said the principal may not."""
    return done.returncode != 0 and DENIED in done.stderr


def test_an_agency_reads_its_own_queue_but_not_another_agencys_nor_every_event(system):
    own = read(system, "agency-kota-bandung", "agency.kota-bandung")
    assert own.returncode == 0, own.stderr
    assert refused(read(system, "agency-kota-bandung", "agency.kemenkes"))
    assert refused(read(system, "agency-kota-bandung", "complaint-events"))
    assert refused(read(system, "agency-kota-bandung", "intake"))


def test_an_agency_writes_replies_but_not_into_another_agencys_queue(system):
    assert refused(write(system, "agency-kota-bandung", "agency.kemenkes"))
    assert refused(write(system, "agency-kota-bandung", "agency.kota-bandung"))
    reply = write(system, "agency-kota-bandung", "agency-replies")
    assert reply.returncode == 0, reply.stderr


def test_a_channel_writes_intake_but_reads_neither_intake_nor_another_channels_results(system):
    submitted = write(system, "channel-sms", "intake")
    assert submitted.returncode == 0, submitted.stderr
    assert refused(read(system, "channel-sms", "intake"))
    assert refused(read(system, "channel-sms", "intake-results.web"))
    assert refused(read(system, "channel-sms", "complaint-events"))
    own = read(system, "channel-sms", "intake-results.sms")
    assert own.returncode == 0, own.stderr


def test_a_wrong_password_is_refused(system):
    done = kcat(system, "agency-kota-bandung", "-L", password="not-its-key")
    assert done.returncode != 0 and "Authentication failed" in done.stderr


async def test_over_scram_with_aiokafka_an_agency_sees_only_its_queue_and_the_replies(system):
    """The platform's own client library (SCRAM-SHA-256) meets the same ACLs: the broker does
    not even name the topics a principal may not describe."""
    auth = system.auth("agency-kota-bandung")
    assert auth["sasl_mechanism"] == "SCRAM-SHA-256"
    visible = await kafka.list_topics(system.bootstrap, auth=auth)
    assert visible == {system.topic("agency.kota-bandung"), system.topic("agency-replies")}
    everything = await kafka.list_topics(system.bootstrap, auth=system.auth())
    assert system.topic("complaint-events") in everything and len(everything) > 20


def test_each_service_runs_as_its_own_principal_never_as_admin(system):
    for name, pid in pids(system, SERVICES).items():
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        settings = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
        assert settings["LAPOR_BROKER_USERNAME"] == f"lapor-{name}"
        assert "LAPOR_BROKER_CREDENTIALS_FILE" not in settings
    credentials = Path(system.endpoints["broker_credentials_file"])
    assert credentials.stat().st_mode & 0o777 == 0o600
