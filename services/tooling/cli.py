"""`python -m services ...`: the one operator CLI (engines, migrations, processes, demo clock,
read models, audit, docs). `python -m reporting ...` and `python -m followup advance-clock`
reach the same commands.
Kept in one module: typer's command table is the CLI's
documentation (`--help`), one command a function."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import typer

from services.tooling.embedded import ADMIN, ensure_infra, infra_status, redact, stop_infra
from services.tooling.operator_db import (
    OperatorError,
    command_ports,
    database,
    reading_database,
)
from services.tooling.settings import ToolingSettings
from services.tooling.systems_cli import systems_app

app = typer.Typer(help="lapor backbone platform commands", no_args_is_help=True)
infra = typer.Typer(help="the embedded broker and PostgreSQL under var/", no_args_is_help=True)
app.add_typer(infra, name="infra")
app.add_typer(systems_app, name="systems")
reporting_app = typer.Typer(
    help="lapor reporting: read models, dashboards and audit", no_args_is_help=True
)


@infra.command("up")
def infra_up() -> None:
    """Start (or reuse) the local broker and PostgreSQL; print where they are."""
    endpoints = ensure_infra(ToolingSettings(), principal=ADMIN)
    shown = endpoints.__dict__ | {"database_url": redact(endpoints.database_url)}
    typer.echo(json.dumps(shown, indent=2))


@infra.command("down")
def infra_down() -> None:
    """Stop the local broker and PostgreSQL (data in var/pgdata stays)."""
    typer.echo(json.dumps(stop_infra(ToolingSettings()), indent=2))


@infra.command("status")
def infra_status_command() -> None:
    """Say what runs and where."""
    typer.echo(json.dumps(infra_status(ToolingSettings()), indent=2))


@app.command()
def migrate() -> None:
    """Apply the event-store migrations that are not applied yet."""
    from services.platform.migrate import migrate_database

    settings = ToolingSettings()
    applied = asyncio.run(migrate_database(ensure_infra(settings, principal=ADMIN).database_url))
    typer.echo(f"applied: {applied or 'nothing (up to date)'}")


@app.command()
def relay() -> None:
    """Run the outbox relay (one process; extra ones wait as stand-bys)."""
    from services.tooling.entrypoints import relay_main

    relay_main()


@app.command()
def run(
    replicas: list[str] = typer.Option(
        [], "--replicas", help="SERVICE=N processes of a service, e.g. --replicas routing=2"
    ),
) -> None:
    """Start the whole system and print its URLs; Ctrl-C stops everything."""
    from services.platform.logs import configure_logging
    from services.tooling.launcher import run as run_all

    counts = {}
    for item in replicas:
        name, _, count = item.partition("=")
        if not count.isdigit():
            raise typer.BadParameter(f"{item!r}: give SERVICE=N", param_hint="--replicas")
        counts[name] = int(count)
    settings = ToolingSettings()
    if counts:
        settings = ToolingSettings(replicas=settings.replicas | counts)
    configure_logging(settings.log_level, settings.log_format)
    run_all(settings)


@app.command("advance-clock")
def advance_clock(
    working_days: int = typer.Option(0, min=0, max=250, help="on the Indonesian calendar"),
    days: float = typer.Option(0, min=0, max=400, help="calendar days"),
) -> None:
    """Move the platform clock forward (refused where the clock is not adjustable)."""
    from services.platform.clock import PlatformClock, move_forward
    from services.platform.policy import deadline_policy

    settings = ToolingSettings()
    if not settings.adjustable_clock:
        raise SystemExit("the clock is not adjustable in this environment")

    async def advance() -> None:
        async with database(settings) as pool:
            calendar = deadline_policy(settings).calendar
            clock = PlatformClock(pool)
            moved = await move_forward(clock, calendar, days=days, working_days=working_days)
        typer.echo(f"platform time is now {moved.isoformat()}")

    asyncio.run(advance())


@app.command()
@reporting_app.command()
def verify(
    export_heads: Path | None = typer.Option(None, help="write the current stream heads here"),
    against: Path | None = typer.Option(None, help="anchors written earlier by --export-heads"),
    checkpoints: Path | None = typer.Option(
        None, help="signed checkpoints kept outside (a JSON list, as GET /v1/audit/checkpoints)"
    ),
    public_key: str | None = typer.Option(
        None, help="the trusted Ed25519 public key (hex; default: the configured signer's)"
    ),
) -> None:
    """Check every complaint's hash chain, and the whole log against every signed checkpoint
    (those kept here, or --checkpoints kept outside); exit 1 naming what is broken.

    Keep the file from --export-heads outside this system (an auditor's store): checking
    --against it later also catches history rewritten with recomputed hashes. Checkpoints catch
    a whole complaint deleted, or a stream rewound, even without such a file.
    """
    from events.messages import SignedCheckpoint
    from reporting.settings import ReportingSettings
    from services.platform.checkpoints import CheckpointTable, public_hex, signer_of
    from services.platform.eventstore import PostgresEventStore

    settings = ToolingSettings()
    anchors = None
    if against is not None:
        anchors = {k: (int(v[0]), str(v[1])) for k, v in json.loads(against.read_text()).items()}
    outside = None
    if checkpoints is not None:
        outside = [SignedCheckpoint.model_validate(c) for c in json.loads(checkpoints.read_text())]
    signing_key = ReportingSettings().checkpoint_signing_key.get_secret_value()
    trusted = public_key or public_hex(signer_of(signing_key))

    async def check() -> tuple[list, dict, dict, list]:  # type: ignore[type-arg]
        # An auditor's tool only reads: it starts, migrates and provisions nothing.
        async with reading_database(settings) as pool:
            store = PostgresEventStore(pool)
            broken = await store.verify_chains()
            if anchors:
                broken += await store.check_anchors(anchors)
            names = await store.tracking_ids([b.complaint_id for b in broken])
            faults = await CheckpointTable(pool).check(trusted, outside)
            return broken, await store.stream_heads(), names, faults

    try:
        broken, heads, names, faults = asyncio.run(check())
    except OperatorError as exc:
        typer.echo(f"verify: {exc}", err=True)
        raise typer.Exit(2) from None
    except asyncpg.PostgresError as exc:
        typer.echo(f"verify: the database cannot be read as a lapor log: {exc}", err=True)
        raise typer.Exit(2) from None
    for fault in broken:
        typer.echo(
            f"BROKEN complaint {fault.complaint_id} ({names.get(fault.complaint_id, '?')}) "
            f"at version {fault.version}: {fault.reason}"
        )
    for checkpoint in faults:
        typer.echo(
            f"BROKEN log at checkpoint position {checkpoint.log_position}: {checkpoint.reason}"
        )
    typer.echo(
        f"{len(heads)} complaint streams checked, {len(broken)} broken; "
        f"{len(faults)} checkpoint(s) broken"
    )
    if export_heads is not None:
        export_heads.write_text(json.dumps(heads, indent=1, sort_keys=True))
        typer.echo(f"anchors for {len(heads)} streams written to {export_heads}")
    raise typer.Exit(1 if broken or faults else 0)


@app.command("reconcile")
def reconcile_command(
    wait: float = typer.Option(0, min=0, help="seconds to let the copies catch up first"),
) -> None:
    """Compare the event store (the record) with the complaints read model and the
    complaint-events topic; name every complaint missing, behind, or present without a stream
    in either copy, and exit 1 if there is one."""
    from services.platform.kafka import client_auth
    from services.tooling.consistency import reconcile_until

    settings = ToolingSettings()
    infra = ensure_infra(settings, principal=ADMIN)

    async def check() -> list:  # type: ignore[type-arg]
        async with database(settings, infra) as pool:
            return await reconcile_until(
                pool,
                infra.kafka_bootstrap_servers,
                settings.events_topic,
                client_auth(settings),
                wait,
            )

    found = asyncio.run(check())
    for difference in found:
        typer.echo(f"DIFFERS {difference.where}: {difference.complaint_id} {difference.problem}")
    typer.echo(f"{len(found)} difference(s) between the record and its copies")
    raise typer.Exit(1 if found else 0)


@app.command()
def checkpoint() -> None:
    """Sign a checkpoint of the log now (reporting does so every LAPOR_CHECKPOINT_INTERVAL_S);
    print it."""
    from reporting.audit import SignCheckpoint

    made = asyncio.run(_reporting(SignCheckpoint(publish=False)))
    typer.echo(made.model_dump_json(indent=1) if made else "the log has not moved: none made")


@reporting_app.command()
def serve() -> None:
    """Run the reporting service (HTTP API and the live projection)."""
    from reporting.app import create_app
    from services.tooling.entrypoints import service_main

    service_main("reporting", "reporting_port", create_app)


def _print_digests(found: dict[str, dict[str, object]]) -> None:
    for table, digest in found.items():
        typer.echo(f"{table:<24} rows={digest['rows']!s:<8} digest={digest['digest']}")


@app.command()
@reporting_app.command()
def rebuild() -> None:
    """Rebuild every read model from the event store; print the rate and a digest per table."""
    from reporting.ports import consumer_name
    from reporting.store import ReadModelTables
    from services.platform.policy import deadline_policy

    settings = ToolingSettings()

    async def run_rebuild() -> None:
        async with database(settings) as pool:
            tables = ReadModelTables(pool, deadline_policy(settings).calendar)
            started = time.perf_counter()
            events = await tables.rebuild(consumer_name(settings.topic_prefix))
            elapsed = time.perf_counter() - started
            typer.echo(
                f"rebuilt from {events} events in {elapsed:.2f}s "
                f"({events / max(elapsed, 1e-9):,.0f} events/s)"
            )
            _print_digests(await tables.digests())

    asyncio.run(run_rebuild())


@app.command()
@reporting_app.command()
def digest() -> None:
    """Print the digest of each read model as it is now (compare with a rebuild's)."""
    from reporting.store import digests

    async def run_digest() -> None:
        async with database(ToolingSettings()) as pool:
            _print_digests(await digests(pool))

    asyncio.run(run_digest())


@app.command()
@reporting_app.command()
def timeline(tracking_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every event of one complaint: when, what, who (role and id), and the payload."""
    from reporting.audit import timeline_of
    from reporting.settings import ReportingSettings
    from services.kernel.refusals import Refused
    from services.platform.eventstore import PostgresEventStore

    settings = ToolingSettings()

    async def read() -> list[dict[str, object]]:
        async with database(settings) as pool:
            holders = ReportingSettings().holders(bool(settings.demo_keys))
            return await timeline_of(PostgresEventStore(pool), tracking_id, holders)

    try:
        events = asyncio.run(read())
    except Refused:
        typer.echo(f"no complaint with tracking id {tracking_id}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(events, indent=2, ensure_ascii=False))
        return
    for e in events:
        who: dict[str, str | None] = e["actor"]  # type: ignore[assignment]
        actor = f"{who['role']}:{who['id']}" + (f" ({who['person']})" if who["person"] else "")
        payload = json.dumps(e["payload"], ensure_ascii=False)
        typer.echo(
            f"{e['version']:>3}  {e['occurred_at']}  {e['event_type']:<38} {actor:<34} {payload}"
        )


@app.command("as-of")
def as_of(
    at: str = typer.Argument(help="the instant, ISO 8601 with its offset: 2026-03-01T00:00+07:00"),
    tracking_id: str | None = typer.Option(None, help="one complaint instead of the dashboards"),
) -> None:
    """What the record said at a past instant, rebuilt from the log: one complaint's state, or
    the dashboards (agencies, regions, counts by status)."""
    from datetime import datetime

    from reporting.audit import ComplaintAsOf, DashboardsAsOf
    from services.kernel.refusals import Refused

    instant = datetime.fromisoformat(at)
    if instant.tzinfo is None:
        raise typer.BadParameter("give the instant's offset (e.g. +07:00 or Z)", param_hint="AT")
    query = ComplaintAsOf(tracking_id, instant) if tracking_id else DashboardsAsOf(instant)
    try:
        found = asyncio.run(_reporting(query))
    except Refused as refused:
        typer.echo(f"refused ({refused.code}): {refused.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))


@app.command("open-data")
def open_data_export() -> None:
    """Write today's open-data package now (reporting also does every
    LAPOR_OPEN_DATA_INTERVAL_S): under <var dir>/open-data/<day>/, `latest` pointing at it."""
    from reporting.handlers import ExportOpenData

    typer.echo(str(asyncio.run(_reporting(ExportOpenData()))))


async def _reporting(query: object) -> object:
    """Run one of reporting's queries over the database, as the service would."""
    from reporting.bootstrap import over_database
    from reporting.handlers import handle

    settings = ToolingSettings()
    async with database(settings) as pool:
        return await handle(query, over_database(pool, command_ports(pool, settings)))


@app.command("settings-table")
def settings_table(
    write: bool = typer.Option(False, "--write", help="rewrite README.md's table in place"),
) -> None:
    """Print every setting (variable, the service that reads it, default, meaning), made from
    the settings classes; with --write, put it in README.md."""
    from services.tooling import settings_table as made

    if write:
        changed = made.write(Path("README.md"))
        typer.echo("README.md updated" if changed else "README.md already up to date")
    else:
        typer.echo(made.table())


@app.command("erase-personal-data")
def erase_personal_data(
    complaint: str = typer.Argument(help="the complaint id, or its tracking id (lpr-...)"),
    operator: str = typer.Option(..., help="who asks (recorded as the actor), e.g. an e-mail"),
) -> None:
    """Erase a reporter's contact (UU PDP 27/2022): destroy the reporter's key and record
    PersonalDataErased. The same as the national admin's POST
    /v1/admin/complaints/{id}/erase-personal-data on intake; repeating it is harmless."""
    from uuid import UUID

    from intake.bootstrap import over_database
    from intake.handlers import handle
    from intake.reporters import ErasePersonalData
    from services.kernel.refusals import Refused

    settings = ToolingSettings()

    async def erase() -> dict[str, object]:
        async with database(settings) as pool:
            ports = command_ports(pool, settings)
            if complaint.startswith("lpr-"):
                found = await ports.store.find_by_tracking_id(complaint)
                if found is None:
                    raise Refused("not_found", f"no complaint with tracking id {complaint}")
                complaint_id = found
            else:
                complaint_id = UUID(complaint)
            command = ErasePersonalData(complaint_id, f"cli:{operator}")
            deps = over_database(pool, ports).channels
            done: dict[str, object] = await handle(command, deps)
            return done

    try:
        done = asyncio.run(erase())
    except (Refused, ValueError) as exc:
        typer.echo(f"not erased: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(done, indent=2))


@app.command()
def asyncapi() -> None:
    """Print the AsyncAPI document of every topic (`make asyncapi` writes docs/asyncapi.json)."""
    from events.asyncapi import render

    typer.echo(render(), nl=False)
