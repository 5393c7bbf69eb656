"""reporting's settings: the performance index and its grades, open data, the signed
checkpoints, and who held each key (read by the auditors' timeline)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, model_validator

from reporting.performance import IndexWeights
from services.platform.settings import SettingsBase

DEV_CHECKPOINT_KEY = "6465762d6f6e6c792d636865636b706f696e742d6b65792d6368616e67652d6d"
"""The development Ed25519 seed of checkpoint signatures (hex of 32 bytes): refused in
production."""


class KeyHolder(BaseModel):
    """The named person who held a key from an instant on (until the next holder's `since`)."""

    model_config = ConfigDict(extra="forbid")

    person: str = Field(min_length=1, max_length=200)
    since: AwareDatetime


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


class ReportingSettings(SettingsBase):
    """reporting's own settings (`LAPOR_` variables, like the platform's)."""

    open_data_min_cell: int = Field(
        5, ge=1, le=1000, description="open-data counts below this are withheld (small cells)"
    )
    open_data_interval_s: float = Field(
        86_400, ge=0, description="how often reporting writes the open-data package (0: never)"
    )
    index_weights: IndexWeights = Field(
        default_factory=IndexWeights,
        description="JSON weight of each component of the performance index (README: the formula)",
    )
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
    checkpoint_signing_key: SecretStr = Field(
        SecretStr(DEV_CHECKPOINT_KEY),
        description="hex of the 32-byte Ed25519 seed that signs the log's checkpoints",
    )
    checkpoint_interval_s: float = Field(
        300.0,
        ge=0,
        description="how often reporting signs a checkpoint of the log (0: only "
        "`python -m services checkpoint`)",
    )

    @model_validator(mode="after")
    def _grades_in_order(self) -> ReportingSettings:
        if self.grade_fair_from > self.grade_good_from:
            raise ValueError("LAPOR_GRADE_FAIR_FROM must not be above LAPOR_GRADE_GOOD_FROM")
        if sum(self.index_weights.model_dump().values()) <= 0:
            raise ValueError("LAPOR_INDEX_WEIGHTS: at least one weight must be above 0")
        return self

    @model_validator(mode="after")
    def _no_placeholder_key_in_production(self) -> ReportingSettings:
        if self.production and self.checkpoint_signing_key.get_secret_value() == DEV_CHECKPOINT_KEY:
            raise ValueError(
                "LAPOR_CHECKPOINT_SIGNING_KEY must be set to a real key in production"
                + self.unset_note()
            )
        return self

    def holders(self, demo_keys: bool) -> dict[str, list[KeyHolder]]:
        """Who held each key from when: the configured ones, and the demo holders where demo
        keys are on."""
        return (DEMO_KEY_HOLDERS if demo_keys else {}) | self.key_holders
