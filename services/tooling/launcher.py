"""The launcher: infrastructure, migrations, then every service as its own process (as many
replicas as configured); writes `var/endpoints.json`; restarts a process that dies, with
backoff, without touching the engines or the other services; stops everything on Ctrl-C.
Kept in one module: start, watch and stop are one process supervisor's life cycle."""

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
from services.platform.settings import Endpoints
from services.tooling.broker_auth import (
    credentials_path,
    principal_environment,
    service_principal,
)
from services.tooling.brokers import embedded_broker, recorded_engine
from services.tooling.embedded import (
    ADMIN,
    EmbeddedPostgres,
    broker_credentials,
    ensure_infra,
    free_port,
)
from services.tooling.regional_demo import RegionalDemo, start_regional_demo
from services.tooling.settings import ToolingSettings


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


@dataclass
class Instance:
    """One running process of a service (replica 1 keeps the service's name and port), and
    what its supervisor knows of it."""

    spec: ServiceSpec
    replica: int
    port: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    @property
    def name(self) -> str:
        """`routing`, or `routing-2` for a second replica."""
        return self.spec.name if self.replica == 1 else f"{self.spec.name}-{self.replica}"


def endpoints_document(
    settings: ToolingSettings,
    infra: Endpoints,
    instances: list[Instance],
    credentials: dict[str, str] | None = None,
) -> dict[str, object]:
    """The machine-readable map of the running system (written to `var/endpoints.json`)."""
    urls = {
        i.name: {
            "base_url": f"http://{settings.host}:{i.port}",
            "health": f"http://{settings.host}:{i.port}/readyz",
            "metrics": f"http://{settings.host}:{i.port}/metrics",
            "docs": f"http://{settings.host}:{i.port}/docs",
            "description": i.spec.description,
        }
        for i in instances
    }
    return {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "broker_engine": infra.broker_engine,
        # How clients authenticate (each as its own principal: agency-<code>, channel-<name>),
        # and, where the platform provisions the broker, principal -> password (a 0600 file).
        "broker_security_protocol": settings.broker_security_protocol,
        "broker_sasl_mechanism": settings.broker_sasl_mechanism,
        "broker_credentials_file": str(credentials_path(settings)) if credentials else None,
        "database": "embedded" if infra.database_embedded else "external",
        "topics": {
            "complaint_events": settings.events_topic,
            "dead_letter": settings.dead_letter_topic,
            "intake": settings.intake_topic,
            "intake_results_pattern": settings.intake_results_topic("<channel>"),
            "agency_replies": settings.agency_replies_topic,
            "agency_queue_pattern": settings.agency_topic("<agency-code>"),
            "checkpoints": settings.checkpoints_topic,
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
    """Starts the platform's processes, restarts one that dies, and stops them again."""

    def __init__(self, settings: ToolingSettings, services: tuple[ServiceSpec, ...] = SERVICES):
        self.settings = settings
        self.instances = [
            Instance(spec, replica, _port(settings, spec, replica))
            for spec in services
            for replica in range(1, settings.replicas.get(spec.name, 1) + 1)
        ]
        self.started = {"broker": False, "postgres": False}
        self.endpoints_file = settings.var_dir / "endpoints.json"
        self.env: dict[str, str] = {}
        self.credentials: dict[str, str] | None = None

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """Every instance's current process, by instance name."""
        return {i.name: i.process for i in self.instances if i.process is not None}

    def start(self) -> dict[str, object]:
        """Bring up infrastructure, schema and services; return the endpoints document."""
        postgres = EmbeddedPostgres(self.settings)
        was_running = {
            "broker": recorded_engine(self.settings) is not None,
            "postgres": postgres.running(),
        }
        infra = ensure_infra(self.settings, principal=ADMIN)
        self.credentials = broker_credentials(self.settings)
        # Stop on exit only what this launcher started: never someone else's engines.
        self.started = {
            "broker": self.settings.embedded_broker and not was_running["broker"],
            "postgres": self.settings.embedded_database and not was_running["postgres"],
        }
        asyncio.run(migrate_database(infra.database_url))
        hidden = _NOT_INHERITED if self.credentials is not None else frozenset()
        inherited = {k: v for k, v in os.environ.items() if k not in hidden}
        self.env = {
            **inherited,
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            "DATABASE_URL": infra.database_url,
            "LAPOR_VAR_DIR": str(self.settings.var_dir),
            # The services connect to it as to an external broker, knowing what it can do.
            "LAPOR_BROKER_ENGINE": "tansu" if infra.broker_engine == "tansu" else "kafka",
        }
        (self.settings.var_dir / "logs").mkdir(parents=True, exist_ok=True)
        for instance in self.instances:
            self._spawn(instance)
        document = endpoints_document(self.settings, infra, self.instances, self.credentials)
        for instance in self.instances:
            assert instance.process is not None
            url = f"http://{self.settings.host}:{instance.port}/readyz"
            _wait_ready(url, instance.process, timeout_s=60)
        self.endpoints_file.write_text(json.dumps(document, indent=2))
        return document

    def _spawn(self, instance: Instance) -> None:
        env = self.env | {f"LAPOR_{instance.spec.port_setting.upper()}": str(instance.port)}
        if self.credentials is not None:
            # Each service is its own principal, with exactly the ACLs it needs; it never
            # sees the credentials file (nor the admin's password).
            principal = service_principal(instance.spec.name)
            env |= principal_environment(self.credentials, principal)
        log = (self.settings.var_dir / "logs" / f"{instance.name}.log").open("ab")
        instance.process = subprocess.Popen(
            instance.spec.argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()  # the child holds its own descriptor
        instance.started_at = time.monotonic()

    def supervise(self) -> list[str]:
        """Restart, with backoff, any service process that has died; the engines and the other
        services go on. Returns what it did, for the operator."""
        said, now = [], time.monotonic()
        for instance in self.instances:
            process = instance.process
            if instance.restart_at is None and process is not None and process.poll() is not None:
                if now - instance.started_at > RESET_AFTER_S:
                    instance.failures = 0  # it ran fine for a while: a fresh failure
                delay = min(MAX_BACKOFF_S, 2.0**instance.failures)
                instance.failures += 1
                instance.restart_at = now + delay
                said.append(
                    f"{instance.name} exited with {process.returncode}; restarting in "
                    f"{delay:.0f}s (see var/logs/{instance.name}.log)"
                )
            elif instance.restart_at is not None and now >= instance.restart_at:
                instance.restart_at = None
                self._spawn(instance)
                said.append(f"{instance.name} restarted")
        return said

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM every service, wait, SIGKILL stragglers; then the engines this run started."""
        processes = list(self.processes.values())
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in processes:
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


_NOT_INHERITED = frozenset(
    {
        "LAPOR_BROKER_CREDENTIALS_FILE",
        "LAPOR_BROKER_USERNAME",
        "LAPOR_BROKER_PASSWORD",
        "LAPOR_BROKER_SECURITY_PROTOCOL",
        "LAPOR_BROKER_SASL_MECHANISM",
    }
)
"""Where the launcher provisions the broker, it gives each service its own principal instead."""

RESET_AFTER_S = 60.0
MAX_BACKOFF_S = 30.0


def _port(settings: ToolingSettings, spec: ServiceSpec, replica: int) -> int:
    """Replica 1 serves on the service's configured port; others on a free one."""
    return getattr(settings, spec.port_setting) if replica == 1 else free_port(settings.host)


def print_endpoints(document: dict[str, object], var_dir: Path) -> None:
    """Tell a person where to look."""
    print("\nlapor backbone is running. Ctrl-C stops it.\n")
    print(f"  Kafka bootstrap     {document['kafka_bootstrap_servers']}")
    for name, info in document["services"].items():  # type: ignore[attr-defined]
        print(f"  {name:<19} {info['base_url']}  (API docs {info['docs']})")
    reporting = document["services"]["reporting"]["base_url"]  # type: ignore[index]
    print(f"  dashboard           {reporting}/dashboard  (English: {reporting}/dashboard?lang=en)")
    print(f"  dashboard JSON      {reporting}/v1/reports/overview  (and /performance, /drilldown)")
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
    print(DEMO_KEYS, flush=True)


DEMO_KEYS = """  demo API keys, by role (README: Security model, rights by role):
    national admin        demo-national-admin
    agency coordinator    demo-<agency code>, e.g. demo-kota-bandung (GET /v1/agencies on routing)
    unit liaison          demo-unit-<unit code>, e.g. demo-unit-kota-bandung.dinas-pupr
    province coordinator  demo-<province code>, e.g. demo-prov-jawa-barat
    oversight             demo-oversight-ombudsman, demo-oversight-ksp
    auditor               demo-auditor-bpk
    channel               demo-channel-<name> (web, mobile, sms, whatsapp, call-center)
"""
"""What `make run` prints after the demo data: one demo key per role."""


def start_regional(settings: ToolingSettings, document: dict[str, object]) -> RegionalDemo | None:
    """The reference regional system beside the backbone (demo data only)."""
    intake = document["services"]["intake"]["base_url"]  # type: ignore[index]
    print("reference regional system ...", end=" ", flush=True)
    try:
        regional = start_regional_demo(settings, intake)
    except Exception as exc:  # the backbone runs on; say what went wrong
        print(f"could not start: {exc!r}", flush=True)
        return None
    print(
        f"{regional.url} (its own app and database; connected as 'lapor-bandung', "
        "history backfilled, connector running)\n",
        flush=True,
    )
    return regional


def run(settings: ToolingSettings) -> None:
    """`make run`: start everything, print where to look, stop everything on Ctrl-C."""
    launcher = Launcher(settings)
    stop = {"now": False}

    def request_stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    regional: RegionalDemo | None = None
    try:
        document = launcher.start()
        print_endpoints(document, settings.var_dir)
        if settings.demo_data:
            seed_demo(document)
            regional = start_regional(settings, document)
        while not stop["now"]:
            for line in launcher.supervise():
                print(line, flush=True)
            time.sleep(0.2)
    finally:
        print("stopping ...", flush=True)
        if regional is not None:
            regional.stop()
        launcher.stop()
        print("stopped.")
