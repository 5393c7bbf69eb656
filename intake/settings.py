"""intake's settings: the abuse limits a stranger meets, the reporter's token and messages,
the public address in answers, and the connected systems' reconciliation."""

from __future__ import annotations

from pydantic import Field, model_validator

from services.platform.settings import PlatformSettings, SettingsBase, readable_rates


class IntakeSettings(SettingsBase):
    """intake's own settings (`LAPOR_` variables, like the platform's)."""

    public_base_url: str = Field(
        "",
        pattern=r"^(https?://[^/?#\s]+(/[^?#\s]*)?)?$",
        description="where channels and reporters reach intake (links in answers are built on "
        "it, never on the request's Host header); default http://<host>:<intake_port>",
    )

    # Abuse limits (`limits` notation: "N/second|minute|hour|day"), per process, answered with
    # 429 and Retry-After.
    filing_rate_per_client: str = Field(
        "20/minute", description="filings per client address (HTTP)"
    )
    filing_rate_per_channel: str = Field("3000/minute", description="filings per channel key")
    reply_rate_per_client: str = Field(
        "30/minute", description="reporter replies and token rotations per client address"
    )
    max_reporter_messages: int = Field(
        20, ge=1, le=1000, description="reporter comments (add_information) per complaint"
    )
    reporter_token_days: int = Field(
        730, ge=1, le=3650, description="a reporter's access token expires after this"
    )
    max_reopens: int = Field(
        3,
        ge=0,
        le=20,
        description="times a reporter's dispute or an appeal reopens one complaint (then 409 "
        "`reopen_limit`)",
    )
    reconcile_interval_s: float = Field(
        3600.0,
        ge=0,
        description="how often intake reconciles every connected system with a reconciliation "
        "endpoint (0: only on demand)",
    )

    @model_validator(mode="after")
    def _rates_are_readable(self) -> IntakeSettings:
        readable_rates(
            self, "filing_rate_per_client", "filing_rate_per_channel", "reply_rate_per_client"
        )
        return self

    @model_validator(mode="after")
    def _public_base_url_without_trailing_slash(self) -> IntakeSettings:
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    def status_base(self, platform: PlatformSettings) -> str:
        """Where reporters reach intake: the configured address, else the platform's own
        (a wildcard bind address is not one anyone can reach: loopback instead)."""
        if self.public_base_url:
            return self.public_base_url
        host = "127.0.0.1" if platform.host in ("0.0.0.0", "::", "") else platform.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{platform.intake_port}"
