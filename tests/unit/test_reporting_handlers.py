"""reporting's use cases through the in-memory fakes: projecting batches, the dashboards'
queries and the auditor's timeline."""

from __future__ import annotations

import pytest

from events import catalog as ev
from events.messages import AgencyReply
from followup.handlers import ReplyAsAgency
from followup.handlers import handle as followup
from intake.handlers import FileComplaint
from intake.handlers import handle as intake
from reporting.audit import (
    CheckpointKey,
    ComplaintAsOf,
    DashboardsAsOf,
    ListCheckpoints,
    SignCheckpoint,
    Timeline,
)
from reporting.dashboards import Drilldown, Overview, Performance
from reporting.handlers import (
    COMMAND_HANDLERS,
    EVENT_HANDLERS,
    AgencyReport,
    Digests,
    ExportOpenData,
    ListComplaints,
    OpenAggregates,
    OpenComplaints,
    OpenTimeline,
    RegionReport,
    handle,
)
from services.kernel.refusals import RefusalKind, Refused
from tests.unit.fakes import fake_system, submission


def test_every_query_and_event_type_has_a_handler():
    assert set(COMMAND_HANDLERS) == {
        AgencyReport,
        RegionReport,
        ListComplaints,
        Digests,
        Timeline,
        ComplaintAsOf,
        DashboardsAsOf,
        Overview,
        Performance,
        Drilldown,
        OpenComplaints,
        OpenTimeline,
        OpenAggregates,
        ExportOpenData,
        SignCheckpoint,
        ListCheckpoints,
        CheckpointKey,
    }
    assert set(EVENT_HANDLERS) == set(ev.ALL_EVENT_TYPES)


async def test_projected_complaints_feed_the_dashboards():
    system = fake_system()
    first = await intake(FileComplaint(submission(), "web"), system.intake)
    other = await intake(FileComplaint(submission(region_code="32.01"), "web"), system.intake)
    for filing in (first, other):
        await system.deliver(filing.complaint_id)
    follow_up = AgencyReply(action="follow_up", message="Sudah ditambal.")
    await followup(ReplyAsAgency("kota-bandung", first.complaint_id, follow_up), system.followup)
    await system.deliver(first.complaint_id)

    page = await handle(ListComplaints(agencies=("kota-bandung",)), system.reporting)
    assert page["total"] == 1 and page["items"][0]["status"] == "followed_up"
    assert page["items"][0]["first_follow_up_agency"] == "kota-bandung"
    everything = await handle(ListComplaints(province="32"), system.reporting)
    assert everything["total"] == 2
    agencies = (await handle(AgencyReport(), system.reporting))["agencies"]
    bandung = next(a for a in agencies if a["agency_code"] == "kota-bandung")
    assert (bandung["received"], bandung["followed_up"], bandung["open"]) == (1, 1, 1)
    [west_java] = (await handle(RegionReport(), system.reporting))["regions"]
    assert (west_java["province_code"], west_java["filed"]) == ("32", 2)
    digests = await handle(Digests(), system.reporting)
    assert digests["rm_complaints"]["rows"] == 2


async def test_the_auditor_reads_every_event_with_its_actor():
    system = fake_system()
    filing = await intake(FileComplaint(submission(), "web"), system.intake)
    await system.deliver(filing.complaint_id)
    events = await handle(Timeline(filing.tracking_id), system.reporting)
    assert [e["event_type"] for e in events] == [
        "complaint.filed",
        "complaint.verified",
        "complaint.disposed",
    ]
    assert events[0]["actor"] == {"role": "channel", "id": "web", "person": None}
    with pytest.raises(Refused) as missing:
        await handle(Timeline("lpr-0000-0000-0000"), system.reporting)
    assert missing.value.kind is RefusalKind.NOT_FOUND
