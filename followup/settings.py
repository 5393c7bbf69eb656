"""followup's settings: the limits on agencies' messages and extensions, and how often the
deadlines are scanned."""

from __future__ import annotations

from pydantic import Field

from services.platform.settings import SettingsBase


class FollowupSettings(SettingsBase):
    """followup's own settings (`LAPOR_` variables, like the platform's)."""

    max_agency_messages: int = Field(
        200, ge=1, le=10_000, description="agency replies carrying a message, per complaint"
    )
    max_extensions: int = Field(
        2, ge=0, le=10, description="follow-up extensions the rule grants an agency, per complaint"
    )
    max_extension_working_days: int = Field(
        10, ge=1, le=60, description="the longest extension the rule grants, in working days"
    )
    deadline_scan_interval_s: float = Field(
        1.0, gt=0, description="how often the deadlines are checked"
    )
