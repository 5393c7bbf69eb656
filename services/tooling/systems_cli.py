"""`python -m services systems ...`: register, list, rotate the key of, suspend and resume
connected (regional) systems, straight on the database, as the national admin's API does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from services.tooling.settings import ToolingSettings

systems_app = typer.Typer(
    help="connected regional (and ministry) complaint systems", no_args_is_help=True
)


def _run(command: Callable[[Any], Awaitable[Any]]) -> None:
    """Run one connected-systems command over the database; print the answer, or the
    refusal (exit 2)."""
    from intake.bootstrap import over_database
    from intake.connected.handlers import handle
    from services.kernel.refusals import Refused
    from services.tooling.operator_db import command_ports, database

    settings = ToolingSettings()

    async def run() -> Any:
        async with database(settings) as pool:
            deps = over_database(pool, command_ports(pool, settings)).connected
            return await command(lambda cmd: handle(cmd, deps))

    try:
        done = asyncio.run(run())
    except Refused as refused:
        typer.echo(f"refused ({refused.code}): {refused.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(done, indent=2, default=str))


@systems_app.command("register")
def register(
    code: str,
    name: Annotated[str, typer.Option(help="the system's name")],
    agency: Annotated[list[str], typer.Option(help="an agency code it speaks for (repeat)")],
    status: Annotated[
        list[str],
        typer.Option(help="WORD=STEP, e.g. diproses=in_progress (repeat for every word)"),
    ],
    reconciliation_url: Annotated[
        str | None, typer.Option(help="the system's reconciliation endpoint")
    ] = None,
) -> None:
    """Register a system; prints its key (shown once)."""
    from intake.connected.handlers import RegisterSystem

    status_map = dict(pair.split("=", 1) for pair in status if "=" in pair)
    if len(status_map) != len(status):
        raise typer.BadParameter("give every status as WORD=STEP", param_hint="--status")
    command = RegisterSystem(code, name, tuple(agency), status_map, reconciliation_url)
    _run(lambda handle: handle(command))


@systems_app.command("list")
def list_systems() -> None:
    """Every connected system (never a key)."""
    from intake.connected.handlers import ShowSystems

    _run(lambda handle: handle(ShowSystems()))


@systems_app.command("reconcile")
def reconcile(code: str) -> None:
    """Compare the system's report with the national record now; print the drift."""
    from intake.connected.reconciling import Reconcile

    _run(lambda handle: handle(Reconcile(code)))


@systems_app.command("health")
def health() -> None:
    """Per system: last contact, lag, replay backlog, drift, refused steps."""
    from intake.connected.reconciling import ShowHealth

    _run(lambda handle: handle(ShowHealth()))


@systems_app.command("rotate-key")
def rotate_key(code: str) -> None:
    """A new key for the system (printed once); the old one stops working at once."""
    from intake.connected.handlers import RotateSystemKey

    _run(lambda handle: handle(RotateSystemKey(code)))


@systems_app.command("suspend")
def suspend(code: str) -> None:
    """Refuse the system's calls until it is resumed."""
    from intake.connected.handlers import SetSystemActive

    _run(lambda handle: handle(SetSystemActive(code, False)))


@systems_app.command("resume")
def resume(code: str) -> None:
    """Accept the system's calls again."""
    from intake.connected.handlers import SetSystemActive

    _run(lambda handle: handle(SetSystemActive(code, True)))


def _as_broker_admin(
    code: str, action: Callable[[ToolingSettings, str, dict[str, Any]], Awaitable[Any]]
) -> None:
    """Run `action` as the broker's `admin` (the embedded broker's, or the operator's settings)
    for a registered system; print its answer, or refuse (exit 2)."""
    from intake.connected.store import SystemTable
    from services.platform import kafka
    from services.tooling.broker_auth import ADMIN
    from services.tooling.embedded import ensure_infra
    from services.tooling.operator_db import database

    settings = ToolingSettings()
    endpoints = ensure_infra(settings, principal=ADMIN)

    async def run() -> Any:
        async with database(settings, endpoints) as pool:
            if await SystemTable(pool).get(code) is None:
                return None
        bootstrap = endpoints.kafka_bootstrap_servers
        return await action(settings, bootstrap, kafka.client_auth(settings))

    done = asyncio.run(run())
    if done is None:
        typer.echo(f"refused (not_found): no connected system {code!r} is registered", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(done, indent=2))


@systems_app.command("open-topic")
def open_topic(code: str) -> None:
    """Let the system import over its own topic: create `<prefix>.imports.<code>.v1`, its
    broker principal `system-<code>` with a new password (printed once; run again to rotate it)
    and the ACLs that let it write that topic only. Needs the broker's admin."""
    from services.tooling.system_topics import open_import_topic

    _as_broker_admin(code, lambda s, bootstrap, auth: open_import_topic(s, bootstrap, auth, code))


@systems_app.command("close-topic")
def close_topic(code: str) -> None:
    """Delete the system's broker credential: it can no longer write its topic (`suspend`
    also makes intake set aside whatever it still finds there)."""
    from services.tooling.system_topics import close_import_topic

    _as_broker_admin(code, lambda _, bootstrap, auth: close_import_topic(bootstrap, auth, code))


@systems_app.command("backfill")
def backfill_command(
    source: Annotated[Path, typer.Argument(help="JSON lines: one complaint with its history each")],
    system: Annotated[str, typer.Option(help="the connected system's code")],
    key: Annotated[str, typer.Option(envvar="LAPOR_SYSTEM_KEY", help="the system's key")],
    url: Annotated[str, typer.Option(help="intake's base URL")] = "http://127.0.0.1:18020",
    checkpoint: Annotated[
        Path | None, typer.Option(help="where progress is kept (default: SOURCE.checkpoint)")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=200)] = 100,
) -> None:
    """Import a system's whole history through the bulk endpoint, resumably: run it again
    after any interruption and it goes on from the last acknowledged batch."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from services.tooling.backfill import Checkpoint, backfill

    state = Checkpoint.load(checkpoint or source.with_suffix(source.suffix + ".checkpoint"), source)
    with source.open() as lines:
        total = sum(1 for _ in lines)
    started = time.monotonic()
    done_before = state.line
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("backfill", total=total, completed=state.line)
        final = backfill(
            source,
            base_url=url,
            system=system,
            key=key,
            checkpoint=state,
            batch_size=batch_size,
            on_batch=lambda n: progress.advance(task, n),
        )
    seconds = max(time.monotonic() - started, 1e-9)
    summary = {
        "lines": final.line,
        "sent_now": final.line - done_before,
        "per_second": round((final.line - done_before) / seconds, 1),
        "steps_applied": final.applied,
        "steps_already_there": final.already_there,
        "rejected": final.rejected,
        "checkpoint": str(final.path),
    }
    typer.echo(json.dumps(summary, indent=2))
