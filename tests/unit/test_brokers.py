"""Choosing and configuring the embedded broker (no process is started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.tooling import kafka_jars
from services.tooling.broker_auth import scram_arguments
from services.tooling.brokers import EmbeddedKafka, InfraError, choose_engine
from services.tooling.embedded import free_port
from services.tooling.kafka_jars import kafka_classpath
from services.tooling.settings import ToolingSettings


def settings(tmp_path: Path, **changes: object) -> ToolingSettings:
    return ToolingSettings(
        _env_file=None,
        environment="test",
        var_dir=tmp_path,
        kafka_lib_dir=tmp_path / "lib",
        **changes,  # type: ignore[arg-type]
    )


def test_apache_kafka_is_chosen_where_java_17_and_maven_are(tmp_path, monkeypatch):
    monkeypatch.setattr(kafka_jars, "java_major_version", lambda: 17)
    monkeypatch.setattr(kafka_jars.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert choose_engine(settings(tmp_path)) == "kafka"
    assert choose_engine(settings(tmp_path, broker_engine="tansu")) == "tansu"


def test_without_java_auto_falls_back_to_tansu_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(kafka_jars, "java_major_version", lambda: None)
    assert choose_engine(settings(tmp_path)) == "tansu"
    assert "no Java on PATH" in capsys.readouterr().out
    with pytest.raises(InfraError, match="no Java on PATH"):
        choose_engine(settings(tmp_path, broker_engine="kafka"))


def test_java_11_is_refused_with_the_version_named(tmp_path, monkeypatch):
    monkeypatch.setattr(kafka_jars, "java_major_version", lambda: 11)
    with pytest.raises(InfraError, match="Java 11 is on PATH"):
        choose_engine(settings(tmp_path, broker_engine="kafka"))


def test_the_jars_are_fetched_once(tmp_path, monkeypatch):
    cached = kafka_jars._jars_dir(tmp_path / "lib")
    cached.mkdir(parents=True)
    (cached / ".complete").write_text("")

    def no_maven(*args: object, **kwargs: object) -> None:
        raise AssertionError("Maven must not run when the jars are there")

    monkeypatch.setattr(kafka_jars.subprocess, "run", no_maven)
    assert kafka_classpath(tmp_path / "lib") == cached


def test_the_single_node_listens_on_loopback_and_creates_no_topic_by_itself(tmp_path):
    node = EmbeddedKafka(settings(tmp_path, broker_port=29092, broker_controller_port=29093))
    config = dict(
        line.split("=", 1) for line in node.server_properties().splitlines() if "=" in line
    )
    assert config["listeners"] == ("SASL_PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093")
    assert config["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert config["auto.create.topics.enable"] == "false"
    assert config["log.dirs"] == str((tmp_path / "broker" / "data").resolve())


def test_no_listener_is_open_and_only_admin_is_a_super_user(tmp_path):
    node = EmbeddedKafka(settings(tmp_path, broker_port=29092, broker_controller_port=29093))
    config = dict(
        line.split("=", 1) for line in node.server_properties().splitlines() if "=" in line
    )
    assert "PLAINTEXT:PLAINTEXT" not in config["listener.security.protocol.map"]
    assert set(config["listener.security.protocol.map"].split(",")) == {
        "CONTROLLER:SASL_PLAINTEXT",
        "SASL_PLAINTEXT:SASL_PLAINTEXT",
    }
    assert config["authorizer.class.name"].endswith("StandardAuthorizer")
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert config["super.users"] == "User:admin"
    assert config["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-256"
    assert config["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    # Every principal exists from the first start: created when the storage is formatted.
    scram = scram_arguments(node.credentials)
    names = {a.split("name=")[1].split(",")[0] for a in scram if "name=" in a}
    assert {"admin", "lapor-relay", "agency-kota-bandung", "channel-sms"} <= names


def test_a_cluster_id_never_reads_as_an_option():
    from services.tooling.brokers import new_cluster_id

    ids = {new_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)


def test_free_ports_lie_below_the_ephemeral_range_one_block_per_worker(monkeypatch):
    """A server down for a moment (a broker restarting) keeps its port: no outgoing connection
    can take a port below the ephemeral range, and two xdist workers never choose the same."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    chosen = {}
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        chosen[worker] = {free_port() for _ in range(20)}
        assert len(chosen[worker]) == 20  # never the same port twice
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert max(chosen["gw0"]) < min(chosen["gw1"])
    assert max(chosen["gw1"]) < ephemeral_low
