"""Follow-up deciders: agency replies, reporter replies, and missed deadlines (given events, when
a command or the clock, then events or a refusal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import DeadlineKind, Status, Tier
from events.catalog import (
    ComplaintArchived,
    ComplaintClosed,
    ComplaintReopened,
    DeadlineExtended,
    DispositionAcknowledged,
    DispositionRefused,
    Escalated,
    FollowUpPosted,
    ForwardedToUnit,
    InformationRequested,
    InformationSupplied,
    ReferredToOmbudsman,
    ReporterReplied,
    Resolved,
)
from followup.deadlines import next_due
from intake.domain import decide_reporter_reply
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.given import (
    NOW,
    POLICY,
    REGISTRY,
    START,
    deadlines,
    disposed,
    filed,
    given,
    refused,
    verified,
)
from tests.unit.given import agency_reply as reply
from tests.unit.given import reporter_reply as reporter

UNIT = "kota-bandung.dinas-pupr"
FOLLOW_UP_DUE = POLICY.follow_up_due(START)  # end of Monday 30 November 2026 in Jakarta
LATE = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday morning: the follow-up was missed
REPLY_DUE = POLICY.reply_due(START)  # end of Monday 7 December 2026 in Jakarta
SILENT = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)

AT_BANDUNG = (filed(), verified(), disposed("kota-bandung"))
FORWARDED = (*AT_BANDUNG, ForwardedToUnit(agency_code="kota-bandung", unit_code=UNIT))
FOLLOWED_UP = (
    *AT_BANDUNG,
    FollowUpPosted(agency_code="kota-bandung", message="Sudah ditambal", reply_due=REPLY_DUE),
)


def bandung_replies(action, **fields):
    """When: Kota Bandung, holding the complaint since its disposition, answers."""
    return reply(given(*AT_BANDUNG), "kota-bandung", action, **fields)


def escalated(to_tier, to_agency_code, from_agency_code="kota-bandung", new_due=FOLLOW_UP_DUE):
    return Escalated(
        deadline=DeadlineKind.FOLLOW_UP,
        missed_due=FOLLOW_UP_DUE,
        from_agency_code=from_agency_code,
        to_tier=to_tier,
        to_agency_code=to_agency_code,
        new_due=new_due,
    )


AT_PROVINCE = (*AT_BANDUNG, escalated(Tier.PROVINCE, "prov-jawa-barat"))
AT_NATIONAL_ADMIN = (
    *AT_PROVINCE,
    escalated(Tier.NATIONAL_ADMIN, None, from_agency_code="prov-jawa-barat"),
)


# -- agency replies -----------------------------------------------------------------------------


def test_acknowledge():
    assert bandung_replies("acknowledge") == [DispositionAcknowledged(agency_code="kota-bandung")]


def test_acknowledge_twice_is_refused():
    state = given(*AT_BANDUNG, DispositionAcknowledged(agency_code="kota-bandung"))
    with refused("already_acknowledged"):
        reply(state, "kota-bandung", "acknowledge")


def test_the_tier_a_complaint_escalates_to_can_acknowledge_it():
    """BUG: the fold keeps `acknowledged` from the agency the complaint escalated away from, so
    the province that now holds it cannot acknowledge it."""
    state = given(
        *AT_BANDUNG,
        DispositionAcknowledged(agency_code="kota-bandung"),
        escalated(Tier.PROVINCE, "prov-jawa-barat"),
    )
    assert reply(state, "prov-jawa-barat", "acknowledge") == [
        DispositionAcknowledged(agency_code="prov-jawa-barat")
    ]


def test_forward_to_an_own_work_unit():
    assert bandung_replies("forward", unit_code=UNIT) == [
        ForwardedToUnit(agency_code="kota-bandung", unit_code=UNIT)
    ]


@pytest.mark.parametrize(
    "unit_code", ["kab-bogor.dinas-pupr", "kota-bandung", "kota-atlantis.dinas", None]
)
def test_forward_to_a_unit_that_is_not_yours_is_refused(unit_code):
    with refused("unknown_unit", status=422, field="unit_code"):
        bandung_replies("forward", unit_code=unit_code)


def test_follow_up():
    assert bandung_replies("follow_up", message="Sudah ditambal") == [
        FollowUpPosted(
            agency_code="kota-bandung",
            unit_code=None,
            message="Sudah ditambal",
            resolution_proposed=False,
            reply_due=POLICY.reply_due(NOW),
        )
    ]


def test_follow_up_after_forwarding_names_the_unit():
    [event] = reply(given(*FORWARDED), "kota-bandung", "follow_up", message="Sudah ditambal")
    assert (event.agency_code, event.unit_code) == ("kota-bandung", UNIT)


def test_propose_resolution_with_a_code_rests_in_resolved():
    [event] = bandung_replies(
        "propose_resolution",
        message="Selesai",
        resolution_code="fixed",
    )
    assert isinstance(event, FollowUpPosted)
    assert event.resolution_proposed is True and event.resolution_code == "fixed"
    state = given(*AT_BANDUNG, event)
    assert state.status is Status.RESOLVED and state.resolution_code == "fixed"
    assert state.deadlines[DeadlineKind.REPORTER_REPLY] == event.reply_due


def test_a_proposal_needs_a_known_code():
    with refused("resolution_code_required", status=422, field="resolution_code"):
        bandung_replies("propose_resolution", message="Selesai")
    with refused("resolution_code_required", status=422, field="resolution_code"):
        bandung_replies(
            "propose_resolution",
            message="Selesai",
            resolution_code="magically_gone",
        )


PROPOSED = (
    *AT_BANDUNG,
    FollowUpPosted(
        agency_code="kota-bandung",
        message="Sudah ditambal",
        resolution_proposed=True,
        resolution_code="partially_fixed",
        reply_due=REPLY_DUE,
    ),
)


def test_the_reporter_confirms_a_proposal_with_its_code():
    events = reporter(given(*PROPOSED), "satisfied")
    assert events[1:] == [
        Resolved(resolution_code="partially_fixed", confirmed_by="reporter"),
        ComplaintClosed(reason="resolved", appeal_until=POLICY.appeal_until(NOW)),
    ]


def test_the_reporter_disputes_a_proposal_and_it_is_reopened():
    [_, reopened] = reporter(given(*PROPOSED), "not_satisfied", "Belum selesai")
    assert isinstance(reopened, ComplaintReopened)
    assert given(*PROPOSED, *reporter(given(*PROPOSED), "not_satisfied")).status is (
        Status.IN_FOLLOW_UP
    )


def test_silence_on_a_proposal_confirms_it():
    assert deadlines(given(*PROPOSED), SILENT) == [
        Resolved(resolution_code="partially_fixed", confirmed_by="reporter_silence"),
        ComplaintClosed(reason="resolved", appeal_until=POLICY.appeal_until(SILENT)),
    ]
    assert next_due(given(*PROPOSED)) == REPLY_DUE


def test_the_reporter_rates_once_when_resolved():
    from events.catalog import Rated

    with refused("not_resolved"):
        reporter(given(*AT_BANDUNG), "rate", rating=4)
    with refused("rating_required", status=422, field="rating"):
        reporter(given(*PROPOSED), "rate")
    [rated] = reporter(given(*PROPOSED), "rate", "Cepat", rating=4)
    assert rated == Rated(rating=4, comment="Cepat")
    closed = (*PROPOSED, *reporter(given(*PROPOSED), "satisfied"))
    assert reporter(given(*closed), "rate", rating=5) == [Rated(rating=5)]
    with refused("already_rated"):
        reporter(given(*closed, Rated(rating=5)), "rate", rating=1)


def test_the_reporter_withdraws_an_open_complaint():
    assert reporter(given(*AT_BANDUNG), "withdraw") == [ComplaintClosed(reason="withdrawn")]
    assert given(*AT_BANDUNG, ComplaintClosed(reason="withdrawn")).status is Status.CLOSED


@pytest.mark.parametrize("action", ["follow_up", "propose_resolution"])
def test_a_follow_up_needs_a_message(action):
    with refused("message_required", status=422, field="message"):
        bandung_replies(action, message=None)


def test_a_second_follow_up_before_the_reporter_answers_is_refused():
    with refused("invalid_state"):
        reply(given(*FOLLOWED_UP), "kota-bandung", "follow_up", message="Lagi")


def test_refuse_with_a_reason():
    assert bandung_replies("refuse", reason="Jalan nasional") == [
        DispositionRefused(
            agency_code="kota-bandung", reason="Jalan nasional", verify_due=POLICY.verify_due(NOW)
        )
    ]


def test_refuse_with_a_suggested_agency():
    [event] = bandung_replies(
        "refuse",
        reason="Jalan nasional",
        suggested_agency_code="kemenpu",
    )
    assert event == DispositionRefused(
        agency_code="kota-bandung",
        reason="Jalan nasional",
        suggested_agency_code="kemenpu",
        verify_due=POLICY.verify_due(NOW),
    )
    after = given(*AT_BANDUNG, event)
    assert after.status is Status.VERIFIED
    # Until re-disposed, the national admin's own clock runs.
    assert after.deadlines[DeadlineKind.VERIFICATION] == POLICY.verify_due(NOW)
    assert DeadlineKind.FOLLOW_UP not in after.deadlines
    assert after.refused_by == ("kota-bandung",)
    assert after.agency_code is None


def test_refuse_without_a_reason_is_refused():
    with refused("reason_required", status=422, field="reason"):
        bandung_replies("refuse")


def test_refuse_suggesting_an_unknown_agency_is_refused():
    with refused("unknown_agency", status=422, field="suggested_agency_code"):
        bandung_replies(
            "refuse",
            reason="Bukan wewenang",
            suggested_agency_code="kota-atlantis",
        )


@pytest.mark.parametrize("action", ["acknowledge", "forward", "follow_up", "refuse"])
def test_a_complaint_held_by_another_agency_is_not_yours(action):
    with refused("not_found", status=404):
        reply(
            given(*AT_BANDUNG),
            "kab-bogor",
            action,
            message="x",
            reason="x",
            unit_code="kab-bogor.dinas-pupr",
        )


def test_a_work_unit_acts_through_its_agency():
    # Forwarded to a unit, the complaint is still acted on with the agency's key.
    with refused("not_found", status=404):
        reply(given(*FORWARDED), UNIT, "follow_up", message="Sudah")
    [event] = reply(given(*FORWARDED), "kota-bandung", "follow_up", message="Sudah")
    assert isinstance(event, FollowUpPosted)


def test_a_complaint_held_by_a_work_unit_is_acted_on_by_its_parent_agency():
    state = given(filed(), verified(), disposed(UNIT))
    assert state.agency_code == UNIT
    assert [type(e) for e in reply(state, "kota-bandung", "acknowledge")] == [
        DispositionAcknowledged
    ]
    assert [type(e) for e in reply(state, "kota-bandung", "follow_up", message="Ok")] == [
        FollowUpPosted
    ]
    with refused("not_found", status=404):
        reply(state, UNIT, "acknowledge")


def test_the_agency_an_escalation_reached_can_act():
    [event] = reply(given(*AT_PROVINCE), "prov-jawa-barat", "follow_up", message="Ditangani")
    assert event.agency_code == "prov-jawa-barat"
    with refused("not_found", status=404):
        reply(given(*AT_PROVINCE), "kota-bandung", "follow_up", message="Ditangani")


def test_no_agency_acts_on_a_complaint_at_the_national_admin():
    with refused("not_found", status=404):
        reply(given(*AT_NATIONAL_ADMIN), "prov-jawa-barat", "follow_up", message="x")


def test_no_agency_acts_on_a_complaint_that_does_not_exist():
    with refused("not_found", status=404):
        reply(given(), "kota-bandung", "acknowledge")


# -- reporter replies ---------------------------------------------------------------------------


def test_add_information_on_an_older_stream_restarts_verification_afresh():
    """Streams from before pauses were recorded (no paused_at): as they were handled then."""
    state = given(filed(), InformationRequested(question="Di mana?", requested_by="national_admin"))
    [supplied] = reporter(state, "add_information", "Di depan gedung merdeka")
    assert isinstance(supplied, InformationSupplied)
    assert supplied.verify_due == POLICY.verify_due(NOW)
    assert supplied.deadlines is not None
    assert supplied.deadlines[DeadlineKind.VERIFICATION] == POLICY.verify_due(NOW)
    asked = InformationRequested(question="Di mana?", requested_by="national_admin")
    assert given(filed(), asked, supplied).status is Status.FILED


def test_a_pause_for_the_reporter_keeps_the_time_left():
    """The national admin asked a day into the 3-working-day clock; the reporter answered a
    week later: verification goes on with the time it had left, not a fresh clock."""
    asked_at = START + timedelta(days=1)
    answered_at = START + timedelta(days=8)
    first = filed()
    asked = InformationRequested(
        question="Di mana?", requested_by="national_admin", paused_at=asked_at
    )
    state = given(first, asked)
    assert state.status is Status.AWAITING_REPORTER and state.clocks_paused
    assert deadlines(state, answered_at) == []  # no clock runs while paused
    [supplied] = reporter(state, "add_information", "Di depan", now=answered_at)
    left = first.verify_due - asked_at
    assert supplied.verify_due == answered_at + left
    assert supplied.deadlines[DeadlineKind.RESOLUTION] == answered_at + (
        first.resolution_due - asked_at
    )
    resumed = given(first, asked, supplied)
    assert resumed.status is Status.FILED and not resumed.clocks_paused


def test_add_information_at_other_times_is_a_comment():
    assert reporter(given(*AT_BANDUNG), "add_information", "Makin parah") == [
        ReporterReplied(message="Makin parah")
    ]


def test_add_information_needs_a_message():
    with refused("message_required", status=422, field="message"):
        reporter(given(*AT_BANDUNG), "add_information", None)


def test_satisfied_after_a_follow_up_resolves_and_closes():
    events = reporter(given(*FOLLOWED_UP), "satisfied", "Terima kasih")
    assert events == [
        ReporterReplied(satisfied=True, message="Terima kasih"),
        Resolved(resolution_code="fixed", confirmed_by="reporter"),
        ComplaintClosed(reason="resolved", appeal_until=POLICY.appeal_until(NOW)),
    ]
    after = given(*FOLLOWED_UP, *events)
    assert (after.status, after.closed_reason) == (Status.CLOSED, "resolved")


def test_not_satisfied_reopens():
    assert reporter(given(*FOLLOWED_UP), "not_satisfied", "Masih berlubang") == [
        ReporterReplied(satisfied=False, message="Masih berlubang"),
        ComplaintReopened(
            reason="the reporter is not satisfied", follow_up_due=POLICY.follow_up_due(NOW)
        ),
    ]


def test_not_satisfied_without_a_message_has_a_default_reason():
    [_, reopened] = reporter(given(*FOLLOWED_UP), "not_satisfied")
    assert reopened.reason == "the reporter is not satisfied"


def test_the_reporters_words_stay_out_of_the_public_reopen_reason():
    # The public timeline shows the reason; the reporter's message may hold personal details.
    replied, reopened = reporter(given(*FOLLOWED_UP), "not_satisfied", "Hubungi 0812-9999-1111")
    assert replied.message == "Hubungi 0812-9999-1111"
    assert "0812" not in reopened.reason


def test_a_blank_not_satisfied_message_is_not_a_crash():
    """BUG: the intake API accepts a message of spaces (min_length=1); the decider builds
    ComplaintReopened(reason="   "), whose ShortText strips it to "" and raises a pydantic
    ValidationError (an HTTP 500) instead of using the default reason or refusing."""
    try:
        events = reporter(given(*FOLLOWED_UP), "not_satisfied", "   ")
    except Refused as refusal:
        assert refusal.kind is RefusalKind.INVALID
    else:
        assert isinstance(events[-1], ComplaintReopened)
        assert events[-1].reason.strip()


@pytest.mark.parametrize("action", ["satisfied", "not_satisfied"])
def test_answering_before_any_follow_up_is_refused(action):
    with refused("no_follow_up"):
        reporter(given(*AT_BANDUNG), action, "ok")


@pytest.mark.parametrize(
    "ending", [ComplaintClosed(reason="resolved"), ComplaintArchived(reason_code="spam")]
)
@pytest.mark.parametrize("action", ["add_information", "satisfied", "refer_to_ombudsman"])
def test_a_closed_complaint_takes_no_reply(ending, action):
    with refused("closed"):
        reporter(given(*FOLLOWED_UP, ending), action, "halo", now=START + timedelta(days=90))


def test_no_reply_to_a_complaint_that_does_not_exist():
    with refused("not_found", status=404):
        reporter(given(), "add_information", "halo")


def test_refer_to_the_ombudsman_before_the_resolution_deadline_is_too_early():
    state = given(*AT_BANDUNG)
    with refused("too_early"):
        reporter(state, "refer_to_ombudsman", now=START + timedelta(days=59))
    with refused("too_early"):  # at the deadline itself, still too early
        reporter(state, "refer_to_ombudsman", now=POLICY.resolution_due(START))


def test_refer_to_the_ombudsman_after_the_resolution_deadline():
    later = START + timedelta(days=61)
    assert reporter(given(*AT_BANDUNG), "refer_to_ombudsman", now=later) == [
        ReferredToOmbudsman(
            reason="reporter_request",
            consent_given_at=later,
            days_open=61,
            ombudsman_code="ombudsman-ri",
            findings_due=POLICY.findings_due(later),
        )
    ]


def test_without_a_resolution_clock_there_is_no_referral():
    with refused("too_early"):
        reporter(
            given(filed(resolution_due=None)),
            "refer_to_ombudsman",
            now=START + timedelta(days=400),
        )


# -- missed deadlines ---------------------------------------------------------------------------


def test_a_unit_that_misses_the_follow_up_escalates_to_its_agency():
    assert deadlines(given(*FORWARDED), LATE) == [
        Escalated(
            deadline=DeadlineKind.FOLLOW_UP,
            missed_due=FOLLOW_UP_DUE,
            from_agency_code=UNIT,
            to_tier=Tier.AGENCY,
            to_agency_code="kota-bandung",
            new_due=POLICY.escalation_due(LATE),
        )
    ]


def test_a_city_that_misses_the_follow_up_escalates_to_its_province():
    [event] = deadlines(given(*AT_BANDUNG), LATE)
    assert (event.from_agency_code, event.to_tier, event.to_agency_code) == (
        "kota-bandung",
        Tier.PROVINCE,
        "prov-jawa-barat",
    )
    assert event.missed_due == FOLLOW_UP_DUE


def test_an_acknowledged_disposition_still_escalates():
    state = given(*AT_BANDUNG, DispositionAcknowledged(agency_code="kota-bandung"))
    assert [e.to_agency_code for e in deadlines(state, LATE)] == ["prov-jawa-barat"]


def test_a_province_that_misses_the_follow_up_escalates_to_the_national_admin():
    [event] = deadlines(given(*AT_PROVINCE), LATE)
    assert (event.from_agency_code, event.to_tier, event.to_agency_code) == (
        "prov-jawa-barat",
        Tier.NATIONAL_ADMIN,
        None,
    )
    assert event.new_due == POLICY.escalation_due(LATE)


def test_at_the_national_admin_nothing_escalates_further():
    assert deadlines(given(*AT_NATIONAL_ADMIN), LATE + timedelta(days=30)) == []


@pytest.mark.parametrize("now", [NOW, FOLLOW_UP_DUE])
def test_nothing_before_the_follow_up_is_due(now):
    assert deadlines(given(*AT_BANDUNG), now) == []


def test_an_extended_deadline_is_not_missed():
    state = given(
        *AT_BANDUNG,
        DeadlineExtended(
            deadline=DeadlineKind.FOLLOW_UP,
            new_due=LATE + timedelta(days=7),
            justification="Menunggu anggaran",
        ),
    )
    assert deadlines(state, LATE) == []
    assert [type(e) for e in deadlines(state, LATE + timedelta(days=8))] == [Escalated]


def test_a_reopened_complaint_escalates_when_the_new_follow_up_is_missed():
    reopen_due = SILENT
    state = given(
        *FOLLOWED_UP, ComplaintReopened(reason="Masih berlubang", follow_up_due=reopen_due)
    )
    assert deadlines(state, LATE) == []
    [event] = deadlines(state, reopen_due + timedelta(hours=1))
    assert event.missed_due == reopen_due


def test_reporter_silence_after_a_follow_up_closes_the_complaint():
    assert deadlines(given(*FOLLOWED_UP), SILENT) == [
        ComplaintClosed(reason="reporter_silence", appeal_until=POLICY.appeal_until(SILENT))
    ]
    assert deadlines(given(*FOLLOWED_UP), REPLY_DUE) == []
    # The agency answered in time: its follow-up clock is stopped, nothing escalates.
    assert deadlines(given(*FOLLOWED_UP), LATE) == []


def test_paused_clocks_do_not_run():
    state = given(*AT_BANDUNG, InformationRequested(question="Foto?", requested_by="agency"))
    assert state.clocks_paused
    assert deadlines(state, LATE + timedelta(days=30)) == []
    assert next_due(state) is None


@pytest.mark.parametrize(
    "ending", [ComplaintClosed(reason="withdrawn"), ComplaintArchived(reason_code="spam")]
)
def test_closed_complaints_have_no_deadlines(ending):
    state = given(*AT_BANDUNG, ending)
    assert deadlines(state, LATE + timedelta(days=30)) == []
    assert next_due(state) is None


def test_next_due():
    # Before disposition the national admin's clock runs; the scan only watches the
    # resolution limit (then the Ombudsman).
    assert next_due(given(filed())) == POLICY.resolution_due(START)
    assert next_due(given(*AT_BANDUNG)) == FOLLOW_UP_DUE
    assert next_due(given(*FORWARDED)) == FOLLOW_UP_DUE
    assert next_due(given(*FOLLOWED_UP)) == REPLY_DUE
    assert next_due(given(*AT_NATIONAL_ADMIN)) == POLICY.resolution_due(START)


@pytest.mark.parametrize("events", [AT_BANDUNG, FORWARDED, FOLLOWED_UP, AT_PROVINCE])
def test_next_due_is_when_the_deadlines_start_to_act(events):
    state = given(*events)
    due = next_due(state)
    assert due is not None
    assert deadlines(state, due) == []
    assert deadlines(state, due + timedelta(microseconds=1)) != []


def test_escalation_skips_a_tier_that_refused_the_complaint():
    state = given(
        filed(),
        verified(),
        disposed("prov-jawa-barat"),
        DispositionRefused(agency_code="prov-jawa-barat", reason="Bukan wewenang provinsi"),
        disposed("kota-bandung"),
    )
    [escalation] = deadlines(state, LATE)
    assert escalation.from_agency_code == "kota-bandung"
    assert (escalation.to_tier, escalation.to_agency_code) == (Tier.NATIONAL_ADMIN, None)


def test_a_reporter_comment_on_a_follow_up_restarts_the_silence_clock():
    """A comment is not silence: the complaint no longer closes on the first clock."""

    commented_at = SILENT - timedelta(days=1)
    [comment] = decide_reporter_reply(
        given(*FOLLOWED_UP),
        action="add_information",
        message="Masih berlubang di sisi kiri",
        now=commented_at,
        policy=POLICY,
        registry=REGISTRY,
    )
    assert isinstance(comment, ReporterReplied)
    assert comment.reply_due == POLICY.reply_due(commented_at) and comment.reply_due > SILENT
    state = given(*FOLLOWED_UP, comment)
    assert state.deadlines[DeadlineKind.REPORTER_REPLY] == comment.reply_due
    assert deadlines(state, SILENT) == []
    later = comment.reply_due + timedelta(minutes=1)
    assert deadlines(state, later) == [
        ComplaintClosed(reason="reporter_silence", appeal_until=POLICY.appeal_until(later))
    ]


def extension(state, until, reason="Menunggu anggaran perbaikan", count=2, days=10):
    from followup.domain import ExtensionLimits

    return reply(
        state,
        "kota-bandung",
        "request_extension",
        reason=reason,
        extend_until=until,
        limits=ExtensionLimits(count, days),
    )


def test_the_rule_grants_an_extension_within_its_limits():
    state = given(*AT_BANDUNG)
    until = POLICY.calendar.add_working_days(FOLLOW_UP_DUE, 5)
    [extended] = extension(state, until)
    assert extended == DeadlineExtended(
        deadline=DeadlineKind.FOLLOW_UP,
        new_due=until,
        justification="Menunggu anggaran perbaikan",
        requested_by="kota-bandung",
        granted_by="rule",
    )
    after = given(*AT_BANDUNG, extended)
    assert after.deadlines[DeadlineKind.FOLLOW_UP] == until and after.extensions == 1
    assert deadlines(after, LATE) == []  # the old deadline no longer escalates


def test_the_rule_refuses_too_many_or_too_long_extensions():
    state = given(*AT_BANDUNG)
    too_long = POLICY.calendar.add_working_days(FOLLOW_UP_DUE, 11)
    with refused("extension_limit", field="extend_until"):
        extension(state, too_long)
    first = extension(state, POLICY.calendar.add_working_days(FOLLOW_UP_DUE, 2))
    again = given(*AT_BANDUNG, *first)
    with refused("extension_limit", field="extend_until"):
        extension(again, POLICY.calendar.add_working_days(FOLLOW_UP_DUE, 4), count=1)
    with refused("not_later", status=422, field="extend_until"):
        extension(state, FOLLOW_UP_DUE)
    with refused("extension_incomplete", status=422, field="reason"):
        extension(state, too_long, reason=None)


def test_reopens_are_bounded():
    reopened = ComplaintReopened(reason="tidak puas", follow_up_due=FOLLOW_UP_DUE)
    again = FollowUpPosted(agency_code="kota-bandung", message="Lagi", reply_due=REPLY_DUE)
    state = given(*FOLLOWED_UP, reopened, again, reopened, again)
    assert state.reopen_count == 2
    assert reporter(state, "not_satisfied")  # the third is allowed with the default of 3
    with refused("reopen_limit"):
        decide_reporter_reply(
            state,
            action="not_satisfied",
            message=None,
            now=NOW,
            policy=POLICY,
            max_reopens=2,
            registry=REGISTRY,
        )
