"""A clock everywhere: whatever the national admin, the agencies, the reporter and time do, in
any order, every open complaint is either explicitly paused or has a deadline someone owns
(the national admin's own, or one the deadline scan acts on). Property-based: hypothesis walks
the deciders with generated sequences of commands."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st
from pydantic import ValidationError

from events import ComplaintState, Event, Status
from events.base import DeadlineKind
from followup.deadlines import decide_deadlines, next_due
from routing.domain import (
    decide_archive,
    decide_auto_disposition,
    decide_confirm_resolution,
    decide_defer,
    decide_dispose,
    decide_request_information,
    decide_resume,
    decide_verify,
    national_admin_due,
)
from services.kernel.appeals import AppealOutcome
from services.kernel.refusals import Refused
from tests.unit.given import (
    POLICY,
    REGISTRY,
    START,
    agency_reply,
    appeal_review,
    filed,
    given,
    reporter_reply,
)

Action = Callable[[ComplaintState, datetime], list[Event]]


def holder(state: ComplaintState) -> str:
    return state.agency_code or "kota-bandung"


def agency(action: str, **fields: str) -> Action:
    def act(state: ComplaintState, now: datetime) -> list[Event]:
        return agency_reply(state, holder(state), action, now=now, **fields)

    return act


def forward(state: ComplaintState, now: datetime) -> list[Event]:
    units = REGISTRY.units_of(holder(state))
    code = units[0].code if units else "none"
    return agency("forward", unit_code=code)(state, now)


def reporter(action: str, message: str | None = "Ini jawaban saya") -> Action:
    def act(state: ComplaintState, now: datetime) -> list[Event]:
        return reporter_reply(state, action, message, now=now)

    return act


def admin_reviews(state: ComplaintState, now: datetime, outcome: AppealOutcome) -> list[Event]:
    return appeal_review(
        state, None, outcome, reason="Ditinjau ulang", assign_to="kota-bandung", now=now
    )


ACTIONS: dict[str, Action] = {
    "routing reacts": lambda s, now: decide_auto_disposition(
        s, registry=REGISTRY, now=now, policy=POLICY, max_refusals=2
    ),
    "admin verifies": lambda s, now: decide_verify(
        s,
        registry=REGISTRY,
        title=None,
        category="jalan",
        region_code="32.73",
        anonymous=None,
        confidential=None,
        now=now,
        policy=POLICY,
    ),
    "admin disposes": lambda s, now: decide_dispose(
        s, agency_code="kota-bandung", registry=REGISTRY, now=now, policy=POLICY
    ),
    "admin disposes to a ministry": lambda s, now: decide_dispose(
        s, agency_code="kemenkes", registry=REGISTRY, now=now, policy=POLICY
    ),
    "admin defers": lambda s, now: decide_defer(
        s, "tunda", date.fromordinal(now.date().toordinal() + 2), now
    ),
    "admin resumes": lambda s, now: decide_resume(s, now, POLICY),
    "admin asks": lambda s, now: decide_request_information(s, "Di mana tepatnya?", now),
    "admin archives": lambda s, now: decide_archive(s, "duplicate", None),
    "agency acknowledges": agency("acknowledge"),
    "agency forwards": forward,
    "agency follows up": agency("follow_up", message="Sudah dijadwalkan"),
    "agency proposes": agency(
        "propose_resolution", message="Sudah diperbaiki", resolution_code="fixed"
    ),
    "agency refuses": agency("refuse", reason="Bukan wewenang kami"),
    "agency asks": agency("request_information", message="Foto lokasinya?"),
    "agency asks for time": lambda s, now: agency(
        "request_extension",
        reason="Menunggu anggaran",
        extend_until=now + timedelta(days=9),
    )(s, now),
    "reporter adds": reporter("add_information"),
    "reporter satisfied": reporter("satisfied"),
    "reporter not satisfied": reporter("not_satisfied"),
    "reporter asks for the ombudsman": reporter("refer_to_ombudsman", None),
    "reporter withdraws": reporter("withdraw", None),
    "admin confirms the resolution": lambda s, now: decide_confirm_resolution(s, now, POLICY),
    "time passes": lambda s, now: decide_deadlines(s, now=now, registry=REGISTRY, policy=POLICY),
    "reporter appeals": reporter("appeal", None),
    "reviewer upholds": agency("uphold_closure", reason="Penutupan sudah tepat"),
    "reviewer reopens": agency("reopen", reason="Belum tuntas", assign_to="kota-bandung"),
    "admin upholds the appeal": lambda s, now: admin_reviews(s, now, "upheld"),
    "admin reopens on appeal": lambda s, now: admin_reviews(s, now, "reopened"),
    "ombudsman notes": agency("interim_findings", message="Pemeriksaan berjalan"),
    "ombudsman concludes": agency(
        "final_findings", message="Ditemukan maladministrasi", outcome="maladministration"
    ),
}
NAMES = sorted(ACTIONS)


def clock_of(state: ComplaintState) -> tuple[str, datetime | None]:
    """Who owns the complaint's running deadline, and when it falls."""
    admin_due = national_admin_due(state)
    if admin_due is not None:
        return "national admin", admin_due
    scan_due = next_due(state)
    if scan_due is not None:
        answering = state.status in (Status.FOLLOWED_UP, Status.RESOLVED)
        owner = "reporter" if answering else "agency"
        if state.status is Status.APPEALED:
            owner = "province"
        return owner, scan_due
    return "nobody", None


