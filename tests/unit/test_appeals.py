"""Appeals after closure and the Ombudsman handover (given events, when the reporter, a
reviewer, the Ombudsman or the clock acts, then events or a refusal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from events import DeadlineKind, Status, Tier
from events.catalog import (
    AppealDecided,
    Appealed,
    ComplaintClosed,
    Escalated,
    FollowUpPosted,
    InformationRequested,
    OmbudsmanFindingsIssued,
    ReferredToOmbudsman,
    ReporterReplied,
)
from followup.deadlines import next_due
from routing.domain import decide_dispose, national_admin_due
from routing.work_items import reason_for, shares_contact
from tests.unit.given import (
    POLICY,
    REGISTRY,
    START,
    agency_reply,
    appeal_review,
    deadlines,
    disposed,
    filed,
    given,
    refused,
    reporter_reply,
    verified,
)

CLOSED_AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
APPEAL_UNTIL = POLICY.appeal_until(CLOSED_AT)
FOLLOWED_UP = (
    filed(),
    verified(),
    disposed("kota-bandung"),
    FollowUpPosted(
        agency_code="kota-bandung", message="Sudah ditambal", reply_due=POLICY.reply_due(START)
    ),
)
CLOSED = (*FOLLOWED_UP, ComplaintClosed(reason="resolved", appeal_until=APPEAL_UNTIL))
ON_SILENCE = (*FOLLOWED_UP, ComplaintClosed(reason="reporter_silence", appeal_until=APPEAL_UNTIL))
AT_MINISTRY = (
    filed(),
    verified(),
    disposed("kemenkes"),
    FollowUpPosted(agency_code="kemenkes", message="Sudah", reply_due=POLICY.reply_due(START)),
    ComplaintClosed(reason="resolved", appeal_until=APPEAL_UNTIL),
)
APPEAL_AT = CLOSED_AT + timedelta(days=2)
REVIEW_DUE = POLICY.appeal_review_due(APPEAL_AT)
TO_PROVINCE = Appealed(
    reviewer_tier=Tier.PROVINCE, reviewer_code="prov-jawa-barat", review_due=REVIEW_DUE
)
APPEALED = (*CLOSED, TO_PROVINCE)
LIMIT = POLICY.resolution_due(START)


# The reporter and the reviewers act when the appeal is lodged, unless a test says otherwise.
reporter = partial(reporter_reply, now=APPEAL_AT)
reply = partial(agency_reply, now=APPEAL_AT)


# -- the reporter appeals ------------------------------------------------------------------------


def test_an_appeal_against_a_city_goes_to_its_province_with_a_clock():
    assert reporter(given(*CLOSED), "appeal") == [TO_PROVINCE]
    state = given(*APPEALED)
    assert state.status is Status.APPEALED and state.agency_code == "prov-jawa-barat"
    assert state.deadlines == {DeadlineKind.APPEAL_REVIEW: REVIEW_DUE}
    assert next_due(state) == REVIEW_DUE  # the scan watches the province's clock


def test_an_appeal_against_a_ministry_goes_to_the_national_admin():
    [appeal] = reporter(given(*AT_MINISTRY), "appeal")
    assert (appeal.reviewer_tier, appeal.reviewer_code) == (Tier.NATIONAL_ADMIN, None)
    state = given(*AT_MINISTRY, appeal)
    assert national_admin_due(state) == appeal.review_due
    assert next_due(state) is None  # the national admin's own overdue list, not the scan


def test_a_closure_on_silence_can_be_appealed():
    assert reporter(given(*ON_SILENCE), "appeal") == [TO_PROVINCE]


def test_an_appeal_after_the_window_is_refused():
    with refused("appeal_window_passed"):
        reporter(given(*CLOSED), "appeal", now=APPEAL_UNTIL + timedelta(seconds=1))
    assert reporter(given(*CLOSED), "appeal", now=APPEAL_UNTIL)  # the last instant still counts


def test_a_withdrawal_an_open_complaint_and_an_older_closure_cannot_be_appealed():
    withdrawn = (*FOLLOWED_UP, ComplaintClosed(reason="withdrawn"))
    older = (*FOLLOWED_UP, ComplaintClosed(reason="resolved"))  # before appeals existed
    for events in (withdrawn, FOLLOWED_UP, older):
        with refused("not_appealable"):
            reporter(given(*events), "appeal")


def test_an_appeal_is_refused_once_the_reopen_limit_is_reached():
    with refused("reopen_limit"):
        reporter(given(*CLOSED), "appeal", max_reopens=0)


# -- the reviewer decides ------------------------------------------------------------------------


def test_the_province_upholds_the_closure_for_good():
    [upheld] = reply(given(*APPEALED), "prov-jawa-barat", "uphold_closure", reason="Sudah tepat")
    assert upheld == AppealDecided(
        outcome="upheld",
        reviewer_tier=Tier.PROVINCE,
        reviewer_code="prov-jawa-barat",
        reason="Sudah tepat",
    )
    state = given(*APPEALED, upheld)
    assert state.status is Status.CLOSED and not state.deadlines
    with refused("not_appealable"):  # one appeal per closure
        reporter(state, "appeal")


def test_the_province_reopens_with_a_new_owner_and_a_fresh_clock():
    [reopened] = reply(
        given(*APPEALED), "prov-jawa-barat", "reopen", reason="Belum", assign_to="prov-jawa-barat"
    )
    assert reopened.follow_up_due == POLICY.follow_up_due(APPEAL_AT)
    state = given(*APPEALED, reopened)
    assert state.status is Status.DISPOSED and state.agency_code == "prov-jawa-barat"
    assert state.reopen_count == 1 and state.closed_reason is None
    assert state.deadlines == {DeadlineKind.FOLLOW_UP: reopened.follow_up_due}
    assert reason_for(reopened, 2, state) == "reopened"  # a work item for the new owner


def test_a_reopen_needs_a_reason_and_an_agency_that_can_take_it():
    state = given(*APPEALED)
    with refused("reason_required", status=422, field="reason"):
        reply(state, "prov-jawa-barat", "reopen", assign_to="kota-bandung")
    for code in (None, "kota-bandung.dinas-pupr", "ombudsman-ri", "nowhere"):
        with refused("unknown_agency", status=422, field="assign_to"):
            reply(state, "prov-jawa-barat", "reopen", reason="Belum", assign_to=code)


def test_only_the_reviewer_decides_an_appeal():
    state = given(*APPEALED)
    for agency in ("kota-bandung", "prov-dki-jakarta"):
        with refused("not_found", status=404):
            reply(state, agency, "uphold_closure", reason="Sudah")
    with refused("invalid_state"):  # the national admin does not hold this one
        appeal_review(state, None, "upheld", reason="Sudah", assign_to=None, now=APPEAL_AT)
    with refused("invalid_state"):  # an appeal decision is not a follow-up
        reply(state, "prov-jawa-barat", "follow_up", message="Sudah")


def test_a_province_that_lets_an_appeal_lie_hands_it_to_the_national_admin():
    late = REVIEW_DUE + timedelta(minutes=1)
    [moved] = deadlines(given(*APPEALED), late)
    assert moved == Escalated(
        deadline=DeadlineKind.APPEAL_REVIEW,
        missed_due=REVIEW_DUE,
        from_agency_code="prov-jawa-barat",
        to_tier=Tier.NATIONAL_ADMIN,
        to_agency_code=None,
        new_due=POLICY.appeal_review_due(late),
    )
    state = given(*APPEALED, moved)
    assert state.status is Status.APPEALED and state.agency_code is None
    assert national_admin_due(state) == moved.new_due
    assert deadlines(state, moved.new_due + timedelta(days=30)) == []  # flagged, not moved on
    [decided] = appeal_review(
        state, None, "reopened", reason="Ditinjau", assign_to="kota-bandung", now=late
    )
    assert decided.reviewer_tier is Tier.NATIONAL_ADMIN


def test_the_national_admin_cannot_dispose_an_appealed_complaint_around_the_appeal():
    [appeal] = reporter(given(*AT_MINISTRY), "appeal")
    with refused("invalid_state"):
        decide_dispose(
            given(*AT_MINISTRY, appeal),
            agency_code="kemenkes",
            registry=REGISTRY,
            now=APPEAL_AT,
            policy=POLICY,
        )


# -- the Ombudsman -------------------------------------------------------------------------------


def test_at_the_resolution_limit_an_unresolved_complaint_goes_to_the_ombudsman():
    at_agency = given(filed(), verified(), disposed("kota-bandung"))
    assert next_due(at_agency) == min(POLICY.follow_up_due(START), LIMIT)
    after = LIMIT + timedelta(minutes=1)
    [referral] = deadlines(at_agency, after)
    assert referral == ReferredToOmbudsman(
        reason="resolution_limit",
        consent_given_at=None,
        days_open=60,
        ombudsman_code="ombudsman-ri",
        findings_due=POLICY.findings_due(after),
    )
    state = given(filed(), verified(), disposed("kota-bandung"), referral)
    assert state.status is Status.REFERRED_TO_OMBUDSMAN and state.agency_code == "ombudsman-ri"
    assert national_admin_due(state) == referral.findings_due  # watched by the national admin
    assert reason_for(referral, 2, state) == "referred_to_ombudsman"
    assert not shares_contact(referral, state)  # no consent: no contact for the Ombudsman


def test_a_referral_the_reporter_asks_for_carries_consent_and_the_contact():
    after = LIMIT + timedelta(minutes=1)
    at_agency = given(filed(), verified(), disposed("kota-bandung"))
    [referral] = reporter(at_agency, "refer_to_ombudsman", now=after)
    assert referral.reason == "reporter_request" and referral.consent_given_at == after
    assert shares_contact(referral, given(filed(), verified(), disposed(), referral))
    anonymous = given(filed(anonymous=True), verified(anonymous=True), disposed(), referral)
    assert not shares_contact(referral, anonymous)


def test_a_proposed_resolution_or_a_pause_is_not_referred():
    proposal = FollowUpPosted(
        agency_code="kota-bandung",
        message="Selesai",
        resolution_proposed=True,
        resolution_code="fixed",
        reply_due=LIMIT + timedelta(days=30),
    )
    resolved = given(filed(), verified(), disposed(), proposal)
    assert deadlines(resolved, LIMIT + timedelta(minutes=1)) == []
    asked = InformationRequested(question="Foto?", requested_by=Tier.AGENCY, paused_at=START)
    assert deadlines(given(filed(), verified(), disposed(), asked), LIMIT + timedelta(days=1)) == []


def test_the_ombudsman_notes_then_concludes_and_the_complaint_ends():
    referred = (
        filed(),
        verified(),
        disposed(),
        ReferredToOmbudsman(
            reason="resolution_limit",
            days_open=61,
            ombudsman_code="ombudsman-ri",
            findings_due=LIMIT + timedelta(days=40),
        ),
    )
    state = given(*referred)
    [note] = reply(state, "ombudsman-ri", "interim_findings", message="Klarifikasi dikirim")
    assert note == OmbudsmanFindingsIssued(stage="interim", message="Klarifikasi dikirim")
    assert given(*referred, note).status is Status.REFERRED_TO_OMBUDSMAN
    with refused("outcome_required", status=422, field="outcome"):
        reply(state, "ombudsman-ri", "final_findings", message="Selesai")
    [final] = reply(
        state,
        "ombudsman-ri",
        "final_findings",
        message="Maladministrasi",
        outcome="maladministration",
    )
    ended = given(*referred, note, final)
    assert ended.status is Status.CLOSED and ended.closed_reason == "ombudsman_maladministration"
    with refused("not_appealable"):
        reporter(ended, "appeal")


def test_once_referred_the_agency_can_no_longer_act_and_nobody_disposes_to_the_ombudsman():
    referred = given(
        filed(),
        verified(),
        disposed(),
        ReferredToOmbudsman(reason="resolution_limit", days_open=61, ombudsman_code="ombudsman-ri"),
    )
    with refused("not_found", status=404):
        reply(referred, "kota-bandung", "follow_up", message="Sudah")
    with refused("invalid_state"):
        reply(referred, "ombudsman-ri", "follow_up", message="Sudah")
    with refused("not_disposable", status=422, field="agency_code"):
        decide_dispose(
            given(filed(), verified()),
            agency_code="ombudsman-ri",
            registry=REGISTRY,
            now=START,
            policy=POLICY,
        )


def test_the_reporters_reason_for_an_appeal_reaches_the_reviewer_not_the_closed_agency():
    said, appeal = reporter(given(*CLOSED), "appeal", message="Lubangnya muncul lagi")
    assert said == ReporterReplied(message="Lubangnya muncul lagi") and appeal == TO_PROVINCE
    assert reason_for(said, 2, given(*CLOSED, said)) is None  # no work item for the city
    assert reason_for(appeal, 2, given(*CLOSED, said, appeal)) == "appealed"
