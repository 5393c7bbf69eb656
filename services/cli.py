"""`python -m services ...`: the platform's command line (infra, migrate, relay, run)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from services.infra import ensure_infra, infra_status, redact, stop_infra
from services.settings import PlatformSettings

app = typer.Typer(help="lapor backbone platform commands", no_args_is_help=True)
infra = typer.Typer(help="the embedded broker and PostgreSQL under var/", no_args_is_help=True)
app.add_typer(infra, name="infra")


@infra.command("up")
def infra_up() -> None:
    """Start (or reuse) the local broker and PostgreSQL; print where they are."""
    endpoints = ensure_infra(PlatformSettings())
    shown = endpoints.__dict__ | {"database_url": redact(endpoints.database_url)}
    typer.echo(json.dumps(shown, indent=2))


@infra.command("down")
def infra_down() -> None:
    """Stop the local broker and PostgreSQL (data in var/pgdata stays)."""
    typer.echo(json.dumps(stop_infra(PlatformSettings()), indent=2))


@infra.command("status")
def infra_status_command() -> None:
    """Say what runs and where."""
    typer.echo(json.dumps(infra_status(PlatformSettings()), indent=2))


@app.command()
def migrate() -> None:
    """Apply the event-store migrations that are not applied yet."""
    from services.migrate import migrate_database

    settings = PlatformSettings()
    applied = asyncio.run(migrate_database(ensure_infra(settings).database_url))
    typer.echo(f"applied: {applied or 'nothing (up to date)'}")


@app.command()
def relay() -> None:
    """Run the outbox relay (one process; extra ones wait as stand-bys)."""
    from services.relay_service import main

    main()


@app.command()
def run() -> None:
    """Start the whole system and print its URLs; Ctrl-C stops everything."""
    from services.launcher import run as run_all
    from services.logs import configure_logging

    settings = PlatformSettings()
    configure_logging(settings.log_level, settings.log_format)
    run_all(settings)


@app.command()
def verify(
    export_heads: Path | None = typer.Option(None, help="write the current stream heads here"),
    against: Path | None = typer.Option(None, help="anchors written earlier by --export-heads"),
) -> None:
    """Check every complaint's hash chain; exit 1 and name the complaint when one is broken.

    Keep the file from --export-heads outside this system (an auditor's store): checking
    --against it later also catches history rewritten with recomputed hashes.
    """
    from services.tools import verify_all

    anchors = None
    if against is not None:
        anchors = {k: (int(v[0]), str(v[1])) for k, v in json.loads(against.read_text()).items()}
    report = asyncio.run(verify_all(PlatformSettings(), anchors))
    for fault in report.broken:
        typer.echo(
            f"BROKEN complaint {fault.complaint_id} at version {fault.version}: {fault.reason}"
        )
    typer.echo(f"{len(report.heads)} complaint streams checked, {len(report.broken)} broken")
    if export_heads is not None:
        export_heads.write_text(json.dumps(report.heads, indent=1, sort_keys=True))
        typer.echo(f"anchors for {len(report.heads)} streams written to {export_heads}")
    raise typer.Exit(1 if report.broken else 0)
