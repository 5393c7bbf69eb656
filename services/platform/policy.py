"""The regulated clocks as configured: the deadline policy built from settings."""

from __future__ import annotations

from services.kernel.workdays import DeadlinePolicy, WorkingCalendar
from services.platform.settings import PlatformSettings


def deadline_policy(settings: PlatformSettings) -> DeadlinePolicy:
    """The regulated clocks with the limits from settings."""
    return DeadlinePolicy(
        WorkingCalendar(settings.timezone),
        verify_days=settings.verify_working_days,
        follow_up_days=settings.follow_up_working_days,
        escalation_days=settings.escalation_working_days,
        silence_days=settings.silence_working_days,
        resolution_days=settings.resolution_days,
        appeal_days=settings.appeal_days,
        appeal_review_days=settings.appeal_review_working_days,
        findings_days=settings.ombudsman_findings_working_days,
    )
