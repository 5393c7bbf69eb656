"""The platform's settings core (pydantic-settings): what every service reads (paths, topics, the
engines, keys, the regulated clocks, timeouts). Each service has its own class beside it
(`<service>/settings.py`, on the same `SettingsBase`), and the command line its own
(`services/tooling/settings.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_rate
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from events import topics

DEV_MASTER_KEY = "dev-only-master-key-change-me"
"""The placeholder secret; refused outside development."""

DEMO_CHANNELS = ("web", "mobile", "sms", "whatsapp", "call-center")
"""The channels that get a demo key (`demo-channel-<name>`) where demo keys are on."""
DEMO_AUDITORS = ("bpk",)
"""The auditors that get a demo key (`demo-auditor-<name>`) where demo keys are on."""
DEMO_OVERSIGHT = ("ombudsman", "ksp")
"""The oversight bodies that get a demo key (`demo-oversight-<name>`) where demo keys are on:
the Ombudsman and the Presidential Staff Office (Kantor Staf Presiden)."""

Principal = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


@dataclass(frozen=True)
class Endpoints:
    """Where the broker and the database are, whoever started them."""

    kafka_bootstrap_servers: str
    database_url: str
    broker_embedded: bool
    database_embedded: bool
    broker_engine: Literal["kafka", "tansu", "external"] = "external"


class SettingsBase(BaseSettings):
    """What every settings class shares: the `LAPOR_` variables (and `.env`), and the
    environment, production when unset."""

    model_config = SettingsConfigDict(env_prefix="LAPOR_", env_file=".env", extra="ignore")

    # Fail closed: unset means production (real secrets, no demo keys); `make run` and
    # `make test` set development explicitly.
    environment: Literal["development", "test", "production"] = Field(
        "production",
        description="`development`, `test` or `production`; `make run` and `make test` set "
        "`development`",
    )

    @property
    def production(self) -> bool:
        """True in production (also when LAPOR_ENVIRONMENT is unset)."""
        return self.environment == "production"

    def unset_note(self) -> str:
        """Why production applies, for a refusal: said when the environment was not set."""
        if "environment" in self.model_fields_set:
            return ""
        return " (LAPOR_ENVIRONMENT is unset, so production; make run sets development)"


def readable_rates(settings: BaseModel, *names: str) -> None:
    """Refuse a rate limit `limits` cannot read, naming the setting."""
    for name in names:
        try:
            parse_rate(getattr(settings, name))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc} (e.g. '20/minute')") from None


class PlatformSettings(SettingsBase):
    """Settings shared by every service. Environment variables use the `LAPOR_` prefix, except the
    two production switches `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL`."""

    var_dir: Path = Field(
        Path("var"), description="where embedded data, logs and endpoint files go"
    )
    host: str = Field("127.0.0.1", description="interface every local listener binds to")
    topic_prefix: str = Field(
        "lapor", pattern=r"^[a-z0-9][a-z0-9-]{0,30}$", description="first part of every topic name"
    )
    event_partitions: int = Field(
        6, ge=1, le=1000, description="partitions of the complaint-events and intake topics"
    )
    topic_replication_factor: int = Field(
        1, ge=1, le=7, description="for topics the platform creates; 3 in production"
    )
    topic_min_insync_replicas: int = Field(
        1, ge=1, le=7, description="acks=all waits for this many replicas; 2 in production"
    )

    kafka_bootstrap_servers: str | None = Field(
        None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "LAPOR_KAFKA_BOOTSTRAP_SERVERS"),
        description="an external Kafka (unset: the embedded broker)",
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "LAPOR_DATABASE_URL"),
        description="an external PostgreSQL (unset: the embedded one)",
    )
    broker_engine: Literal["auto", "kafka", "tansu"] = Field(
        "auto",
        description="embedded broker: Apache Kafka, or Tansu (in memory) where no Java 17+ and "
        "Maven are found (auto)",
    )

    # Broker authentication. The embedded Apache Kafka sets these per process (each service is
    # its own principal); in production each deployment sets its own principal's secret.
    broker_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how clients reach the broker; SASL_SSL in production"
    )
    broker_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = Field(
        "SCRAM-SHA-256", description="the SASL mechanism with an authenticating broker"
    )
    broker_username: str | None = Field(
        None,
        description="this process's broker principal (`lapor-<service>`); required with SASL",
    )
    broker_password: SecretStr | None = Field(
        None, description="that principal's secret; never defaulted"
    )
    relay_port: int = Field(18010, ge=1, le=65535, description="health/metrics port of the relay")
    intake_port: int = Field(18020, ge=1, le=65535, description="intake HTTP API")
    routing_port: int = Field(18030, ge=1, le=65535, description="routing HTTP API")
    followup_port: int = Field(18040, ge=1, le=65535, description="followup HTTP API")
    reporting_port: int = Field(18050, ge=1, le=65535, description="reporting HTTP API")

    # HTTP limits: what one request may cost a service, whoever sends it. A body is refused
    # (413) as soon as its declared or streamed size passes the limit, before it is parsed.
    max_body_bytes: int = Field(
        256 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="largest request body any service API accepts, in bytes",
    )

    # Deadlines (LIFECYCLE.md). The 60-day figures are from unverified summaries: configurable.
    timezone: str = Field("Asia/Jakarta", description="where working days are counted")
    verify_working_days: int = Field(
        3, ge=1, le=60, description="to verify and dispose a new report"
    )
    follow_up_working_days: int = Field(
        5, ge=1, le=60, description="for an agency's first follow-up"
    )
    escalation_working_days: int = Field(5, ge=1, le=60, description="new clock after escalating")
    silence_working_days: int = Field(10, ge=1, le=120, description="auto-close after follow-up")
    resolution_days: int = Field(
        60, ge=1, le=365, description="calendar days to resolve (an unverified figure)"
    )
    appeal_days: int = Field(
        14, ge=0, le=365, description="calendar days after a closure in which it may be appealed"
    )
    appeal_review_working_days: int = Field(
        5, ge=1, le=60, description="the reviewer's clock on an appeal, then the national admin"
    )
    ombudsman_findings_working_days: int = Field(
        30, ge=1, le=365, description="when the Ombudsman's findings are expected (watched)"
    )
    adjustable_clock: bool | None = Field(
        None,
        description="allow the demo command that moves time forward (default: not in production)",
    )

    # Authentication: principal ("national-admin" or an agency code) -> API key.
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='JSON {"national-admin": "...", "<agency-code>": "..."}',
    )
    demo_keys: bool | None = Field(
        None,
        description="accept the published demo keys demo-<principal> (default: not in production)",
    )
    channel_keys: dict[Principal, SecretStr] = Field(
        default_factory=dict,
        description="channel name -> key: a channel files over HTTP with it (X-API-Key) and "
        "signs its intake-topic submissions with it",
    )
    auditor_keys: dict[Principal, SecretStr] = Field(
        default_factory=dict, description="auditor name -> key (reads the personal-data log)"
    )
    unit_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="work unit code -> key: a unit liaison sees and acts on only what its "
        "agency forwarded to the unit",
    )
    oversight_keys: dict[Principal, SecretStr] = Field(
        default_factory=dict,
        description="oversight body name -> key: a read-only national view, no reporter contact",
    )

    # Abuse limits (`limits` notation: "N/second|minute|hour|day").
    agency_rate_per_key: str = Field(
        "600/minute",
        description="case files read and replies sent over HTTP per agency key (and "
        "connected-system imports per system key); 429 beyond",
    )
    personal_data_retention_hours: int = Field(
        72,
        ge=1,
        le=24 * 30,
        description="retention of the intake and dead-letter topics, which may carry contacts",
    )
    stall_timeout_s: float = Field(
        120.0,
        gt=0,
        description="/readyz is false when a consumer with a backlog makes no "
        "progress for this long",
    )
    agency_partitions: int = Field(2, ge=1, le=100, description="partitions of each agency's queue")

    session_timeout_s: float = Field(
        6.0, gt=0, description="consumer-group session (short: fast joins)"
    )
    heartbeat_interval_s: float = Field(1.0, gt=0, description="consumer-group heartbeat")
    relay_batch_size: int = Field(
        500, ge=1, le=10_000, description="outbox rows the relay publishes at a time"
    )
    relay_probe_interval_s: float = Field(
        1.0, gt=0, description="how often the relay (and routing's queue keeper) look again"
    )
    db_pool_max: int = Field(10, ge=1, le=200, description="PostgreSQL connections per process")

    master_key: SecretStr = Field(
        SecretStr(DEV_MASTER_KEY),
        description="wraps the per-reporter keys; the placeholder is refused in production",
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="JSON when not a terminal (auto)"
    )
    log_level: str = Field("INFO", description="the least level written")

    @model_validator(mode="after")
    def _rates_are_readable(self) -> PlatformSettings:
        readable_rates(self, "agency_rate_per_key")
        return self

    @model_validator(mode="after")
    def _no_placeholder_secrets_outside_development(self) -> PlatformSettings:
        unset = self.unset_note()
        if self.production and self.master_key.get_secret_value() == DEV_MASTER_KEY:
            raise ValueError(f"LAPOR_MASTER_KEY must be set to a real secret in production{unset}")
        if self.production and (self.demo_keys or self.adjustable_clock):
            raise ValueError(f"demo keys and the adjustable clock are refused in production{unset}")
        self.demo_keys = not self.production if self.demo_keys is None else self.demo_keys
        self.adjustable_clock = (
            not self.production if self.adjustable_clock is None else self.adjustable_clock
        )
        if self.production and not (self.kafka_bootstrap_servers and self.database_url):
            raise ValueError(f"production needs KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL{unset}")
        return self

    @property
    def idempotent_producer(self) -> bool:
        """Producers are idempotent on Apache Kafka; Tansu, the in-memory fallback, cannot be
        (`ensure_infra` settles `auto` to the engine it started)."""
        return self.broker_engine != "tansu"

    @property
    def embedded_broker(self) -> bool:
        """True when the platform starts its own local broker."""
        return not self.kafka_bootstrap_servers

    @property
    def embedded_database(self) -> bool:
        """True when the platform starts its own local PostgreSQL."""
        return not self.database_url

    def topic(self, name: str) -> str:
        """The full name of one of the platform's topics, e.g. `lapor.complaint-events.v1`."""
        return topics.address(self.topic_prefix, name)

    @property
    def events_topic(self) -> str:
        """Every complaint event, in order per complaint."""
        return self.topic(topics.EVENTS)

    @property
    def dead_letter_topic(self) -> str:
        """What a consumer could not decode or apply, with the reason."""
        return self.topic(topics.DEAD_LETTER)

    @property
    def intake_topic(self) -> str:
        """Submissions published by channels."""
        return self.topic(topics.INTAKE)

    def intake_results_topic(self, channel: str) -> str:
        """One channel's results: accepted or rejected per submission, keyed by its id."""
        return topics.intake_results(self.topic_prefix, channel)

    @property
    def channels(self) -> list[str]:
        """Every channel that may file: those with a key, and the demo ones where demo keys
        are on. Each has its own results topic."""
        demo = DEMO_CHANNELS if self.demo_keys else ()
        return sorted(set(self.channel_keys) | set(demo))

    @property
    def checkpoints_topic(self) -> str:
        """The log's signed checkpoints (reporting publishes, auditors read)."""
        return self.topic(topics.CHECKPOINTS)

    @property
    def agency_replies_topic(self) -> str:
        """Agencies' replies (acknowledge, forward, follow up, refuse, propose resolution)."""
        return self.topic(topics.AGENCY_REPLIES)

    def system_imports_topic(self, system_code: str) -> str:
        """The import topic of one connected system (only its own principal writes it)."""
        return topics.system_imports(self.topic_prefix, system_code)

    def agency_topic(self, agency_code: str) -> str:
        """The work queue of one agency."""
        return topics.agency_queue(self.topic_prefix, agency_code)
