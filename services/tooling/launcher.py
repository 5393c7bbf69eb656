"""The launcher: infrastructure, migrations, then every service as its own process; writes
`var/endpoints.json`; stops everything cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from services.platform.migrate import migrate_database
from services.platform.settings import Endpoints, PlatformSettings
from services.tooling.brokers import embedded_broker, recorded_engine
from services.tooling.embedded import EmbeddedPostgres, ensure_infra


@dataclass(frozen=True)
class ServiceSpec:
    """A service process: its name, the command that runs it, and the port it serves on."""

    name: str
    argv: tuple[str, ...]
    port_setting: str
    description: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "relay",
        (sys.executable, "-m", "services", "relay"),
        "relay_port",
        "outbox relay: event store -> complaint-events topic",
    ),
    ServiceSpec(
        "intake",
        (sys.executable, "-m", "intake"),
        "intake_port",
        "channels file complaints; reporters follow and reply (public)",
    ),
    ServiceSpec(
        "routing",
        (sys.executable, "-m", "routing"),
        "routing_port",
        "national admin: verification queue, disposition; the agency registry",
    ),
    ServiceSpec(
        "followup",
        (sys.executable, "-m", "followup"),
        "followup_port",
        "agencies: queue and replies; deadline clocks and escalation; demo clock",
    ),
    ServiceSpec(
        "reporting",
        (sys.executable, "-m", "reporting", "serve"),
        "reporting_port",
        "dashboards over the read models; the auditor's timeline",
    ),
)
"""Every service `make run` starts, in start order."""


def endpoints_document(
    settings: PlatformSettings, infra: Endpoints, services: tuple[ServiceSpec, ...]
) -> dict[str, object]:
    """The machine-readable map of the running system (written to `var/endpoints.json`)."""
    urls = {
        spec.name: {
            "base_url": f"http://{settings.host}:{getattr(settings, spec.port_setting)}",
            "health": f"http://{settings.host}:{getattr(settings, spec.port_setting)}/readyz",
            "metrics": f"http://{settings.host}:{getattr(settings, spec.port_setting)}/metrics",
            "docs": f"http://{settings.host}:{getattr(settings, spec.port_setting)}/docs",
            "description": spec.description,
        }
        for spec in services
    }
    return {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "broker_engine": infra.broker_engine,
        "database": "embedded" if infra.database_embedded else "external",
        "topics": {
            "complaint_events": settings.events_topic,
            "dead_letter": settings.dead_letter_topic,
            "intake": settings.intake_topic,
            "intake_results": settings.intake_results_topic,
            "agency_replies": settings.agency_replies_topic,
            "agency_queue_pattern": settings.agency_topic("<agency-code>"),
        },
        "services": urls,
    }


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready within {timeout_s}s")


class Launcher:
    """Starts the platform's processes and stops them again."""

    def __init__(self, settings: PlatformSettings, services: tuple[ServiceSpec, ...] = SERVICES):
        self.settings = settings
        self.services = services
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.started = {"broker": False, "postgres": False}
        self.endpoints_file = settings.var_dir / "endpoints.json"

    def start(self) -> dict[str, object]:
        """Bring up infrastructure, schema and services; return the endpoints document."""
        postgres = EmbeddedPostgres(self.settings)
        was_running = {
            "broker": recorded_engine(self.settings) is not None,
            "postgres": postgres.running(),
        }
        infra = ensure_infra(self.settings)
        # Stop on exit only what this launcher started: never someone else's engines.
        self.started = {
            "broker": self.settings.embedded_broker and not was_running["broker"],
            "postgres": self.settings.embedded_database and not was_running["postgres"],
        }
        asyncio.run(migrate_database(infra.database_url))
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            "DATABASE_URL": infra.database_url,
            "LAPOR_VAR_DIR": str(self.settings.var_dir),
            # The services connect to it as to an external broker, knowing what it can do.
            "LAPOR_BROKER_ENGINE": "tansu" if infra.broker_engine == "tansu" else "kafka",
        }
        logs = self.settings.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for spec in self.services:
            out = (logs / f"{spec.name}.log").open("ab")
            self.processes[spec.name] = subprocess.Popen(
                spec.argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        document = endpoints_document(self.settings, infra, self.services)
        for spec in self.services:
            _wait_ready(
                document["services"][spec.name]["health"],  # type: ignore[index]
                self.processes[spec.name],
                timeout_s=60,
            )
        self.endpoints_file.write_text(json.dumps(document, indent=2))
        return document

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM every service, wait, SIGKILL stragglers; then the engines this run started."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.endpoints_file.unlink(missing_ok=True)
        if self.started["broker"]:
            engine = recorded_engine(self.settings)
            if engine is not None:
                embedded_broker(self.settings, engine).stop()
        if self.started["postgres"]:
            EmbeddedPostgres(self.settings).stop()


def print_endpoints(document: dict[str, object], var_dir: Path) -> None:
    """Tell a person where to look."""
    print("\nlapor backbone is running. Ctrl-C stops it.\n")
    print(f"  Kafka bootstrap     {document['kafka_bootstrap_servers']}")
    for name, info in document["services"].items():  # type: ignore[attr-defined]
        print(f"  {name:<19} {info['base_url']}  (API docs {info['docs']})")
    print(
        "  dashboards          {0}/v1/reports/agencies  {0}/v1/reports/regions".format(
            document["services"]["reporting"]["base_url"]
        )
    )  # type: ignore[index]
    print(f"\n  endpoints file      {var_dir / 'endpoints.json'}")
    print(f"  logs                {var_dir / 'logs'}/\n", flush=True)


def seed_demo(document: dict[str, object]) -> None:
    """File the demo complaints once (a second run finds them and leaves them)."""
    from services.tooling.demo import seed

    urls = {name: info["base_url"] for name, info in document["services"].items()}  # type: ignore[attr-defined]
    print("demo data ...", end=" ", flush=True)
    try:
        started = time.monotonic()
        seeded = seed(urls)
    except Exception as exc:  # the system runs on; say what went wrong
        print(f"could not be filed: {exc!r}", flush=True)
        return
    if seeded:
        print(f"filed in {time.monotonic() - started:.0f}s (complaints in every state)", flush=True)
    else:
        print("already there (reused)", flush=True)
    print(
        "  demo API keys: national admin 'demo-national-admin', each agency 'demo-<code>' "
        "(e.g. demo-kota-bandung); see GET /v1/agencies on routing\n",
        flush=True,
    )


def run(settings: PlatformSettings) -> None:
    """`make run`: start everything, print where to look, stop everything on Ctrl-C."""
    launcher = Launcher(settings)
    stop = {"now": False}

    def request_stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        document = launcher.start()
        print_endpoints(document, settings.var_dir)
        if settings.demo_data:
            seed_demo(document)
        while not stop["now"]:
            for name, process in launcher.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; see var/logs/{name}.log")
                    stop["now"] = True
            time.sleep(0.2)
    finally:
        print("stopping ...", flush=True)
        launcher.stop()
        print("stopped.")
