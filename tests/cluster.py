"""A three-node Apache Kafka cluster on loopback (KRaft, every node broker and controller),
configured from deploy/kafka/cluster.env, the file production's compose file loads too."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from services.tooling.broker_auth import credentials_path, ensure_credentials
from services.tooling.brokers import EmbeddedKafka, new_cluster_id, port_open
from services.tooling.embedded import free_port
from services.tooling.settings import ToolingSettings

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_ENV = ROOT / "deploy" / "kafka" / "cluster.env"
TOPICS_ENV = ROOT / "deploy" / "kafka" / "topics.env"


def read_env(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (comments and blank lines skipped)."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def broker_properties(env: dict[str, str]) -> dict[str, str]:
    """The apache/kafka image's KAFKA_FOO_BAR=x as server.properties' foo.bar=x."""
    return {key[6:].lower().replace("_", "."): value for key, value in env.items()}


class Cluster:
    """Three KRaft nodes formatted with one cluster id and one set of SCRAM credentials (the
    file `credentials_file`, which the platform is given to provision it), started together."""

    def __init__(self, root: Path, size: int = 3, heap_mb: int = 320) -> None:
        ports = [(free_port(), free_port()) for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports))
        cluster_id = new_cluster_id()
        overrides = broker_properties(read_env(CLUSTER_ENV))
        shared = ToolingSettings(_env_file=None, environment="test", var_dir=root)
        self.credentials_file = credentials_path(shared)
        credentials = ensure_credentials(shared)
        self.nodes = [
            EmbeddedKafka(
                ToolingSettings(
                    _env_file=None,
                    environment="test",
                    var_dir=root / f"node-{i + 1}",
                    broker_port=port,
                    broker_controller_port=controller,
                    broker_heap_mb=heap_mb,
                ),
                node_id=i + 1,
                voters=voters,
                overrides=overrides,
                cluster_id=cluster_id,
                credentials=credentials,
            )
            for i, (port, controller) in enumerate(ports)
        ]

    @property
    def bootstrap(self) -> str:
        """Every node, as clients list them."""
        return ",".join(node.bootstrap for node in self.nodes)

    def start(self, *numbers: int) -> None:
        """Start nodes (all by default) at once: each waits for a quorum of the others."""
        chosen = [self.nodes[n - 1] for n in numbers] if numbers else self.nodes
        errors: list[BaseException] = []

        def start(node: EmbeddedKafka) -> None:
            try:
                node.start(timeout_s=180)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(node,)) for node in chosen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def kill(self, number: int) -> None:
        """`kill -9` one node (no controlled shutdown)."""
        node = self.nodes[number - 1]
        pid = node.recorded_pid()
        assert pid is not None, f"node {number} is not running"
        os.kill(pid, signal.SIGKILL)

    def is_up(self, number: int) -> bool:
        """Whether a node accepts connections."""
        node = self.nodes[number - 1]
        return node.recorded_pid() is not None and port_open(node.host, node.port)

    def stop(self) -> None:
        """Stop every node still running, at once, after a short grace: the cluster is deleted
        next, and one by one the last node's controlled shutdown waits for a controller quorum
        that has already left, until its 30 s timeout (measured: a 35 s teardown)."""
        threads = [
            threading.Thread(target=node.stop, kwargs={"timeout_s": 5.0}) for node in self.nodes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
