"""Working-day arithmetic on the Indonesian calendar (Asia/Jakarta), and the deadline policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from services.kernel.workdays import DeadlinePolicy, WorkingCalendar

JAKARTA = ZoneInfo("Asia/Jakarta")
CALENDAR = WorkingCalendar("Asia/Jakarta")


def at_jakarta(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock in Jakarta on `day`, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=JAKARTA).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The last instant of `day` in Jakarta, as a UTC instant."""
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=JAKARTA).astimezone(UTC)


def test_the_holidays_chosen_below_are_on_the_2026_indonesian_calendar():
    listed = holidays.country_holidays("ID", years=2026, categories=("public", "government"))
    assert date(2026, 12, 25) in listed  # Christmas Day (a Friday)
    assert date(2026, 12, 24) in listed  # the collective leave day before it (cuti bersama)
    assert date(2026, 8, 17) in listed  # Independence Day (a Monday)


def test_friday_plus_three_working_days_ends_at_the_end_of_wednesday():
    friday = at_jakarta(date(2026, 11, 27))
    due = CALENDAR.add_working_days(friday, 3)
    assert due == end_of(date(2026, 12, 2))
    assert due == datetime(2026, 12, 2, 16, 59, 59, 999999, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_the_weekend_is_skipped():
    assert CALENDAR.add_working_days(at_jakarta(date(2026, 11, 27)), 1) == end_of(
        date(2026, 11, 30)
    )
    assert not CALENDAR.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 11, 29))  # Sunday
    assert CALENDAR.is_working_day(date(2026, 11, 30))  # Monday


def test_the_local_date_counts_not_the_utc_date():
    # Thursday 18:00 UTC is already Friday 01:00 in Jakarta: three working days end on Wednesday.
    late_thursday_utc = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    assert CALENDAR.add_working_days(late_thursday_utc, 3) == end_of(date(2026, 12, 2))


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        # Independence Day, Monday 17 August 2026: Friday + 1 working day is Tuesday.
        (date(2026, 8, 14), 1, date(2026, 8, 18)),
        # Christmas: Thursday 24 (collective leave) and Friday 25 December, then the weekend.
        (date(2026, 12, 22), 3, date(2026, 12, 29)),
        (date(2026, 12, 23), 1, date(2026, 12, 28)),
    ],
)
def test_public_holidays_and_collective_leave_are_skipped(start, days, end):
    assert CALENDAR.add_working_days(at_jakarta(start), days) == end_of(end)


def test_holidays_are_not_working_days():
    assert not CALENDAR.is_working_day(date(2026, 12, 25))
    assert not CALENDAR.is_working_day(date(2026, 12, 24))
    assert not CALENDAR.is_working_day(date(2026, 8, 17))
    assert CALENDAR.is_working_day(date(2026, 12, 23))


def test_zero_working_days_is_the_end_of_the_same_local_day():
    assert CALENDAR.add_working_days(at_jakarta(date(2026, 11, 25)), 0) == end_of(
        date(2026, 11, 25)
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 27), date(2026, 12, 2), 3),  # Friday -> Wednesday
        (date(2026, 11, 23), date(2026, 11, 27), 4),  # Monday -> Friday
        (date(2026, 11, 23), date(2026, 11, 23), 0),  # the same day
        (date(2026, 11, 27), date(2026, 11, 29), 0),  # Friday -> Sunday
        (date(2026, 12, 22), date(2026, 12, 29), 3),  # across Christmas
        (date(2026, 12, 2), date(2026, 11, 27), 0),  # end before start
    ],
)
def test_working_days_between(start, end, expected):
    assert CALENDAR.working_days_between(at_jakarta(start), at_jakarta(end, 15)) == expected


@pytest.mark.parametrize("days", [0, 1, 3, 5, 10, 25])
def test_working_days_between_inverts_add_working_days(days):
    for start in (date(2026, 11, 27), date(2026, 12, 21), date(2026, 8, 13)):
        begin = at_jakarta(start)
        assert CALENDAR.working_days_between(begin, CALENDAR.add_working_days(begin, days)) == days


def test_another_time_zone_changes_the_local_date():
    # 20:00 UTC on Friday is Saturday 03:00 in Jakarta and Friday 15:00 in New York.
    friday_evening_utc = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    new_york = WorkingCalendar("America/New_York")
    due_new_york = new_york.add_working_days(friday_evening_utc, 1)
    assert due_new_york.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 11, 30)
    # In Jakarta it is Saturday already: one working day is still Monday.
    assert CALENDAR.add_working_days(friday_evening_utc, 1) == end_of(date(2026, 11, 30))
    # Thursday 20:00 UTC is Friday in Jakarta but Thursday in New York.
    thursday_evening_utc = friday_evening_utc - timedelta(days=1)
    assert CALENDAR.add_working_days(thursday_evening_utc, 1) == end_of(date(2026, 11, 30))
    assert new_york.add_working_days(thursday_evening_utc, 1).astimezone(
        ZoneInfo("America/New_York")
    ).date() == date(2026, 11, 27)


def test_the_default_policy_uses_the_regulated_limits():
    policy = DeadlinePolicy(CALENDAR)
    monday = at_jakarta(date(2026, 11, 23))
    assert (policy.verify_days, policy.follow_up_days) == (3, 5)
    assert (policy.escalation_days, policy.silence_days, policy.resolution_days) == (5, 10, 60)
    assert policy.verify_due(monday) == end_of(date(2026, 11, 26))
    assert policy.follow_up_due(monday) == end_of(date(2026, 11, 30))
    assert policy.escalation_due(monday) == end_of(date(2026, 11, 30))
    assert policy.reply_due(monday) == end_of(date(2026, 12, 7))
    assert policy.resolution_due(monday) == monday + timedelta(days=60)


def test_the_policy_uses_the_configured_limits():
    policy = DeadlinePolicy(
        CALENDAR,
        verify_days=1,
        follow_up_days=2,
        escalation_days=4,
        silence_days=6,
        resolution_days=7,
    )
    friday = at_jakarta(date(2026, 11, 27))
    assert policy.verify_due(friday) == CALENDAR.add_working_days(friday, 1)
    assert policy.verify_due(friday) == end_of(date(2026, 11, 30))
    assert policy.follow_up_due(friday) == end_of(date(2026, 12, 1))
    assert policy.escalation_due(friday) == end_of(date(2026, 12, 3))
    assert policy.reply_due(friday) == end_of(date(2026, 12, 7))
    # The resolution limit is in calendar days, holidays or not.
    assert policy.resolution_due(friday) == friday + timedelta(days=7)
    assert policy.verify_due(friday) != DeadlinePolicy(CALENDAR).verify_due(friday)
