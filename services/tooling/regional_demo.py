"""`make run` with demo data: the reference regional system (docs/examples/regional_system)
beside the backbone: the city's own app with two years of history, registered as a connected
system, its history backfilled, and its connector running both ways."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.tooling.settings import ToolingSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "regional_system"
CODE = "lapor-bandung"
HISTORY = 200
STATUS_MAP = {
    "diterima": "filed",
    "diproses": "in_progress",
    "ditanggapi": "follow_up",
    "selesai": "resolved",
    "ditutup": "closed",
    "ditolak": "rejected",
}
ADMIN = {"X-API-Key": "demo-national-admin"}


@dataclass
class RegionalDemo:
    """The city's app and its connector, as started; `stop` ends both."""

    url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        """Terminate the city's processes (then kill what does not go)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_regional_demo(settings: ToolingSettings, intake_url: str) -> RegionalDemo:
    """Start the city's app, register it (or give it a fresh key on a later run), backfill its
    history, and start its connector."""
    from services.tooling.backfill import Checkpoint, backfill

    var = settings.var_dir / "regional"
    var.mkdir(parents=True, exist_ok=True)
    url = f"http://{settings.host}:{settings.regional_demo_port}"
    logs = (settings.var_dir / "logs" / "regional-app.log").open("ab")
    demo = RegionalDemo(url)
    demo.processes.append(
        subprocess.Popen(
            [
                sys.executable,
                str(EXAMPLE / "app.py"),
                "--db",
                str(var / "bandung.db"),
                "--port",
                str(settings.regional_demo_port),
                "--seed-history",
                str(HISTORY),
            ],
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
    )
    with httpx.Client(timeout=30) as http:
        _wait(http, f"{url}/complaints")
        key = _register(http, intake_url, url)
        history = var / "history.jsonl"
        history.write_text(http.get(f"{url}/export.jsonl").text)
    backfill(
        history,
        base_url=intake_url,
        system=CODE,
        key=key,
        checkpoint=Checkpoint.load(var / "history.checkpoint", history),
    )
    connector_log = (settings.var_dir / "logs" / "regional-connector.log").open("ab")
    demo.processes.append(
        subprocess.Popen(
            [
                sys.executable,
                str(EXAMPLE / "connector.py"),
                "--db",
                str(var / "bandung.db"),
                "--backbone",
                intake_url,
                "--system",
                CODE,
                "--key",
                key,
            ],
            stdout=connector_log,
            stderr=subprocess.STDOUT,
        )
    )
    return demo


def _wait(http: httpx.Client, url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            http.get(url).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _register(http: httpx.Client, intake_url: str, city_url: str) -> str:
    """The system's key: from a new registration, or rotated when it is registered already
    (keys are kept as digests: nobody can read an old one back)."""
    registered = http.post(
        f"{intake_url}/v1/systems",
        json={
            "code": CODE,
            "name": "Sistem Pengaduan Kota Bandung (reference)",
            "agencies": ["kota-bandung"],
            "status_map": STATUS_MAP,
            "reconciliation_url": f"{city_url}/reconciliation",
        },
        headers=ADMIN,
    )
    if registered.status_code == 409:
        rotated = http.post(f"{intake_url}/v1/systems/{CODE}/key", headers=ADMIN)
        rotated.raise_for_status()
        key: str = rotated.json()["key"]
        return key
    registered.raise_for_status()
    key = registered.json()["key"]
    return key
