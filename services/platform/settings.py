"""Platform settings (pydantic-settings): ports, paths, topics, external engines, timeouts.
Kept in one module: one class every process builds, until its split into a platform core and
one class per service (the open part of issue 20, item 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_rate
from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from events import topics

DEV_MASTER_KEY = "dev-only-master-key-change-me"
DEV_CHECKPOINT_KEY = "6465762d6f6e6c792d636865636b706f696e742d6b65792d6368616e67652d6d"
"""The development Ed25519 seed of checkpoint signatures (hex of 32 bytes): refused in
production."""
"""The placeholder secret; refused outside development."""

DEMO_CHANNELS = ("web", "mobile", "sms", "whatsapp", "call-center")
"""The channels that get a demo key (`demo-channel-<name>`) where demo keys are on."""
DEMO_AUDITORS = ("bpk",)
"""The auditors that get a demo key (`demo-auditor-<name>`) where demo keys are on."""
DEMO_OVERSIGHT = ("ombudsman", "ksp")
"""The oversight bodies that get a demo key (`demo-oversight-<name>`) where demo keys are on:
the Ombudsman and the Presidential Staff Office (Kantor Staf Presiden)."""

Principal = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class KeyHolder(BaseModel):
    """The named person who held a key from an instant on (until the next holder's `since`)."""

    model_config = ConfigDict(extra="forbid")

    person: str = Field(min_length=1, max_length=200)
    since: AwareDatetime


class IndexWeights(BaseModel):
    """The weight of each component of the performance index (README: the formula); they
    need not add up to 1: the index divides by the sum of those that apply."""

    model_config = ConfigDict(extra="forbid")

    timeliness: float = Field(0.25, ge=0, le=1, description="first follow-up within its deadline")
    resolution: float = Field(0.25, ge=0, le=1, description="resolved with no deadline missed")
    escalations: float = Field(0.15, ge=0, le=1, description="not escalated away")
    refusals: float = Field(0.10, ge=0, le=1, description="not refused")
    reopens: float = Field(0.10, ge=0, le=1, description="not reopened")
    satisfaction: float = Field(0.15, ge=0, le=1, description="reporters' ratings, 1-5")


_DEMO_SINCE = datetime(2024, 1, 1, tzinfo=UTC)
DEMO_KEY_HOLDERS: dict[str, list[KeyHolder]] = {
    "national_admin:national-admin": [
        KeyHolder(person="Dewi Kartika (KemenPANRB, admin nasional)", since=_DEMO_SINCE)
    ],
    "agency:kota-bandung": [
        KeyHolder(person="Agus Hermawan (Diskominfo Kota Bandung)", since=_DEMO_SINCE)
    ],
    "agency:prov-jawa-barat": [
        KeyHolder(person="Rina Marlina (Biro Organisasi Jawa Barat)", since=_DEMO_SINCE)
    ],
}
"""Named holders of a few demo keys, so the demo timelines show one (development only)."""


@dataclass(frozen=True)
class Endpoints:
    """Where the broker and the database are, whoever started them."""

    kafka_bootstrap_servers: str
    database_url: str
    broker_embedded: bool
    database_embedded: bool
    broker_engine: Literal["kafka", "tansu", "external"] = "external"


class PlatformSettings(BaseSettings):
    """Settings shared by every service. Environment variables use the `LAPOR_` prefix, except the
    two production switches `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL`."""

    model_config = SettingsConfigDict(env_prefix="LAPOR_", env_file=".env", extra="ignore")

    # Fail closed: unset means production (real secrets, no demo keys); `make run` and
    # `make test` set development explicitly.
    environment: Literal["development", "test", "production"] = "production"
    var_dir: Path = Path("var")
    host: str = Field("127.0.0.1", description="interface every local listener binds to")
    topic_prefix: str = Field("lapor", pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    event_partitions: int = Field(6, ge=1, le=1000)
    topic_replication_factor: int = Field(
        1, ge=1, le=7, description="for topics the platform creates; 3 in production"
    )
    topic_min_insync_replicas: int = Field(
        1, ge=1, le=7, description="acks=all waits for this many replicas; 2 in production"
    )

    kafka_bootstrap_servers: str | None = Field(
        None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "LAPOR_KAFKA_BOOTSTRAP_SERVERS"),
    )
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "LAPOR_DATABASE_URL")
    )
    broker_port: int = Field(19092, ge=1, le=65535, description="port of the embedded broker")
    broker_controller_port: int = Field(
        19093, ge=1, le=65535, description="KRaft controller port of the embedded Apache Kafka"
    )
    broker_engine: Literal["auto", "kafka", "tansu"] = Field(
        "auto",
        description="embedded broker: Apache Kafka, or Tansu (in memory) where no Java 17+ and "
        "Maven are found (auto)",
    )
    broker_heap_mb: int = Field(512, ge=128, le=8192, description="embedded Kafka's JVM heap")
    kafka_lib_dir: Path = Field(
        Path("var/kafka-lib"), description="where the Kafka jars are cached (shared by var dirs)"
    )

    # Broker authentication. The embedded Apache Kafka sets these per process (each service is
    # its own principal); in production each deployment sets its own principal's secret.
    broker_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how clients reach the broker; SASL_SSL in production"
    )
    broker_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-256"
    broker_username: str | None = Field(None, description="this process's broker principal")
    broker_password: SecretStr | None = None
    broker_credentials_file: Path | None = Field(
        None,
        description="JSON principal -> SCRAM password (0600) of a broker this project provisions "
        "as `admin` (default for the embedded Apache Kafka: <var_dir>/kafka/credentials.json)",
    )
    relay_port: int = Field(18010, ge=1, le=65535, description="health/metrics port of the relay")
    intake_port: int = Field(18020, ge=1, le=65535, description="intake HTTP API")
    routing_port: int = Field(18030, ge=1, le=65535, description="routing HTTP API")
    followup_port: int = Field(18040, ge=1, le=65535, description="followup HTTP API")
    reporting_port: int = Field(18050, ge=1, le=65535, description="reporting HTTP API")
    regional_demo_port: int = Field(
        18060, ge=1, le=65535, description="the reference regional system `make run` starts"
    )
    public_base_url: str = Field(
        "",
        pattern=r"^(https?://[^/?#\s]+(/[^?#\s]*)?)?$",
        description="where channels and reporters reach intake (links in answers are built on "
        "it, never on the request's Host header); default http://<host>:<intake_port>",
    )

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
    verify_working_days: int = Field(3, ge=1, le=60)
    follow_up_working_days: int = Field(5, ge=1, le=60)
    escalation_working_days: int = Field(5, ge=1, le=60, description="new clock after escalating")
    silence_working_days: int = Field(10, ge=1, le=120, description="auto-close after follow-up")
    resolution_days: int = Field(60, ge=1, le=365, description="calendar days to resolve")
    appeal_days: int = Field(
        14, ge=0, le=365, description="calendar days after a closure in which it may be appealed"
    )
    appeal_review_working_days: int = Field(
        5, ge=1, le=60, description="the reviewer's clock on an appeal, then the national admin"
    )
    ombudsman_findings_working_days: int = Field(
        30, ge=1, le=365, description="when the Ombudsman's findings are expected (watched)"
    )
    max_refusals: int = Field(2, ge=1, le=10, description="then the national admin disposes")
    max_reopens: int = Field(
        3, ge=0, le=20, description="times a reporter's dispute reopens one complaint"
    )
    max_extensions: int = Field(
        2, ge=0, le=10, description="follow-up extensions the rule grants an agency, per complaint"
    )
    max_extension_working_days: int = Field(
        10, ge=1, le=60, description="the longest extension the rule grants, in working days"
    )
    deadline_scan_interval_s: float = Field(1.0, gt=0)
    reconcile_interval_s: float = Field(
        3600.0,
        ge=0,
        description="how often intake reconciles every connected system with a reconciliation "
        "endpoint (0: only on demand)",
    )
    adjustable_clock: bool | None = Field(
        None,
        description="allow the demo command that moves time forward (default: not in production)",
    )

    # Authentication: principal ("national-admin" or an agency code) -> API key.
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
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
    open_data_min_cell: int = Field(
        5, ge=1, le=1000, description="open-data counts below this are withheld (small cells)"
    )
    open_data_interval_s: float = Field(
        86_400, ge=0, description="how often reporting writes the open-data package (0: never)"
    )
    index_weights: IndexWeights = Field(default_factory=IndexWeights)
    grade_good_from: float = Field(
        75, ge=0, le=100, description="an index at least this is graded Baik (good)"
    )
    grade_fair_from: float = Field(
        50, ge=0, le=100, description="at least this (and below Baik) is Sedang; below, Kurang"
    )
    key_holders: dict[str, list[KeyHolder]] = Field(
        default_factory=dict,
        description='"<actor role>:<id>" of a key (e.g. "agency:kota-bandung") -> the named '
        "people who held it, each from its `since`: the auditor's timeline names the person "
        "behind the key at the time of each event",
    )
    oversight_keys: dict[Principal, SecretStr] = Field(
        default_factory=dict,
        description="oversight body name -> key: a read-only national view, no reporter contact",
    )
    demo_data: bool = Field(True, description="`make run` files demo complaints once")

    # Abuse limits (`limits` notation: "N/second|minute|hour|day").
    filing_rate_per_client: str = Field(
        "20/minute", description="filings per client address (HTTP)"
    )
    filing_rate_per_channel: str = Field("3000/minute", description="filings per channel key")
    reply_rate_per_client: str = Field(
        "30/minute", description="reporter replies and token rotations per client address"
    )
    agency_rate_per_key: str = Field(
        "600/minute", description="case files read and replies sent over HTTP per agency key"
    )
    max_reporter_messages: int = Field(
        20, ge=1, le=1000, description="reporter comments (add_information) per complaint"
    )
    max_agency_messages: int = Field(
        200, ge=1, le=10_000, description="agency replies carrying a message, per complaint"
    )
    reporter_token_days: int = Field(
        730, ge=1, le=3650, description="a reporter's access token expires after this"
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
    replicas: dict[str, int] = Field(
        default_factory=dict,
        description='processes per service under `make run`, e.g. {"routing": 2}; members of '
        "one consumer group share the partitions",
    )
    agency_partitions: int = Field(2, ge=1, le=100)

    session_timeout_s: float = Field(6.0, gt=0)
    heartbeat_interval_s: float = Field(1.0, gt=0)
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_probe_interval_s: float = Field(1.0, gt=0)
    db_pool_max: int = Field(10, ge=1, le=200)

    master_key: SecretStr = SecretStr(DEV_MASTER_KEY)
    checkpoint_signing_key: SecretStr = Field(
        SecretStr(DEV_CHECKPOINT_KEY),
        description="hex of the 32-byte Ed25519 seed that signs the log's checkpoints",
    )
    checkpoint_interval_s: float = Field(
        300.0, ge=0, description="how often reporting signs a checkpoint of the log (0: never)"
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _rates_are_readable(self) -> PlatformSettings:
        rates = (
            "filing_rate_per_client",
            "filing_rate_per_channel",
            "reply_rate_per_client",
            "agency_rate_per_key",
        )
        for name in rates:
            try:
                parse_rate(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc} (e.g. '20/minute')") from None
        return self

    @model_validator(mode="after")
    def _grades_in_order(self) -> PlatformSettings:
        if self.grade_fair_from > self.grade_good_from:
            raise ValueError("LAPOR_GRADE_FAIR_FROM must not be above LAPOR_GRADE_GOOD_FROM")
        if sum(self.index_weights.model_dump().values()) <= 0:
            raise ValueError("LAPOR_INDEX_WEIGHTS: at least one weight must be above 0")
        return self

    @model_validator(mode="after")
    def _replicas_of_known_services(self) -> PlatformSettings:
        known = {"relay", "intake", "routing", "followup", "reporting"}
        for name, count in self.replicas.items():
            if name not in known:
                raise ValueError(f"replicas: no service {name!r} (one of {sorted(known)})")
            if not 1 <= count <= 8:
                raise ValueError(f"replicas: {name} must run 1 to 8 processes, not {count}")
        return self

    @model_validator(mode="after")
    def _public_base_url_without_trailing_slash(self) -> PlatformSettings:
        if not self.public_base_url:
            # A wildcard bind address is not an address anyone can reach: loopback instead.
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            host = f"[{host}]" if ":" in host else host
            self.public_base_url = f"http://{host}:{self.intake_port}"
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _no_placeholder_secrets_outside_development(self) -> PlatformSettings:
        unset = (
            ""
            if "environment" in self.model_fields_set
            else " (LAPOR_ENVIRONMENT is unset, so production; make run sets development)"
        )
        if (
            self.environment == "production"
            and self.master_key.get_secret_value() == DEV_MASTER_KEY
        ):
            raise ValueError(f"LAPOR_MASTER_KEY must be set to a real secret in production{unset}")
        if (
            self.environment == "production"
            and self.checkpoint_signing_key.get_secret_value() == DEV_CHECKPOINT_KEY
        ):
            raise ValueError(
                f"LAPOR_CHECKPOINT_SIGNING_KEY must be set to a real key in production{unset}"
            )
        if self.environment == "production" and (self.demo_keys or self.adjustable_clock):
            raise ValueError(f"demo keys and the adjustable clock are refused in production{unset}")
        development = self.environment != "production"
        self.demo_keys = development if self.demo_keys is None else self.demo_keys
        self.adjustable_clock = (
            development if self.adjustable_clock is None else self.adjustable_clock
        )
        if self.environment == "production" and not (
            self.kafka_bootstrap_servers and self.database_url
        ):
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
    def holders(self) -> dict[str, list[KeyHolder]]:
        """Who held each key from when: the configured ones, and the demo holders where demo
        keys are on."""
        demo = DEMO_KEY_HOLDERS if self.demo_keys else {}
        return demo | self.key_holders

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
