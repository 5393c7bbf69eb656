"""`/readyz` turns false when a consumer has had fetched messages waiting too long."""

from __future__ import annotations

import asyncio

from services.platform.consumer import Progress
from services.platform.runtime import Runtime
from services.platform.settings import PlatformSettings


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_counts_only_while_messages_wait():
    clock = Ticking()
    progress = Progress(clock)
    assert progress.stalled_for() == 0
    progress.working()
    clock.now += 5
    progress.working()  # a retry of the same messages: the first wait counts
    clock.now += 5
    assert progress.stalled_for() == 10
    progress.done()
    assert progress.stalled_for() == 0


async def test_a_stalled_consumer_makes_the_service_unready():
    clock = Ticking()
    settings = PlatformSettings(_env_file=None, environment="test", stall_timeout_s=30)
    rt = Runtime("routing", settings, None, None, None, None, None, None)  # type: ignore[arg-type]
    started = asyncio.Event()
    started.set()
    rt.ready["complaint-events"] = started
    rt.progress["complaint-events"] = progress = Progress(clock)
    check = rt.readiness()
    progress.working()
    clock.now += 29
    assert (await check())["ready"] is True
    clock.now += 2
    detail = await check()
    assert detail["ready"] is False and detail["stalled_s"] == {"complaint-events": 31.0}
    progress.done()
    assert (await check())["ready"] is True


def test_in_flight_shows_the_oldest_message_in_hand():
    from services.platform.consumer import InFlight

    clock = Ticking()
    in_flight = InFlight(clock)
    first = in_flight.begin()
    clock.now += 10
    second = in_flight.begin()
    clock.now += 5
    assert in_flight.stalled_for() == 15
    in_flight.end(first)
    assert in_flight.stalled_for() == 5
    in_flight.end(second)
    assert in_flight.stalled_for() == 0
