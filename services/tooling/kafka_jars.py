"""Apache Kafka's prerequisites for the embedded broker: a Java 17+ to run it, and its jars,
fetched once through Maven from the pinned `kafka/pom.xml` into a shared cache."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

KAFKA_DIR = Path(__file__).parent / "kafka"
"""The pom.xml pinning Apache Kafka, and the broker's log4j2 configuration."""


class InfraError(RuntimeError):
    """The embedded infrastructure could not be started or reached."""


def java_executable() -> str:
    """The `java` to run the broker with."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise InfraError("Java 17+ is needed for the embedded Apache Kafka: none is on PATH")
    return found


def java_major_version() -> int | None:
    """The major version of the Java on PATH (None when there is none)."""
    try:
        done = subprocess.run(
            [java_executable(), "-version"], capture_output=True, text=True, timeout=30
        )
    except (InfraError, OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not match:
        return None
    major = int(match[1])
    return int(match[2] or 0) if major == 1 else major


def kafka_ready_to_run(lib_dir: Path) -> str | None:
    """Why the embedded Apache Kafka cannot run here (None: it can)."""
    version = java_major_version()
    if version is None:
        return "no Java on PATH (install a JDK 17+, e.g. Debian's openjdk-17-jre-headless)"
    if version < 17:
        return f"Java {version} is on PATH; Apache Kafka 4 needs Java 17+"
    if not _jars_dir(lib_dir).joinpath(".complete").exists() and shutil.which("mvn") is None:
        return "no Maven on PATH to fetch the Kafka jars (install Debian's maven)"
    return None


def _jars_dir(lib_dir: Path) -> Path:
    digest = hashlib.sha256((KAFKA_DIR / "pom.xml").read_bytes()).hexdigest()[:12]
    return lib_dir / digest


def kafka_classpath(lib_dir: Path) -> Path:
    """The folder holding the pinned Kafka jars, fetched through Maven the first time (a second
    call downloads nothing); one process fetches while the others wait."""
    jars = _jars_dir(lib_dir)
    if (jars / ".complete").exists():
        return jars
    lib_dir.mkdir(parents=True, exist_ok=True)
    with (lib_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (jars / ".complete").exists():
            return jars
        if shutil.which("mvn") is None:
            raise InfraError("Maven is needed once to fetch the Kafka jars: none is on PATH")
        print(f"fetching the Apache Kafka jars through Maven into {jars} (once) ...", flush=True)
        staging = lib_dir / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        argv = ["mvn", "-q", "-B", "-f", str(KAFKA_DIR / "pom.xml")]
        argv += ["dependency:copy-dependencies", "-DincludeScope=runtime"]
        done = subprocess.run(
            [*argv, f"-DoutputDirectory={staging.resolve()}"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise InfraError(f"fetching the Kafka jars failed: {done.stdout[-2000:]}")
        (staging / ".complete").write_text("")
        shutil.rmtree(jars, ignore_errors=True)
        staging.rename(jars)
    return jars
