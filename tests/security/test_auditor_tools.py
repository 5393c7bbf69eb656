"""An auditor's tool only reads: `python -m services verify` starts, migrates, provisions and
writes nothing, and where there is nothing to read it says so in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_verify_with_no_database_writes_nothing_and_fails_in_one_line(tmp_path):
    """Pointed at a broker port where nothing listens and a var directory where nothing runs,
    it used to start a broker and PostgreSQL there (and touch a running broker's files)."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "kafka").mkdir()
    (var_dir / "kafka" / "broker.json").write_text('{"pid": 1}')
    before = sorted((p.relative_to(var_dir), p.stat().st_mtime_ns) for p in var_dir.rglob("*"))
    runtime = tmp_path / "runtime"  # platformdirs warns (a second line) without one
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAPOR_", "KAFKA_", "DATA"))}
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env |= {
        "LAPOR_ENVIRONMENT": "development",
        "LAPOR_VAR_DIR": str(var_dir),
        "LAPOR_BROKER_PORT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line, no traceback
    assert "no PostgreSQL runs" in done.stderr
    after = sorted((p.relative_to(var_dir), p.stat().st_mtime_ns) for p in var_dir.rglob("*"))
    assert after == before
