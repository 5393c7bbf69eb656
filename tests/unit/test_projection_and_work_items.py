"""The read-model projection, the agency work items, and routing's table of event reactions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from events import ALL_EVENT_TYPES, DeadlineKind, Tier, envelope_from_record, replay
from events import catalog as ev
from reporting.projection import COMPLAINT_COLUMNS, FACT_COLUMNS, UNKNOWN_PROVINCE, project
from routing.reactions import EVENT_HANDLERS, publish_work
from routing.work_items import build_work_item, reason_for
from tests.unit.given import (
    CALENDAR,
    COMPLAINT_ID,
    POLICY,
    START,
    disposed,
    filed,
    given,
    stream,
    verified,
)

UNIT = "kota-bandung.dinas-pupr"
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 09:00 in Jakarta
MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

# Filed on a Friday, refused once, re-disposed, forwarded, escalated back to the city, followed
# up on the Tuesday after next, and closed when the reporter is satisfied.
LIFE = [
    (FRIDAY, filed()),
    (FRIDAY + MINUTE, verified()),
    (FRIDAY + 2 * MINUTE, disposed("kab-bogor", follow_up_due=POLICY.follow_up_due(FRIDAY))),
    (
        FRIDAY + timedelta(hours=1),
        ev.DispositionRefused(
            agency_code="kab-bogor",
            reason="Bukan wilayah kami",
            suggested_agency_code="kota-bandung",
        ),
    ),
    (
        FRIDAY + timedelta(hours=1) + MINUTE,
        disposed("kota-bandung", follow_up_due=POLICY.follow_up_due(FRIDAY)),
    ),
    (MONDAY, ev.ForwardedToUnit(agency_code="kota-bandung", unit_code=UNIT)),
    (
        SATURDAY,
        ev.Escalated(
            deadline=DeadlineKind.FOLLOW_UP,
            missed_due=POLICY.follow_up_due(FRIDAY),
            from_agency_code=UNIT,
            to_tier=Tier.AGENCY,
            to_agency_code="kota-bandung",
            new_due=POLICY.escalation_due(SATURDAY),
        ),
    ),
    (
        TUESDAY,
        ev.FollowUpPosted(
            agency_code="kota-bandung",
            message="Sudah ditambal",
            reply_due=POLICY.reply_due(TUESDAY),
        ),
    ),
    (WEDNESDAY, ev.ReporterReplied(satisfied=True, message="Terima kasih")),
    (WEDNESDAY, ev.Resolved(resolution_code="fixed", confirmed_by="reporter")),
    (WEDNESDAY, ev.ComplaintClosed(reason="resolved")),
]
LIFE_STREAM = stream(*(p for _, p in LIFE), times=[t for t, _ in LIFE])


def row_of(stream_):
    projected = project(stream_, CALENDAR)
    assert len(projected.row) == len(COMPLAINT_COLUMNS)
    return dict(zip(COMPLAINT_COLUMNS, projected.row, strict=True)), projected


# -- projection ---------------------------------------------------------------------------------


def test_a_whole_life_projects_to_a_closed_row():
    row, _ = row_of(LIFE_STREAM)
    assert row["complaint_id"] == COMPLAINT_ID
    assert row["tracking_id"] == "lpr-abcd-efgh-jkmn"
    assert row["status"] == "closed"
    assert row["closed_reason"] == "resolved"
    assert row["resolution_code"] == "fixed"
    assert row["closed_at"] == WEDNESDAY
    assert row["filed_at"] == FRIDAY
    assert row["first_disposed_at"] == FRIDAY + 2 * MINUTE
    assert row["first_follow_up_at"] == TUESDAY
    assert row["first_follow_up_agency"] == "kota-bandung"
    assert (row["escalations"], row["refusals"], row["reopen_count"]) == (1, 1, 0)
    assert (row["region_code"], row["province_code"]) == ("32.73", "32")
    assert (row["version"], row["last_event_at"]) == (len(LIFE), WEDNESDAY)
    # A closed complaint has no running clocks.
    assert (row["verify_due"], row["follow_up_due"], row["reply_due"]) == (None, None, None)


def test_days_to_first_follow_up_are_working_days():
    row, _ = row_of(LIFE_STREAM)
    # Friday 27 November -> Tuesday 8 December: Mon..Fri, Mon, Tue = 7 working days.
    assert row["days_to_first_follow_up"] == 7
    assert row["days_to_first_follow_up"] == CALENDAR.working_days_between(FRIDAY, TUESDAY)
    assert row["days_to_first_follow_up"] != (TUESDAY - FRIDAY).days


def test_facts_count_receipts_refusals_and_escalations_per_agency():
    _, projected = row_of(LIFE_STREAM)
    assert len(FACT_COLUMNS) == 4
    facts = {(agency, fact): times for _, agency, fact, times in projected.facts}
    assert facts == {
        ("kab-bogor", "received"): 1,
        ("kab-bogor", "refused"): 1,
        ("kota-bandung", "received"): 2,  # disposed, then escalated to
        (UNIT, "escalated_from"): 1,
    }
    assert all(cid == COMPLAINT_ID for cid, *_ in projected.facts)
    assert projected.agencies == {"kab-bogor", "kota-bandung", UNIT}
    assert projected.province == "32"


def test_an_open_complaint_without_follow_up():
    row, projected = row_of(stream(filed(region_code=None), verified(region_code=None)))
    assert row["status"] == "verified"
    assert row["days_to_first_follow_up"] is None
    assert row["first_follow_up_agency"] is None
    assert row["closed_at"] is None
    assert row["province_code"] == UNKNOWN_PROVINCE
    assert row["verify_due"] == POLICY.verify_due(START)
    assert projected.facts == []


def test_projecting_the_same_stream_twice_gives_equal_rows():
    first, second = project(LIFE_STREAM, CALENDAR), project(LIFE_STREAM, CALENDAR)
    assert first.row == second.row
    assert sorted(first.facts) == sorted(second.facts)
    assert first == second


def test_projecting_the_stored_form_gives_the_same_row():
    stored = [envelope_from_record(json.loads(json.dumps(e.to_record()))) for e in LIFE_STREAM]
    assert project(stored, CALENDAR) == project(LIFE_STREAM, CALENDAR)


# -- work items ---------------------------------------------------------------------------------

REPORTER = {"name": "Siti Rahayu", "phone": "+62 812-3456-7890", "email": "siti@example.id"}


def item_for(*payloads, reporter=REPORTER):
    envelopes = stream(*payloads)
    state = replay(envelopes)
    cause = envelopes[-1]
    return build_work_item(cause, "disposed", "lapor.agency.x.v1", state, envelopes, reporter)


def test_an_anonymous_complaint_never_carries_the_reporter():
    item = item_for(filed(anonymous=True, reporter_ref=None), verified(anonymous=True), disposed())
    assert item.anonymous is True
    assert item.reporter is None
    assert "Siti" not in item.model_dump_json()


def test_made_anonymous_at_verification_drops_the_reporter():
    item = item_for(filed(anonymous=False), verified(anonymous=True), disposed())
    assert item.reporter is None


def test_a_named_complaint_carries_the_reporter():
    item = item_for(filed(), verified(), disposed())
    assert item.reporter is not None
    assert (item.reporter.name, item.reporter.phone, item.reporter.email) == (
        "Siti Rahayu",
        "+62 812-3456-7890",
        "siti@example.id",
    )


def test_a_work_item_describes_the_complaint_at_its_cause():
    payloads = (
        filed(),
        ev.InformationRequested(question="Foto?", requested_by=Tier.NATIONAL_ADMIN),
        ev.InformationSupplied(message="Foto terlampir", verify_due=POLICY.verify_due(FRIDAY)),
        verified(),
        disposed(),
        ev.ReporterReplied(message="Tambahan: makin parah"),
    )
    envelopes = stream(*payloads)
    cause = envelopes[4]
    at_cause = replay(envelopes[:5])
    item = build_work_item(cause, "disposed", "q", at_cause, envelopes, None)
    assert item.reporter_messages == []  # the comment came later
    comment = build_work_item(
        envelopes[5], "reporter_replied", "q", replay(envelopes), envelopes, None
    )
    assert comment.reporter_messages == ["Tambahan: makin parah"]
    assert item.work_item_id == cause.event_id
    assert (item.version, item.agency_code, item.unit_code) == (5, "kota-bandung", None)
    assert item.additional_information == ["Foto terlampir"]
    assert item.follow_up_due == POLICY.follow_up_due(START)
    assert item.description == filed().description
    assert item.reporter is None  # no contact given


@pytest.mark.parametrize(
    ("payload", "refusals", "expected"),
    [
        (disposed(), 0, "disposed"),
        (ev.ForwardedToUnit(agency_code="kota-bandung", unit_code=UNIT), 0, "forwarded"),
        (LIFE[6][1], 0, "escalated"),
        (ev.ComplaintReopened(reason="Belum", follow_up_due=FRIDAY), 0, "reopened"),
        (LIFE[3][1], 2, "needs_disposition"),
        (LIFE[3][1], 1, "needs_disposition"),  # routing publishes it only if nothing follows
        (LIFE[7][1], 0, None),
        (filed(), 0, None),
        (ev.ComplaintClosed(reason="resolved"), 0, None),
    ],
)
def test_reason_for(payload, refusals, expected):
    refusers = ("kab-bogor", "kota-bandung", "kemenpu")[:refusals]
    state = given(
        filed(),
        verified(),
        *(ev.DispositionRefused(agency_code=code, reason="Bukan wewenang") for code in refusers),
    )
    assert state.refusals == refusals
    assert reason_for(payload, 2, state) == expected


# -- routing's reactions ------------------------------------------------------------------------

IGNORED: dict[type[ev.Event], str] = {
    ev.ComplaintArchived: "terminal: only the queue table changes",
    ev.ComplaintDeferred: "waits for the national admin to resume it",
    ev.InformationRequested: "waits for the reporter; the clocks are paused",
    ev.DispositionAcknowledged: "the agency already has the work item",
    ev.FollowUpPosted: "the reporter answers next; followup watches the reply clock",
    ev.DeadlineExtended: "only moves a clock, which followup watches",
    ev.Resolved: "ComplaintClosed follows in the same decision",
    ev.Rated: "feeds the agency facts (reporting); nothing to route",
    ev.ComplaintClosed: "terminal: only the queue table changes",
    ev.OmbudsmanFindingsIssued: "the Ombudsman's own conclusion: nothing to route",
    ev.ComplaintImported: "provenance: the lifecycle events beside it are routed",
    ev.StepImported: "provenance: the lifecycle events beside it are routed",
    ev.PersonalDataErased: "intake's vault concern; routing holds no personal data",
    ev.ComplaintTagged: "a classification for the dashboards: nothing to route",
}


def test_every_event_type_is_handled_by_routing_or_explicitly_ignored():
    handled, ignored, every = set(EVENT_HANDLERS), set(IGNORED), set(ALL_EVENT_TYPES)
    assert not handled & ignored, handled & ignored
    assert handled <= every, handled - every
    assert ignored <= every, ignored - every
    assert every == handled | ignored, every - handled - ignored


def test_every_event_routing_publishes_work_for_has_a_work_reason():
    samples = {
        ev.Disposed: disposed(),
        ev.ForwardedToUnit: ev.ForwardedToUnit(agency_code="kota-bandung", unit_code=UNIT),
        ev.Escalated: LIFE[6][1],
        ev.ComplaintReopened: ev.ComplaintReopened(reason="Belum", follow_up_due=FRIDAY),
        ev.ReporterReplied: ev.ReporterReplied(message="Tambahan"),
        ev.Appealed: ev.Appealed(
            reviewer_tier="province", reviewer_code="prov-jawa-barat", review_due=FRIDAY
        ),
        ev.AppealDecided: ev.AppealDecided(
            outcome="reopened",
            reviewer_tier="province",
            reviewer_code="prov-jawa-barat",
            reason="Belum tuntas",
            agency_code="kota-bandung",
            follow_up_due=FRIDAY,
        ),
        ev.ReferredToOmbudsman: ev.ReferredToOmbudsman(
            reason="resolution_limit", days_open=61, ombudsman_code="ombudsman-ri"
        ),
    }
    publishing = {t for t, h in EVENT_HANDLERS.items() if h is publish_work}
    assert publishing == set(samples)
    for event_type, sample in samples.items():
        after = given(filed(), verified(), disposed(), sample)  # as routing sees it
        assert reason_for(sample, 2, after) is not None, event_type


def test_a_reporter_comment_reaches_the_agency_holding_the_complaint():
    comment = ev.ReporterReplied(message="Sudah makin parah")
    held = given(filed(), verified(), disposed())
    assert reason_for(comment, 2, held) == "reporter_replied"
    assert reason_for(comment, 2, given(filed())) is None  # nobody holds it yet
    assert reason_for(ev.ReporterReplied(satisfied=True), 2, held) is None


def test_a_paused_complaint_is_never_counted_overdue():
    """Deferred, or awaiting the reporter: no running deadline in the read model."""
    deferred, _ = row_of(stream(filed(), ev.ComplaintDeferred(reason="tunda", paused_at=START)))
    assert deferred["status"] == "deferred" and deferred["verify_due"] is None
    asked = ev.InformationRequested(
        question="Di mana?", requested_by=Tier.NATIONAL_ADMIN, paused_at=START
    )
    waiting, _ = row_of(stream(filed(), asked))
    assert waiting["status"] == "awaiting_reporter" and waiting["verify_due"] is None


def test_a_rating_feeds_the_facts_of_the_agency_that_handled_it():
    proposal = ev.FollowUpPosted(
        agency_code="kota-bandung",
        message="Sudah ditambal",
        resolution_proposed=True,
        resolution_code="fixed",
        reply_due=POLICY.reply_due(START),
    )
    _, projected = row_of(
        stream(filed(), verified(), disposed(), proposal, ev.Rated(rating=4, comment="Cepat"))
    )
    facts = {(agency, fact): times for _, agency, fact, times in projected.facts}
    assert facts[("kota-bandung", "rated")] == 1
    assert facts[("kota-bandung", "rating_points")] == 4


def test_the_read_model_table_accepts_every_kind_of_agency_fact():
    """PostgreSQL checks the fact kinds: the latest migration that sets the check names
    exactly the kinds the projection records (or the consumer would dead-letter them)."""
    import re
    from pathlib import Path

    from reporting.projection import FACTS

    migrations = sorted((Path(__file__).parents[2] / "services/platform/migrations").glob("*.sql"))
    latest = [m.read_text() for m in migrations if "fact IN" in m.read_text()][-1]
    listed = re.search(r"fact IN \(([^)]*)\)", latest)
    assert listed is not None
    assert set(re.findall(r"'([a-z_]+)'", listed.group(1))) == set(FACTS)