def assert_accountable(state: ComplaintState, history: list[str]) -> None:
    if not state.is_open:
        return
    if state.clocks_paused:
        # Explicitly paused: waiting for the reporter or deferred, with where it goes back to.
        assert state.status in (Status.AWAITING_REPORTER, Status.DEFERRED), history
        assert state.paused_from is not None, history
        return
    owner, due = clock_of(state)
    assert owner != "nobody" and due is not None, (state.status, history)


STARTS: dict[str, list[str]] = {
    "filed": [],
    "closed by a city": ["routing reacts", "agency follows up", "reporter satisfied"],
    "closed by a ministry": [
        "admin verifies",
        "admin disposes to a ministry",
        "agency follows up",
        "reporter satisfied",
    ],
}
"""Where walks begin: a new report, and closures that may be appealed (which random walks from
a new report reach too rarely to test the appeal paths well)."""


def begin(start: str) -> tuple[list[Event], datetime]:
    payloads: list[Event] = [filed()]
    now = START
    for name in STARTS[start]:
        now += timedelta(hours=1)
        payloads += ACTIONS[name](given(*payloads), now)
    return payloads, now


@settings(max_examples=900, deadline=None, derandomize=True)
@for_all(
    st.sampled_from(sorted(STARTS)),
    st.lists(
        st.tuples(st.sampled_from(NAMES), st.integers(min_value=0, max_value=24 * 20)),
        max_size=30,
    ),
)
def test_every_reachable_open_state_is_paused_or_has_an_owned_deadline(start, steps):
    payloads, now = begin(start)
    history = [start]
    state = given(*payloads)
    assert_accountable(state, history)
    for name, hours in steps:
        now += timedelta(hours=hours)
        try:
            events = ACTIONS[name](state, now)
        except (Refused, ValidationError):
            continue
        if not events:
            continue
        payloads += events
        history.append(name)
        state = given(*payloads)
        assert_accountable(state, history)


def test_the_clock_table():
    """Which deadline runs in each state, and who owns it."""
    new = given(filed())
    assert clock_of(new) == ("national admin", new.deadlines[DeadlineKind.VERIFICATION])
    [verified, disposed] = decide_auto_disposition(
        new, registry=REGISTRY, now=START, policy=POLICY, max_refusals=2
    )
    at_agency = given(filed(), verified, disposed)
    assert clock_of(at_agency) == ("agency", disposed.follow_up_due)
    [follow_up] = agency("follow_up", message="Sudah")(at_agency, START)
    answered = given(filed(), verified, disposed, follow_up)
    assert clock_of(answered) == ("reporter", follow_up.reply_due)
    [refusal] = agency("refuse", reason="Bukan")(at_agency, START)
    refused = given(filed(), verified, disposed, refusal)
    assert clock_of(refused) == ("national admin", refusal.verify_due)
    [asked] = agency("request_information", message="Foto?")(at_agency, START)
    paused = given(filed(), verified, disposed, asked)
    assert paused.clocks_paused and paused.paused_from is Status.DISPOSED
    assert clock_of(paused) == ("nobody", None)


def test_the_clock_table_after_closure():
    """An appeal runs on its reviewer's clock; a referral on the date the national admin
    expects the Ombudsman's findings."""
    closed, at = begin("closed by a city")
    [appeal] = reporter("appeal", None)(given(*closed), at)
    appealed = given(*closed, appeal)
    assert clock_of(appealed) == ("province", appeal.review_due)
    late = appeal.review_due + timedelta(minutes=1)
    [moved_up] = ACTIONS["time passes"](appealed, late)
    at_the_top = given(*closed, appeal, moved_up)
    assert at_the_top.status is Status.APPEALED
    assert clock_of(at_the_top) == ("national admin", moved_up.new_due)
    ministry, at = begin("closed by a ministry")
    [appeal] = reporter("appeal", None)(given(*ministry), at)
    assert clock_of(given(*ministry, appeal)) == ("national admin", appeal.review_due)
    referred = ACTIONS["time passes"](given(filed()), START + timedelta(days=61))
    assert clock_of(given(filed(), *referred)) == ("national admin", referred[0].findings_due)


def test_the_walks_reach_every_open_state():
    """The property above is only as good as the states its walks reach."""
    rnd = random.Random(7)
    reached: set[Status] = set()
    for _ in range(400):
        payloads, now = begin(rnd.choice(sorted(STARTS)))
        state = given(*payloads)
        for _ in range(30):
            now += timedelta(hours=rnd.randint(0, 24 * 20))
            try:
                events = ACTIONS[rnd.choice(NAMES)](state, now)
            except (Refused, ValidationError):
                continue
            payloads += events
            state = given(*payloads)
            reached.add(state.status)
    assert {s for s in Status if s is not Status.NEW} <= reached
