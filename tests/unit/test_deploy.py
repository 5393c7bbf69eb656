"""deploy/ matches what is tested: one source for the cluster's and the topics' settings."""

from __future__ import annotations

import yaml

from tests.cluster import CLUSTER_ENV, ROOT, TOPICS_ENV, broker_properties, read_env

DEPLOY = ROOT / "deploy"


def test_compose_loads_the_cluster_and_topic_settings_the_tests_use():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for node in ("kafka-1", "kafka-2", "kafka-3"):
        assert compose["services"][node]["env_file"] == ["kafka/cluster.env"], node
        environment = compose["services"][node]["environment"]
        assert not set(environment) & set(read_env(CLUSTER_ENV)), "set only in cluster.env"
    for service in ("relay", "migrate", "topics"):
        assert compose["services"][service]["env_file"] == ["kafka/topics.env"], service


def test_the_kubernetes_config_carries_the_same_topic_settings():
    config = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())["data"]
    for key, value in read_env(TOPICS_ENV).items():
        assert config[key] == value, key


def test_the_cluster_settings_are_durable():
    properties = broker_properties(read_env(CLUSTER_ENV))
    assert properties["default.replication.factor"] == "3"
    assert properties["min.insync.replicas"] == "2"
    assert properties["unclean.leader.election.enable"] == "false"
    assert properties["auto.create.topics.enable"] == "false"
    topics = read_env(TOPICS_ENV)
    assert topics["LAPOR_TOPIC_REPLICATION_FACTOR"] == properties["default.replication.factor"]
    assert topics["LAPOR_TOPIC_MIN_INSYNC_REPLICAS"] == properties["min.insync.replicas"]


def test_the_acls_name_every_principal_and_topic_that_exists_today():
    import subprocess

    from events import topics
    from services.kernel.registry import NATIONAL_ADMIN, load_registry

    agencies = [a.code for a in load_registry() if a.kind != "work_unit"] + [NATIONAL_ADMIN]
    done = subprocess.run(
        ["bash", str(DEPLOY / "kafka" / "acls.sh"), "--dry-run"],
        env={
            "PATH": "/usr/bin:/bin",
            "LAPOR_AGENCIES": ",".join(agencies),
            "LAPOR_CHANNELS": "web",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    for name in ("relay", "intake", "routing", "followup", "reporting"):
        assert any(f"User:lapor-{name}" in line for line in lines), name
    for code in agencies:
        queue = topics.agency_queue("lapor", code)
        assert any(f"User:agency-{code}" in line and queue in line for line in lines), code
    for name in (topics.EVENTS, topics.INTAKE, topics.AGENCY_REPLIES):
        assert any(topics.address("lapor", name) in line for line in lines), name
    results = topics.intake_results("lapor", "web")
    assert any("User:channel-web" in line and results in line for line in lines)
