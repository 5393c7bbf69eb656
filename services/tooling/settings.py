"""The command line's settings: the platform's, and what only the tooling reads (the embedded
broker, the launcher's replicas, the demo)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from services.platform.settings import PlatformSettings

SERVICES = ("relay", "intake", "routing", "followup", "reporting")
"""The processes the launcher starts, each replicable."""


class ToolingSettings(PlatformSettings):
    """The launcher's and the operator commands' settings: the platform's and their own."""

    broker_port: int = Field(19092, ge=1, le=65535, description="port of the embedded broker")
    broker_controller_port: int = Field(
        19093, ge=1, le=65535, description="KRaft controller port of the embedded Apache Kafka"
    )
    broker_heap_mb: int = Field(512, ge=128, le=8192, description="embedded Kafka's JVM heap")
    kafka_lib_dir: Path = Field(
        Path("var/kafka-lib"), description="where the Kafka jars are cached (shared by var dirs)"
    )
    broker_credentials_file: Path | None = Field(
        None,
        description="JSON principal -> SCRAM password (0600) of a broker this project provisions "
        "as `admin` (default for the embedded Apache Kafka: <var_dir>/kafka/credentials.json)",
    )
    regional_demo_port: int = Field(
        18060, ge=1, le=65535, description="the reference regional system `make run` starts"
    )
    demo_data: bool = Field(True, description="`make run` files demo complaints once")
    replicas: dict[str, int] = Field(
        default_factory=dict,
        description='processes per service under `make run`, e.g. {"routing": 2}; members of '
        "one consumer group share the partitions",
    )

    @model_validator(mode="after")
    def _replicas_of_known_services(self) -> ToolingSettings:
        for name, count in self.replicas.items():
            if name not in SERVICES:
                raise ValueError(f"replicas: no service {name!r} (one of {sorted(SERVICES)})")
            if not 1 <= count <= 8:
                raise ValueError(f"replicas: {name} must run 1 to 8 processes, not {count}")
        return self
