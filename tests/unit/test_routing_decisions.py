"""Routing deciders: given events, when the national admin (or routing itself) decides, then
events or a refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from events import DeadlineKind, Status, Tier
from events.catalog import (
    ComplaintArchived,
    ComplaintClosed,
    ComplaintDeferred,
    ComplaintResumed,
    ComplaintVerified,
    Disposed,
    DispositionRefused,
    Escalated,
    FollowUpPosted,
    InformationRequested,
    InformationSupplied,
)
from routing.domain import (
    awaits_national_admin,
    clear_answer,
    decide_archive,
    decide_auto_disposition,
    decide_defer,
    decide_dispose,
    decide_request_information,
    decide_resume,
    decide_verify,
    national_admin_due,
)
from tests.unit.given import (
    NOW,
    POLICY,
    REGISTRY,
    START,
    disposed,
    filed,
    given,
    refused,
    verified,
)

FOLLOW_UP_DUE = POLICY.follow_up_due(NOW)


def verify(state, category="jalan", **changes):
    fields = dict(
        registry=REGISTRY,
        title=None,
        category=category,
        region_code=None,
        anonymous=None,
        confidential=None,
    )
    return decide_verify(state, **{**fields, **changes})


def dispose(state, agency_code, **changes):
    return decide_dispose(
        state, agency_code=agency_code, registry=REGISTRY, now=NOW, policy=POLICY, **changes
    )


def auto(state, max_refusals=2, suggested_agency=None):
    return decide_auto_disposition(
        state,
        registry=REGISTRY,
        now=NOW,
        policy=POLICY,
        max_refusals=max_refusals,
        suggested_agency=suggested_agency,
    )


def refusal(agency_code, suggested=None):
    return DispositionRefused(
        agency_code=agency_code, reason="bukan wewenang", suggested_agency_code=suggested
    )


JAKARTA_REFUSED = (
    filed(category="transportasi", region_code="31.74"),
    verified(category="transportasi", region_code="31.74"),
    disposed("prov-dki-jakarta"),
    refusal("prov-dki-jakarta"),
)
"""A transport complaint in Jakarta that the province refused without a suggestion."""


def escalated(to_tier, to_agency_code, from_agency_code="kota-bandung"):
    return Escalated(
        deadline=DeadlineKind.FOLLOW_UP,
        missed_due=POLICY.follow_up_due(START),
        from_agency_code=from_agency_code,
        to_tier=to_tier,
        to_agency_code=to_agency_code,
        new_due=POLICY.escalation_due(NOW),
    )


TO_NATIONAL_ADMIN = escalated(Tier.NATIONAL_ADMIN, None, from_agency_code="prov-jawa-barat")


# -- verify -------------------------------------------------------------------------------------


def test_verify_a_filed_complaint_with_the_given_category():
    state = given(filed())
    assert verify(state, category="kesehatan") == [
        ComplaintVerified(
            title="Jalan berlubang di Jl. Asia Afrika",
            category="kesehatan",
            region_code="32.73",
            tags=(),
            anonymous=False,
            confidential=False,
        )
    ]


def test_verify_sets_what_the_admin_gives():
    state = given(filed(region_code=None, category=None))
    [event] = verify(
        state,
        title="Jalan rusak",
        region_code="35.78",
        anonymous=True,
        confidential=True,
        tags=("urgent",),
    )
    assert event == ComplaintVerified(
        title="Jalan rusak",
        category="jalan",
        region_code="35.78",
        tags=("urgent",),
        anonymous=True,
        confidential=True,
    )


def test_verify_a_deferred_complaint_resumes_it_first():
    """Else it would be verified with its clocks still standing (found by the clock property)."""
    state = given(filed(), ComplaintDeferred(reason="menunggu data", paused_at=START))
    events = verify(state, now=NOW, policy=POLICY)
    assert [type(e) for e in events] == [ComplaintResumed, ComplaintVerified]
    after = given(filed(), ComplaintDeferred(reason="menunggu data", paused_at=START), *events)
    assert after.status is Status.VERIFIED and not after.clocks_paused
    with refused("deferred"):
        verify(state)  # without the time, it cannot resume


def test_verify_an_unknown_category_is_refused():
    with refused("unknown_category", status=422, field="category"):
        verify(given(filed()), category="astrologi")


def test_verify_an_archived_complaint_is_refused():
    with refused("invalid_state", status=409):
        verify(given(filed(), ComplaintArchived(reason_code="spam")))


def test_verify_twice_is_refused():
    with refused("invalid_state"):
        verify(given(filed(), verified()))


def test_verify_a_complaint_that_does_not_exist():
    with refused("not_found", status=404):
        verify(given())


# -- archive, defer, resume, request information ------------------------------------------------


def test_archive_a_filed_complaint():
    assert decide_archive(given(filed()), "too_vague", "tidak jelas") == [
        ComplaintArchived(reason_code="too_vague", note="tidak jelas")
    ]


@pytest.mark.parametrize(
    "before",
    [
        (ComplaintDeferred(reason="tunda"),),
        (verified(),),
        (InformationRequested(question="Di mana?", requested_by=Tier.NATIONAL_ADMIN),),
    ],
)
def test_archive_before_disposition(before):
    assert decide_archive(given(filed(), *before), "spam", None) == [
        ComplaintArchived(reason_code="spam")
    ]


def test_archive_after_disposition_is_refused():
    with refused("invalid_state"):
        decide_archive(given(filed(), verified(), disposed()), "spam", None)


def test_archive_twice_is_refused():
    with refused("invalid_state"):
        decide_archive(given(filed(), ComplaintArchived(reason_code="spam")), "spam", None)


def test_defer_a_filed_complaint():
    assert decide_defer(given(filed()), "menunggu data", date(2026, 12, 1)) == [
        ComplaintDeferred(reason="menunggu data", resume_on=date(2026, 12, 1))
    ]


def test_defer_a_verified_complaint_is_refused():
    with refused("invalid_state"):
        decide_defer(given(filed(), verified()), "tunda", None)


def test_resume_an_older_deferral_with_a_fresh_verification_clock():
    state = given(filed(), ComplaintDeferred(reason="tunda"))
    [resumed] = decide_resume(state, NOW, POLICY)
    assert resumed.verify_due == POLICY.verify_due(NOW)
    assert resumed.deadlines == {**state.deadlines, DeadlineKind.VERIFICATION: resumed.verify_due}


def test_a_deferral_pauses_the_clocks_and_resuming_gives_back_the_time_left():
    first = filed()
    deferred_at = START + timedelta(hours=5)
    state = given(first, ComplaintDeferred(reason="tunda", paused_at=deferred_at))
    assert state.status is Status.DEFERRED and state.clocks_paused
    later = START + timedelta(days=20)
    [resumed] = decide_resume(state, later, POLICY)
    assert resumed.verify_due == later + (first.verify_due - deferred_at)
    back = given(first, ComplaintDeferred(reason="tunda", paused_at=deferred_at), resumed)
    assert back.status is Status.FILED and not back.clocks_paused
    assert back.deadlines[DeadlineKind.VERIFICATION] == resumed.verify_due


def test_a_deferral_must_end_on_a_later_day():
    with refused("resume_on_past", status=422, field="resume_on"):
        decide_defer(given(filed()), "tunda", NOW.date(), NOW)


def test_resume_a_complaint_that_is_not_deferred_is_refused():
    with refused("invalid_state"):
        decide_resume(given(filed()), NOW, POLICY)


@pytest.mark.parametrize("before", [(), (verified(),), (ComplaintDeferred(reason="tunda"),)])
def test_request_information_pauses_the_clocks(before):
    state = given(filed(), *before)
    events = decide_request_information(state, "Di ruas jalan mana?")
    assert events == [
        InformationRequested(question="Di ruas jalan mana?", requested_by=Tier.NATIONAL_ADMIN)
    ]
    after = given(filed(), *before, *events)
    assert after.status is Status.AWAITING_REPORTER
    assert after.clocks_paused


def test_request_information_after_disposition_is_refused():
    with refused("invalid_state"):
        decide_request_information(given(filed(), verified(), disposed()), "Di mana?")


def test_request_information_on_a_closed_complaint_is_refused():
    with refused("invalid_state"):
        decide_request_information(given(filed(), ComplaintClosed(reason="withdrawn")), "?")


# -- dispose by hand ----------------------------------------------------------------------------


def test_dispose_a_verified_complaint():
    assert dispose(given(filed(), verified()), "kota-bandung") == [
        Disposed(agency_code="kota-bandung", rule_id=None, follow_up_due=FOLLOW_UP_DUE)
    ]


@pytest.mark.parametrize(
    "before",
    [
        (),
        (ComplaintDeferred(reason="tunda"),),
        (InformationRequested(question="?", requested_by=Tier.NATIONAL_ADMIN),),
    ],
)
def test_dispose_refuses_a_complaint_that_is_not_verified(before):
    with refused("not_verified"):
        dispose(given(filed(), *before), "kota-bandung")


def test_dispose_to_an_unknown_agency_is_refused():
    with refused("unknown_agency", status=422, field="agency_code"):
        dispose(given(filed(), verified()), "kota-atlantis")


def test_dispose_to_a_work_unit_is_refused():
    with refused("work_unit", status=422, field="agency_code"):
        dispose(given(filed(), verified()), "kota-bandung.dinas-pupr")


def test_dispose_to_an_agency_that_refused_before_is_refused():
    state = given(filed(), verified(), disposed("kab-bogor"), refusal("kab-bogor"))
    with refused("refused_before", status=409, field="agency_code"):
        dispose(state, "kab-bogor")
    # Another agency is fine.
    assert [e.agency_code for e in dispose(state, "kota-bandung")] == ["kota-bandung"]


def test_dispose_a_complaint_escalated_to_the_national_admin():
    state = given(filed(), verified(), disposed("prov-jawa-barat"), TO_NATIONAL_ADMIN)
    assert awaits_national_admin(state)
    assert dispose(state, "kemenpu") == [
        Disposed(agency_code="kemenpu", rule_id=None, follow_up_due=FOLLOW_UP_DUE)
    ]


def test_dispose_a_complaint_escalated_to_a_province_is_refused():
    state = given(filed(), verified(), disposed(), escalated(Tier.PROVINCE, "prov-jawa-barat"))
    with refused("invalid_state"):
        dispose(state, "kemenpu")


def test_dispose_an_already_disposed_complaint_is_refused():
    with refused("invalid_state"):
        dispose(given(filed(), verified(), disposed()), "kemenpu")


def test_dispose_a_complaint_that_does_not_exist():
    with refused("not_found", status=404):
        dispose(given(), "kemenpu")


def test_dispose_keeps_the_rule_id():
    [event] = dispose(given(filed(), verified()), "kota-bandung", rule_id="jalan-daerah")
    assert event.rule_id == "jalan-daerah"


# -- automatic disposition ----------------------------------------------------------------------


def test_a_filed_complaint_with_a_clear_rule_is_verified_and_disposed():
    assert auto(given(filed())) == [
        ComplaintVerified(
            title="Jalan berlubang di Jl. Asia Afrika",
            category="jalan",
            region_code="32.73",
            anonymous=False,
            confidential=False,
        ),
        Disposed(agency_code="kota-bandung", rule_id="jalan-daerah", follow_up_due=FOLLOW_UP_DUE),
    ]


def test_the_most_specific_rule_wins():
    [_, event] = auto(given(filed(category="transportasi", region_code="31.74")))
    assert (event.agency_code, event.rule_id) == ("prov-dki-jakarta", "transportasi-jakarta")


def test_automatic_verification_keeps_the_privacy_flags():
    [event, _] = auto(given(filed(anonymous=True, confidential=True, reporter_ref=None)))
    assert (event.anonymous, event.confidential) == (True, True)


@pytest.mark.parametrize(
    "report",
    [
        filed(kind="whistleblowing"),
        filed(category=None),
        filed(category="astrologi"),  # not a known category
        filed(category="lainnya"),  # no rule
        filed(region_code=None),  # a tier rule without a region
        filed(region_code="99.01"),  # a region the registry does not cover
    ],
)
def test_no_clear_answer_waits_for_the_national_admin(report):
    assert auto(given(report)) == []


def test_after_a_refusal_the_suggested_agency_gets_it():
    state = given(filed(), verified(), disposed("kota-bandung"), refusal("kota-bandung", "kemenpu"))
    assert auto(state, suggested_agency="kemenpu") == [
        Disposed(agency_code="kemenpu", rule_id="suggested-by-refuser", follow_up_due=FOLLOW_UP_DUE)
    ]


def test_after_a_refusal_without_suggestion_the_next_rule_applies():
    state = given(*JAKARTA_REFUSED)
    assert auto(state) == [
        Disposed(
            agency_code="kemenhub", rule_id="transportasi-nasional", follow_up_due=FOLLOW_UP_DUE
        )
    ]


def test_never_back_to_a_refuser_even_if_suggested():
    state = given(
        filed(),
        verified(),
        disposed("kota-bandung"),
        refusal("kota-bandung", "kemenpu"),
        disposed("kemenpu"),
        refusal("kemenpu", "kota-bandung"),
    )
    assert state.refused_by == ("kota-bandung", "kemenpu")
    # The only rule names kota-bandung, which refused: nothing left for routing to decide.
    assert auto(state, max_refusals=3, suggested_agency="kota-bandung") == []
    assert clear_answer(state, REGISTRY) is None


def test_an_unknown_suggested_agency_is_ignored():
    state = given(*JAKARTA_REFUSED)
    [event] = auto(state, suggested_agency="kota-atlantis")
    assert event.agency_code == "kemenhub"


def test_after_max_refusals_the_national_admin_decides():
    state = given(
        *JAKARTA_REFUSED,
        disposed("kemenhub"),
        refusal("kemenhub", "kemenpu"),
    )
    assert auto(state, max_refusals=2, suggested_agency="kemenpu") == []
    assert awaits_national_admin(state)
    # With a higher limit, routing would still act on the suggestion.
    [event] = auto(state, max_refusals=3, suggested_agency="kemenpu")
    assert event.agency_code == "kemenpu"


def test_a_suggested_work_unit_of_the_refuser_does_not_send_it_back_to_the_refuser():
    """BUG: the refuser may suggest one of its own work units; routing disposes to that unit,
    whose queue owner is the refuser itself, so the complaint goes back to the refuser (and to a
    work unit, which a disposition by hand refuses)."""
    state = given(
        filed(),
        verified(),
        disposed("kota-bandung"),
        refusal("kota-bandung", "kota-bandung.dinas-pupr"),
    )
    events = auto(state, suggested_agency="kota-bandung.dinas-pupr")
    for event in events:
        assert isinstance(event, Disposed)
        assert REGISTRY.agencies[event.agency_code].kind != "work_unit"
        assert REGISTRY.queue_owner(event.agency_code) not in state.refused_by


@pytest.mark.parametrize(
    "after",
    [
        (verified(), disposed()),
        (ComplaintDeferred(reason="tunda"),),
        (ComplaintArchived(reason_code="spam"),),
        (InformationRequested(question="?", requested_by=Tier.NATIONAL_ADMIN),),
        (
            verified(),
            disposed(),
            FollowUpPosted(agency_code="kota-bandung", message="Sudah diperbaiki", reply_due=NOW),
        ),
    ],
)
def test_routing_does_nothing_on_its_own_in_other_states(after):
    assert auto(given(filed(), *after)) == []


def test_a_verified_complaint_is_disposed_by_the_rules():
    assert auto(given(filed(), verified())) == [
        Disposed(agency_code="kota-bandung", rule_id="jalan-daerah", follow_up_due=FOLLOW_UP_DUE)
    ]


def test_after_information_is_supplied_the_complaint_is_routed_again():
    state = given(
        filed(),
        InformationRequested(question="?", requested_by=Tier.NATIONAL_ADMIN),
        InformationSupplied(message="Di depan gedung merdeka", verify_due=NOW + timedelta(days=3)),
    )
    assert [type(e) for e in auto(state)] == [ComplaintVerified, Disposed]


# -- whose turn ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ((filed(),), True),
        ((filed(), ComplaintDeferred(reason="tunda")), True),
        ((filed(), verified()), True),
        ((filed(), InformationRequested(question="?", requested_by=Tier.NATIONAL_ADMIN)), True),
        ((filed(), verified(), disposed()), False),
        ((filed(), verified(), disposed(), refusal("kota-bandung")), True),
        ((filed(), verified(), disposed(), escalated(Tier.PROVINCE, "prov-jawa-barat")), False),
        ((filed(), verified(), disposed("prov-jawa-barat"), TO_NATIONAL_ADMIN), True),
        ((filed(), ComplaintArchived(reason_code="spam")), False),
        ((filed(), ComplaintClosed(reason="withdrawn")), False),
        ((), False),
    ],
)
def test_awaits_national_admin(events, expected):
    assert awaits_national_admin(given(*events)) is expected


def test_verification_never_removes_the_protection_the_reporter_asked_for():
    state = given(filed(anonymous=True, confidential=True))
    [event] = verify(state, anonymous=False, confidential=False)
    assert event.anonymous is True and event.confidential is True
    [tightened] = verify(given(filed()), anonymous=True)
    assert tightened.anonymous is True and tightened.confidential is False


def test_a_verified_whistle_blowing_report_is_never_disposed_automatically():
    state = given(filed(kind="whistleblowing"), verified())
    assert state.status is Status.VERIFIED
    assert auto(state) == []
    after_refusal = given(
        filed(kind="whistleblowing"),
        verified(),
        disposed(),
        DispositionRefused(
            agency_code="kota-bandung", reason="Bukan", suggested_agency_code="kemenpu"
        ),
    )
    assert auto(after_refusal, suggested_agency="kemenpu") == []


def test_an_agency_refusing_again_counts_toward_the_limit():
    refusal = DispositionRefused(agency_code="kota-bandung", reason="Bukan wewenang")
    state = given(filed(), verified(), disposed(), refusal, disposed(), refusal)
    assert state.refused_by == ("kota-bandung",) and state.refusals == 2
    assert auto(state, suggested_agency="kemenpu") == []  # the national admin's turn


def test_a_higher_tier_refusing_an_escalated_complaint_goes_to_the_national_admin():
    """Never back to the tier that missed the deadline, with a fresh clock."""
    escalated = Escalated(
        deadline=DeadlineKind.FOLLOW_UP,
        missed_due=NOW,
        from_agency_code="kota-bandung",
        to_tier=Tier.PROVINCE,
        to_agency_code="prov-jawa-barat",
        new_due=NOW + timedelta(days=7),
    )
    refusal = DispositionRefused(agency_code="prov-jawa-barat", reason="Bukan wewenang")
    state = given(filed(), verified(), disposed(), escalated, refusal)
    assert state.status is Status.VERIFIED and state.escalation_level == 1
    assert auto(state) == []  # the rules alone would say kota-bandung again
    assert auto(state, suggested_agency="kemenpu") == []
    assert awaits_national_admin(state) is True


def test_the_national_admin_has_a_clock_on_everything_it_holds():
    """Refused twice, escalated to the top, new: each has the national admin's own deadline;
    paused ones have none (their clocks stand still)."""
    refusal = DispositionRefused(
        agency_code="kota-bandung", reason="Bukan", verify_due=NOW + timedelta(days=3)
    )
    refused_twice = given(filed(), verified(), disposed(), refusal, disposed(), refusal)
    assert national_admin_due(refused_twice) == NOW + timedelta(days=3)
    to_the_top = Escalated(
        deadline=DeadlineKind.FOLLOW_UP,
        missed_due=NOW,
        from_agency_code="prov-jawa-barat",
        to_tier=Tier.NATIONAL_ADMIN,
        to_agency_code=None,
        new_due=NOW + timedelta(days=7),
    )
    at_the_top = given(filed(), verified(), disposed(), to_the_top)
    assert national_admin_due(at_the_top) == NOW + timedelta(days=7)
    assert national_admin_due(given(filed())) == given(filed()).deadlines[DeadlineKind.VERIFICATION]
    deferred = given(filed(), ComplaintDeferred(reason="tunda", paused_at=NOW))
    assert national_admin_due(deferred) is None
    assert national_admin_due(given(filed(), verified(), disposed())) is None  # the agency's


def test_the_national_admin_may_archive_what_was_escalated_to_it():
    to_the_top = Escalated(
        deadline=DeadlineKind.FOLLOW_UP,
        missed_due=NOW,
        to_tier=Tier.NATIONAL_ADMIN,
        new_due=NOW + timedelta(days=7),
    )
    state = given(filed(), verified(), disposed(), to_the_top)
    assert decide_archive(state, "duplicate", None) == [
        ComplaintArchived(reason_code="duplicate", note=None)
    ]
    with refused("invalid_state"):
        decide_archive(given(filed(), verified(), disposed()), "spam", None)
