"""`python -m services run` (what `make run` calls): starts infrastructure and every service,
files the demo data (complaints in every state), writes var/endpoints.json, stops everything on
Ctrl-C, and a second run reuses the data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import urllib.request
import uuid

import httpx

from services.platform import kafka
from services.tooling.brokers import port_open
from tests.e2e.system import ADMIN, ROOT, System, poll_until, system_env

EVERY_STATE = {
    "filed",
    "verified",
    "deferred",
    "archived",
    "awaiting_reporter",
    "disposed",
    "forwarded_to_unit",
    "followed_up",
    "in_follow_up",
    "escalated",
    "resolved",
    "appealed",
    "closed",
    "referred_to_ombudsman",
}


async def test_run_starts_everything_with_demo_data_and_a_second_run_reuses_it():
    var_dir = ROOT / "var" / f"run-{uuid.uuid4().hex[:8]}"
    system = System(var_dir, system_env(var_dir, LAPOR_CHECKPOINT_INTERVAL_S="1"))
    try:
        system.start()
        endpoints = system.endpoints
        assert set(endpoints["services"]) == {"relay", "intake", "routing", "followup", "reporting"}
        for name, info in endpoints["services"].items():
            assert info["base_url"].startswith("http://127.0.0.1:"), name
            with urllib.request.urlopen(info["health"], timeout=5) as response:
                assert json.loads(response.read())["ready"] is True or name == "relay"
        with urllib.request.urlopen(endpoints["services"]["intake"]["docs"], timeout=5) as page:
            assert page.status == 200

        async with httpx.AsyncClient(timeout=30) as client:

            async def statuses():
                response = await client.get(
                    f"{system.url('reporting')}/v1/reports/complaints",
                    params={"limit": 1000},
                    headers=ADMIN,
                )
                found = {row["status"] for row in response.json()["items"]}
                return found if found >= EVERY_STATE else None

            try:
                await poll_until(statuses, timeout_s=120, what="demo complaints in every state")
            except AssertionError as missing:
                raise AssertionError(system.stop()[-4000:]) from missing
            # The reference regional system runs beside it, its history imported.
            city = f"http://127.0.0.1:{system.env['LAPOR_REGIONAL_DEMO_PORT']}"

            async def city_imported():
                imported = await client.get(
                    f"{system.url('reporting')}/v1/reports/complaints",
                    params={"source": "lapor-bandung", "limit": 1},
                    headers=ADMIN,
                )
                return imported.json()["total"] == 200

            await poll_until(city_imported, timeout_s=120, what="the city's history imported")
            assert (await client.get(f"{city}/complaints")).status_code == 200
            await signed_checkpoints_are_served(client, system)
            await the_auditors_rebuilt_present_equals_the_live_dashboards(client, system)
            demo_count = (
                await client.get(f"{system.url('reporting')}/v1/reports/complaints", headers=ADMIN)
            ).json()["total"]
            # A service that dies is restarted by the launcher; nothing else is touched.
            routing_pid, intake_pid = pid_of(system, "routing"), pid_of(system, "intake")
            os.kill(routing_pid, signal.SIGKILL)

            def routing_back():
                return pid_of(system, "routing") not in (None, routing_pid)

            await poll_until(routing_back, timeout_s=60, what="routing restarted")
            assert pid_of(system, "intake") == intake_pid
            await poll_until(lambda: ready(system, "routing"), what="routing ready again")
            topics_before = await kafka.list_topics(system.bootstrap, auth=system.auth())
            events_topic = system.topic("complaint-events")
            offsets_before = await kafka.end_offsets(
                system.bootstrap, events_topic, auth=system.auth()
            )
        first_output = system.stop()
        assert "filed in" in first_output and "stopped." in first_output, first_output[-3000:]
        assert "reference regional system ... http://127.0.0.1:" in first_output
        assert "routing exited with -9; restarting in 1s" in first_output
        assert "routing restarted" in first_output
        assert "demo-national-admin" in first_output
        for role_key in ("demo-unit-", "demo-prov-jawa-barat", "demo-oversight-", "demo-auditor-"):
            assert role_key in first_output, role_key  # a demo key per role
        assert f"{system.url('reporting')}/dashboard" in first_output
        assert not (var_dir / "endpoints.json").exists()
        for port in ("LAPOR_BROKER_PORT", "LAPOR_INTAKE_PORT", "LAPOR_REPORTING_PORT"):
            assert not port_open("127.0.0.1", int(system.env[port]))

        system.start()
        # The broker kept its log: every topic and every offset is there again (Apache Kafka,
        # durable under var/broker; nothing had to be put back).
        assert topics_before <= await kafka.list_topics(system.bootstrap, auth=system.auth())
        offsets_after = await kafka.end_offsets(system.bootstrap, events_topic, auth=system.auth())
        assert all(offsets_after[p] >= offset for p, offset in offsets_before.items())
        assert sum(offsets_before.values()) > 0
        async with httpx.AsyncClient(timeout=30) as client:

            async def counted():
                response = await client.get(
                    f"{system.url('reporting')}/v1/reports/complaints", headers=ADMIN
                )
                return response.json()["total"] == demo_count

            await poll_until(counted, what="the same complaints after a restart")
            await asyncio.sleep(1)
            again = (
                await client.get(f"{system.url('reporting')}/v1/reports/complaints", headers=ADMIN)
            ).json()["total"]
        second_output = system.stop()
        assert "already there (reused)" in second_output, second_output[-3000:]
        assert again == demo_count
    finally:
        if system.process is not None and system.process.poll() is None:
            system.process.kill()
        system.cleanup()


def pid_of(system: System, service: str) -> int | None:
    """The pid a service's /healthz reports (None while it does not answer)."""
    try:
        with urllib.request.urlopen(f"{system.url(service)}/healthz", timeout=2) as response:
            return int(json.loads(response.read())["pid"])
    except OSError:
        return None


