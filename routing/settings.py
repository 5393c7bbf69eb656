"""routing's settings: the disposition rule's limit on refusals."""

from __future__ import annotations

from pydantic import Field

from services.platform.settings import SettingsBase


class RoutingSettings(SettingsBase):
    """routing's own settings (`LAPOR_` variables, like the platform's)."""

    max_refusals: int = Field(2, ge=1, le=10, description="then the national admin disposes")
