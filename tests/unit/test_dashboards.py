"""The dashboards' numbers over the fakes: the performance index formula and grades, the
overview and its gap-free trends, the drill-down levels, and the page's language choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.messages import AgencyReply
from followup.handlers import ReplyAsAgency
from followup.handlers import handle as followup
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from reporting.dashboard_page import language, render
from reporting.dashboards import Drilldown, Overview, Performance, every_period, periods_before
from reporting.handlers import handle
from reporting.performance import GroupCounts, IndexWeights, grade_of, index_of, ranked, scored
from services.kernel.refusals import Refused
from tests.unit.fakes import fake_system, submission

EVEN = IndexWeights()


def test_a_perfect_group_scores_100_and_a_group_that_received_nothing_has_no_index():
    perfect = GroupCounts(
        "a",
        filed=4,
        received=4,
        resolved=4,
        resolved_in_time=4,
        timely_first=4,
        rated=4,
        rating_points=20,
    )
    assert index_of(perfect, EVEN) == 100.0
    assert index_of(GroupCounts("b", filed=3), EVEN) is None
    assert grade_of(None, 75, 50) is None


def test_the_index_weighs_each_component_and_skips_satisfaction_without_ratings():
    counts = GroupCounts(
        "a", received=10, timely_first=5, resolved_in_time=2, escalated=5, refused=1, reopened=0
    )
    # timeliness .5, resolution .2, escalations .5, refusals .9, reopens 1; no ratings
    expected = 100 * (0.25 * 0.5 + 0.25 * 0.2 + 0.15 * 0.5 + 0.10 * 0.9 + 0.10 * 1) / 0.85
    assert index_of(counts, EVEN) == round(expected, 1)
    only_timeliness = IndexWeights(
        resolution=0, escalations=0, refusals=0, reopens=0, satisfaction=0
    )
    assert index_of(counts, only_timeliness) == 50.0
    rated = GroupCounts("a", received=10, timely_first=5, rated=2, rating_points=6)  # mean 3
    assert scored(rated, EVEN, 75, 50)["components"]["satisfaction"] == 0.5


@pytest.mark.parametrize(
    ("index", "grade"), [(75, "Baik"), (74.9, "Sedang"), (50, "Sedang"), (49.9, "Kurang")]
)
def test_grades_follow_the_thresholds(index, grade):
    assert grade_of(index, 75, 50) == grade


def test_the_ranking_puts_the_best_first_and_the_ungraded_last():
    rows = [
        {"code": "c", "index": None},
        {"code": "a", "index": 40.0},
        {"code": "b", "index": 90.0},
    ]
    assert [(r["code"], r["rank"]) for r in ranked(rows)] == [("b", 1), ("a", 2), ("c", None)]


def test_trends_have_every_period_even_without_complaints():
    now = datetime(2026, 11, 30, 20, tzinfo=UTC)  # Tuesday 1 December in Jakarta
    weeks = periods_before(now, "Asia/Jakarta", "week", 3)
    assert weeks == ["2026-11-16", "2026-11-23", "2026-11-30"]
    assert periods_before(now, "Asia/Jakarta", "month", 2) == ["2026-11-01", "2026-12-01"]
    filled = every_period([{"period": "2026-11-23", "filed": 2, "resolved": 1}], weeks)
    assert [r["filed"] for r in filled] == [0, 2, 0]


async def test_overview_performance_and_drilldown_agree_with_what_happened():
    system = fake_system()
    filings = [
        await intake(FileComplaint(submission(region_code=region), "web"), system.intake)
        for region in ("32.73", "32.73", "32.01")
    ]
    for filing in filings:
        await system.deliver(filing.complaint_id)
    reply = AgencyReply(action="follow_up", message="Sedang diperbaiki")
    await followup(ReplyAsAgency("kota-bandung", filings[0].complaint_id, reply), system.followup)
    await system.deliver(filings[0].complaint_id)

    overview = await handle(Overview(), system.reporting)
    totals = overview["totals"]
    assert (totals["filed"], totals["received"], totals["open"], totals["timely_first"]) == (
        3,
        3,
        3,
        1,
    )
    assert len(overview["trends"]["week"]) == 12 and overview["trends"]["week"][-1]["filed"] == 3

    by_agency = await handle(Performance("agency"), system.reporting)
    assert [r["code"] for r in by_agency["rows"]] == ["kota-bandung", "kab-bogor"]
    assert by_agency["rows"][0]["index"] > by_agency["rows"][1]["index"]
    assert by_agency["rows"][0]["name"] == "Pemerintah Kota Bandung"

    national = await handle(Drilldown(), system.reporting)
    assert national["level"] == "national" and national["child_level"] == "province"
    assert [(c["code"], c["filed"]) for c in national["children"]] == [("32", 3)]
    province = await handle(Drilldown(province="32"), system.reporting)
    assert {c["code"]: c["filed"] for c in province["children"]} == {
        "kota-bandung": 2,
        "kab-bogor": 1,
    }
    agency = await handle(Drilldown(province="32", agency="kota-bandung"), system.reporting)
    assert agency["child_level"] == "unit" and agency["totals"]["filed"] == 2
    with pytest.raises(Refused) as refused:
        await handle(Drilldown(agency="kota-bandung"), system.reporting)
    assert refused.value.field == "province"


async def test_overdue_rows_are_those_past_a_deadline():
    system = fake_system()
    filing = await intake(FileComplaint(submission(), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    models = system.reporting.read_models
    assert (await models.complaints(overdue_at=system.clock.now(), limit=10, offset=0))[0] == 0
    later = system.clock.now() + timedelta(days=30)
    assert (await models.complaints(overdue_at=later, limit=10, offset=0))[0] == 1


@pytest.mark.parametrize(
    ("asked", "accept", "chosen"),
    [
        (None, None, "id"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.3, id;q=0.8", "id"),
        (None, "de", "id"),
        ("en", "id-ID", "en"),
        (None, "en;q=0, id;q=0.1", "id"),
        (None, "en;q=abc", "id"),
    ],
)
def test_the_page_language_is_asked_for_else_the_browsers_else_bahasa(asked, accept, chosen):
    assert language(asked, accept) == chosen


def test_the_page_inlines_only_its_language_and_cannot_be_broken_out_of():
    page = render("en")
    assert '<html lang="en">' in page and "National Complaints Dashboard" in page
    assert "Dasbor Pengaduan Nasional" not in page
    assert "</script>" not in page.split('id="strings">')[1].split("</script>")[0]