def ready(system: System, service: str) -> bool:
    """Whether a service's /readyz says ready."""
    try:
        with urllib.request.urlopen(f"{system.url(service)}/readyz", timeout=2) as response:
            return bool(json.loads(response.read())["ready"])
    except OSError:
        return False


async def signed_checkpoints_are_served(client: httpx.AsyncClient, system: System) -> None:
    """reporting signs checkpoints of the log on its own and serves them to auditors."""
    from events.messages import SignedCheckpoint
    from services.platform.checkpoints import signature_holds

    auditor = {"X-API-Key": "demo-auditor-bpk"}
    audit = f"{system.url('reporting')}/v1/audit/checkpoints"

    async def some():
        found = (await client.get(audit, headers=auditor)).json()
        return found or None

    [first, *_] = await poll_until(some, timeout_s=60, what="a signed checkpoint")
    key = (await client.get(f"{audit}/public-key", headers=auditor)).json()["public_key"]
    checkpoint = SignedCheckpoint.model_validate(
        {k: v for k, v in first.items() if k != "position"}
    )
    assert signature_holds(checkpoint, key) and checkpoint.streams > 0
    assert (await client.get(audit, headers={"X-API-Key": "demo-kota-bandung"})).status_code == 403


async def the_auditors_rebuilt_present_equals_the_live_dashboards(
    client: httpx.AsyncClient, system: System
) -> None:
    """As of the live dashboards' own instant, the auditor's rebuild from the log (in memory)
    gives the same numbers as the read models in PostgreSQL, over demo data in every state:
    the agencies' and regions' tables, the overview with its trends, both rankings."""
    auditor = {"X-API-Key": "demo-auditor-bpk"}
    reporting = f"{system.url('reporting')}/v1"

    async def live(path: str, **params: str) -> dict:
        return (await client.get(f"{reporting}/{path}", params=params)).json()

    async def equal():
        agencies = await live("reports/agencies")
        regions = await live("reports/regions")
        overview = await live("reports/overview")
        by_agency = await live("reports/performance", by="agency")
        by_province = await live("reports/performance", by="province")
        then = await client.get(
            f"{reporting}/audit/dashboards", params={"at": agencies["as_of"]}, headers=auditor
        )
        assert then.status_code == 200, then.text
        rebuilt = then.json()
        same = (
            rebuilt["agencies"] == agencies["agencies"]
            and rebuilt["regions"] == regions["regions"]
            and rebuilt["overview"]["totals"] == overview["totals"]
            and rebuilt["overview"]["trends"] == overview["trends"]
            and rebuilt["performance"]["agency"]["rows"] == by_agency["rows"]
            and rebuilt["performance"]["province"]["rows"] == by_province["rows"]
        )
        return same and rebuilt

    rebuilt = await poll_until(equal, timeout_s=60, what="the rebuilt dashboards equal the live")
    assert rebuilt["complaints"]["total"] > 200
    totals = rebuilt["overview"]["totals"]
    assert totals["resolved"] > 0 and totals["satisfaction"] is not None
    assert {r["grade"] for r in rebuilt["performance"]["agency"]["rows"]} - {None}
