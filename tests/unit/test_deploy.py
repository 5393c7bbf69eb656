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
