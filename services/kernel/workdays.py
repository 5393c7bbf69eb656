"""Working-day arithmetic on the Indonesian calendar: weekends, public holidays and collective
leave days (cuti bersama) are not working days. Pure: no clock, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=8)
def _calendar(years: tuple[int, ...]) -> holidays.HolidayBase:
    # "government" adds the collective leave days the government declares each year.
    return holidays.country_holidays("ID", years=years, categories=("public", "government"))


class WorkingCalendar:
    """Counts working days in one time zone (Asia/Jakarta by default)."""

    def __init__(self, timezone: str = "Asia/Jakarta") -> None:
        self.zone = ZoneInfo(timezone)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday or collective leave day."""
        return day.weekday() < 5 and day not in _calendar((day.year - 1, day.year, day.year + 1))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after the local date of `start` (in UTC).

        "Within 3 working days" of a Friday filing means by the end of the next Wednesday.
        """
        day = start.astimezone(self.zone).date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        end = datetime.combine(day, time(23, 59, 59, 999999), tzinfo=self.zone)
        return end.astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after the local date of `start`, up to and including that of `end`."""
        first = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


class DeadlinePolicy:
    """The regulated clocks, in working days on one calendar (limits come from settings)."""

    def __init__(
        self,
        calendar: WorkingCalendar,
        *,
        verify_days: int = 3,
        follow_up_days: int = 5,
        escalation_days: int = 5,
        silence_days: int = 10,
        resolution_days: int = 60,
        appeal_days: int = 14,
        appeal_review_days: int = 5,
        findings_days: int = 30,
    ) -> None:
        self.calendar = calendar
        self.verify_days = verify_days
        self.follow_up_days = follow_up_days
        self.escalation_days = escalation_days
        self.silence_days = silence_days
        self.resolution_days = resolution_days
        self.appeal_days = appeal_days
        self.appeal_review_days = appeal_review_days
        self.findings_days = findings_days

    def verify_due(self, now: datetime) -> datetime:
        """When the national admin must have verified and disposed a new report."""
        return self.calendar.add_working_days(now, self.verify_days)

    def follow_up_due(self, now: datetime) -> datetime:
        """When the agency's first follow-up is due after a disposition or a reopening."""
        return self.calendar.add_working_days(now, self.follow_up_days)

    def escalation_due(self, now: datetime) -> datetime:
        """The clock the next tier up gets after an escalation."""
        return self.calendar.add_working_days(now, self.escalation_days)

    def reply_due(self, now: datetime) -> datetime:
        """When silence after a follow-up closes the complaint."""
        return self.calendar.add_working_days(now, self.silence_days)

    def resolution_due(self, now: datetime) -> datetime:
        """The maximum resolution time (calendar days, per Perpres 76/2013 as summarised)."""
        return now + timedelta(days=self.resolution_days)

    def appeal_until(self, closed_at: datetime) -> datetime:
        """Until when the reporter may appeal a closure (calendar days)."""
        return closed_at + timedelta(days=self.appeal_days)

    def appeal_review_due(self, now: datetime) -> datetime:
        """When the reviewer must uphold or reopen an appeal."""
        return self.calendar.add_working_days(now, self.appeal_review_days)

    def findings_due(self, now: datetime) -> datetime:
        """When the national admin expects the Ombudsman's findings on a referral."""
        return self.calendar.add_working_days(now, self.findings_days)
