"""The embedded infrastructure: the local broker (Apache Kafka, or Tansu as the fallback; see
`brokers`) and a local PostgreSQL (pgserver) under `var/`, on loopback only; nothing is started
when external engines are set."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from services.platform.settings import Endpoints
from services.tooling.broker_auth import (
    ADMIN,
    ensure_credentials,
    provision,
    use_principal,
)
from services.tooling.brokers import (
    InfraError,
    embedded_broker,
    pid_alive,
    recorded_engine,
)
from services.tooling.settings import ToolingSettings

__all__ = [
    "ADMIN",
    "InfraError",
    "broker_credentials",
    "ensure_infra",
    "free_port",
    "infra_status",
    "stop_infra",
]


PORTS = (20000, 32000)
"""Where `free_port` chooses: below Linux's ephemeral range (32768-60999 by default), from which
the OS takes the local port of every outgoing connection. A port chosen there can be taken by
some client's connection while its server is down (a broker restarting); one below it cannot."""

_given: set[int] = set()
"""Ports this process has handed out: never twice, also while their server is down."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on the loopback interface right now (for tests, benches, replicas),
    below the ephemeral range, from this pytest-xdist worker's own block (workers never collide)."""
    low, high = _port_block()
    if high - low < 100:  # an unusual ephemeral range leaves no room: let the OS choose
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            sock.bind((host, 0))
            return int(sock.getsockname()[1])
    # A random start: this worker's subprocesses (a launcher's replicas) choose from the same
    # block and should not all begin with the ports the worker itself took first.
    start = random.randrange(low, high)
    for offset in range(high - low):
        port = low + (start - low + offset) % (high - low)
        if port not in _given and _bindable(host, port):
            _given.add(port)
            return port
    raise InfraError(f"no free port on {host} in {low}-{high - 1}")


def _port_block() -> tuple[int, int]:
    """[low, high) for this process: its xdist worker's share of `PORTS` (all of it outside
    xdist), kept below the ephemeral range this machine actually uses."""
    low, high = PORTS
    with contextlib.suppress(OSError, ValueError, IndexError):
        ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        high = min(high, int(ephemeral[0]))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if worker.startswith("gw") and worker[2:].isdigit() and count > 1:
        size = (high - low) // count
        low += int(worker[2:]) % count * size
        high = low + size
    return low, high


def _bindable(host: str, port: int) -> bool:
    """Whether a listener could bind host:port now (not taken, not lingering in TIME_WAIT)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class EmbeddedPostgres:
    """Start, reuse, inspect or stop the local PostgreSQL whose data lives in `var/pgdata/`."""

    def __init__(self, settings: ToolingSettings) -> None:
        self.data_dir = (settings.var_dir / "pgdata").resolve()

    def _postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

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

    def running_url(self) -> str | None:
        """The URI of the server running for this data directory, read from its pid file (None
        when none runs): nothing is started, created or written."""
        from pgserver.utils import PostmasterInfo

        if not self.running():
            return None
        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        return info.get_uri() if info is not None else None

    def stop(self, timeout_s: float = 15.0) -> bool:
        """Stop the server (PostgreSQL's fast shutdown) if it runs; True if it was running."""
        pid = self._postmaster_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout_s
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return True


def ensure_infra(settings: ToolingSettings, *, principal: str) -> Endpoints:
    """Start whatever is embedded and not yet running; return where everything is. On a broker
    this project provisions (the embedded Apache Kafka, or one given a credentials file), make
    sure the topics and ACLs are there (as `admin`) and connect this process as `principal`."""
    bootstrap = settings.kafka_bootstrap_servers
    engine: Literal["kafka", "tansu", "external"] = (
        "tansu" if settings.broker_engine == "tansu" else "external"
    )
    if bootstrap is None:
        broker = embedded_broker(settings)
        broker.start()
        bootstrap, engine = broker.bootstrap, broker.engine
        settings.broker_engine = broker.engine  # what `auto` turned out to be
        if engine == "tansu":
            print(
                "WARNING: the embedded Tansu broker cannot authenticate clients: it is open to "
                "every local process (no SASL, no ACLs); only Apache Kafka enforces who reads what",
                flush=True,
            )
    credentials = broker_credentials(settings)
    if credentials is not None:
        _run(provision(settings, bootstrap, credentials))
        use_principal(settings, credentials, principal)
    database_url = settings.database_url or EmbeddedPostgres(settings).start()
    endpoints = Endpoints(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        broker_embedded=settings.embedded_broker,
        database_embedded=settings.embedded_database,
        broker_engine=engine,
    )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    record = asdict(endpoints) | {"database_url": redact(database_url)}
    path = settings.var_dir / "infra.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(record, indent=2))
    return endpoints


def broker_credentials(settings: ToolingSettings) -> dict[str, str] | None:
    """principal -> password of a broker this project provisions: the embedded Apache Kafka's
    (created with it), or the file `broker_credentials_file` names; None for the others."""
    if settings.broker_credentials_file is not None:
        return ensure_credentials(settings)
    if settings.embedded_broker and settings.broker_engine == "kafka":
        return ensure_credentials(settings)
    return None


def _run(work: Coroutine[object, object, None]) -> None:
    """Run a coroutine to its end from sync code, also when called inside an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, work).result()


def redact(url: str) -> str:
    """The URL with any password replaced, for files, logs and screens."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def stop_infra(settings: ToolingSettings) -> dict[str, bool]:
    """Stop the embedded broker and database, if this project started them."""
    return {
        "broker": _stop_broker(settings) if settings.embedded_broker else False,
        "postgres": EmbeddedPostgres(settings).stop() if settings.embedded_database else False,
    }


def infra_status(settings: ToolingSettings) -> dict[str, object]:
    """What runs, what is external, and where."""
    engine = recorded_engine(settings)
    broker = embedded_broker(settings, engine or "kafka")
    return {
        "broker": {
            "embedded": settings.embedded_broker,
            "engine": engine if settings.embedded_broker else "external",
            "bootstrap": settings.kafka_bootstrap_servers or broker.bootstrap,
            "running": broker.running() if settings.embedded_broker else None,
        },
        "postgres": {
            "embedded": settings.embedded_database,
            "data_dir": str(EmbeddedPostgres(settings).data_dir),
            "running": EmbeddedPostgres(settings).running() if settings.embedded_database else None,
        },
    }


def _stop_broker(settings: ToolingSettings) -> bool:
    engine = recorded_engine(settings)
    return engine is not None and embedded_broker(settings, engine).stop()
