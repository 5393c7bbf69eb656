"""`python -m reporting ...`: serve, rebuild the read models, print digests, and the auditor's
`timeline <tracking-id>` and `verify`."""

from __future__ import annotations

import asyncio
import json
import time

import typer

from services.settings import PlatformSettings

app = typer.Typer(help="lapor reporting: read models, dashboards and audit", no_args_is_help=True)


async def _pool(settings: PlatformSettings):  # type: ignore[no-untyped-def]
    from services.db import create_pool
    from services.infra import ensure_infra
    from services.migrate import migrate_database

    url = ensure_infra(settings).database_url
    await migrate_database(url)
    return await create_pool(url, max_size=2)


@app.command()
def serve() -> None:
    """Run the reporting service (HTTP API and the live projection)."""
    from reporting.app import create_app
    from services.service_main import main

    main("reporting", "reporting_port", create_app)


@app.command()
def rebuild() -> None:
    """Rebuild every read model from the event store; print the rate and a digest per table."""
    from reporting import store
    from reporting.handlers import consumer_name
    from services.runtime import deadline_policy

    settings = PlatformSettings()

    async def run() -> None:
        pool = await _pool(settings)
        try:
            started = time.perf_counter()
            events = await store.rebuild(
                pool, deadline_policy(settings).calendar, consumer_name(settings.topic_prefix)
            )
            elapsed = time.perf_counter() - started
            typer.echo(
                f"rebuilt from {events} events in {elapsed:.2f}s "
                f"({events / max(elapsed, 1e-9):,.0f} events/s)"
            )
            for table, digest in (await store.digests(pool)).items():
                typer.echo(f"{table:<24} rows={digest['rows']:<8} digest={digest['digest']}")
        finally:
            await pool.close()

    asyncio.run(run())


@app.command()
def digest() -> None:
    """Print the digest of each read model as it is now (compare with a rebuild's)."""
    from reporting import store

    async def run() -> None:
        pool = await _pool(PlatformSettings())
        try:
            for table, found in (await store.digests(pool)).items():
                typer.echo(f"{table:<24} rows={found['rows']:<8} digest={found['digest']}")
        finally:
            await pool.close()

    asyncio.run(run())


@app.command()
def timeline(tracking_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every event of one complaint: when, what, who (role and id), and the payload."""
    from reporting.handlers import timeline as read_timeline
    from services.eventstore import EventStore

    async def run() -> None:
        pool = await _pool(PlatformSettings())
        try:
            events = await read_timeline(EventStore(pool), tracking_id)
        finally:
            await pool.close()
        if events is None:
            typer.echo(f"no complaint with tracking id {tracking_id}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(events, indent=2, ensure_ascii=False))
            return
        for e in events:
            actor = f"{e['actor']['role']}:{e['actor']['id']}"
            payload = json.dumps(e["payload"], ensure_ascii=False)
            typer.echo(
                f"{e['version']:>3}  {e['occurred_at']}  {e['event_type']:<38} "
                f"{actor:<34} {payload}"
            )

    asyncio.run(run())


@app.command()
def verify() -> None:
    """Check every complaint's hash chain; exit 1 and name the complaint when one is broken."""
    from services.tools import verify_all

    settings = PlatformSettings()
    report = asyncio.run(verify_all(settings))
    tracking = asyncio.run(_tracking_ids(settings, [f.complaint_id for f in report.broken]))
    for fault in report.broken:
        typer.echo(
            f"BROKEN complaint {fault.complaint_id} ({tracking.get(fault.complaint_id, '?')}) "
            f"at version {fault.version}: {fault.reason}"
        )
    typer.echo(f"{len(report.heads)} complaint streams checked, {len(report.broken)} broken")
    raise typer.Exit(1 if report.broken else 0)


async def _tracking_ids(settings: PlatformSettings, ids: list) -> dict:  # type: ignore[type-arg]
    """Tracking ids of some complaints (as filed), to name them the way people know them."""
    if not ids:
        return {}
    pool = await _pool(settings)
    try:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT complaint_id, payload->>'tracking_id' AS tracking_id FROM events "
                "WHERE complaint_id = ANY($1::uuid[]) AND event_type = 'complaint.filed'",
                ids,
            )
        return {r["complaint_id"]: r["tracking_id"] for r in rows}
    finally:
        await pool.close()
