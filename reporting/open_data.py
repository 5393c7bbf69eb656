"""Open data: what anyone may read and re-use, never personal data. Row by row, only complaints
that are neither confidential nor anonymous, and of them only codes, statuses and dates (no
title, no description, no message: free text is where reporters write names and numbers); in
aggregates, every complaint, with each count below LAPOR_OPEN_DATA_MIN_CELL suppressed. The daily
export is a Frictionless tabular data package: CSV and JSON of each table, with its schema."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from events.fold import replay
from services.kernel.refusals import RefusalKind, Refused
from services.platform.ports import EventStore

COMPLAINT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("tracking_id", "string", "the complaint's public tracking id"),
    ("kind", "string", "complaint, aspiration or information request"),
    ("category", "string", "the category the national admin set"),
    ("region_code", "string", "the region (Kemendagri code) it concerns"),
    ("province_code", "string", "the province (two-digit Kemendagri code)"),
    ("agency_code", "string", "the agency holding it now (GET /v1/agencies on routing)"),
    ("status", "string", "its lifecycle status now"),
    ("filed_on", "date", "the day it was filed (Asia/Jakarta)"),
    ("closed_on", "date", "the day it was closed, if it was"),
    ("closed_reason", "string", "resolved, reporter_silence or withdrawn"),
    ("resolution_code", "string", "how it was resolved, if it was"),
    ("escalations", "integer", "how many times a missed deadline escalated it"),
)
TIMELINE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("tracking_id", "string", "the complaint (complaints.tracking_id)"),
    ("step", "integer", "the event's place in the complaint's history, from 1"),
    ("event", "string", "what happened (the event type, e.g. complaint.disposed)"),
    ("on", "date", "the day it happened (Asia/Jakarta)"),
    ("agency_code", "string", "the agency that acted or that it concerned, if any"),
)
AGGREGATE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("dimension", "string", "what the rows are counted by: province, category or agency"),
    ("code", "string", "the province, category or agency"),
    ("status", "string", "a lifecycle status"),
    (
        "complaints",
        "integer",
        "how many complaints (all of them, confidential too); empty when suppressed",
    ),
    ("suppressed", "boolean", "true when the count was below the threshold and is withheld"),
)
STREAMS_PER_READ = 1000
"""Complaint histories the export reads in one query."""
DIMENSIONS = {"province": "province_code", "category": "category", "agency": "agency_code"}
_AGENCY_FIELDS = ("agency_code", "to_agency_code", "unit_code", "reviewer_code")


def _local_day(at: datetime | None, zone: Any) -> str | None:
    return at.astimezone(zone).date().isoformat() if at else None


async def open_complaints(
    read_models: Any, zone: Any, *, limit: int, offset: int, **filters: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the publishable complaints, newest first, as open rows."""
    total, rows = await read_models.publishable(limit=limit, offset=offset, **filters)
    return total, [open_row(r, zone) for r in rows]


def open_row(row: dict[str, Any], zone: Any) -> dict[str, Any]:
    """The open fields of a read-model row (dates as local days)."""
    return {
        "tracking_id": row["tracking_id"],
        "kind": row["kind"],
        "category": row["category"],
        "region_code": row["region_code"],
        "province_code": row["province_code"],
        "agency_code": row["agency_code"],
        "status": row["status"],
        "filed_on": _local_day(row["filed_at"], zone),
        "closed_on": _local_day(row["closed_at"], zone),
        "closed_reason": row["closed_reason"],
        "resolution_code": row["resolution_code"],
        "escalations": row["escalations"],
    }


def timeline_steps(envelopes: Iterable[Any], tracking_id: str, zone: Any) -> list[dict[str, Any]]:
    """A complaint's public steps: what happened, on which day, which agency (no free text,
    no person)."""
    steps = []
    for envelope in envelopes:
        payload = envelope.payload
        agency = next(
            (getattr(payload, f) for f in _AGENCY_FIELDS if getattr(payload, f, None)), None
        )
        if agency is None and envelope.actor.role in ("agency", "work_unit"):
            agency = envelope.actor.id
        steps.append(
            {
                "tracking_id": tracking_id,
                "step": envelope.version,
                "event": envelope.event_type,
                "on": _local_day(envelope.occurred_at, zone),
                "agency_code": agency,
            }
        )
    return steps


async def aggregates(read_models: Any, dimension: str, min_cell: int) -> list[dict[str, Any]]:
    """Counts of every complaint by `dimension` and status; a count below `min_cell` is
    withheld. No totals are published: with one cell withheld, a total would give it away."""
    return [
        {
            "dimension": dimension,
            "code": code,
            "status": status,
            "complaints": n if n >= min_cell else None,
            "suppressed": n < min_cell,
        }
        for code, status, n in await read_models.status_counts(DIMENSIONS[dimension])
    ]


async def timeline_of(store: EventStore, tracking_id: str, zone: Any) -> list[dict[str, Any]]:
    """One publishable complaint's public steps (404 for any other: confidential, anonymous
    and unknown complaints look the same)."""
    complaint_id = await store.find_by_tracking_id(tracking_id)
    stream = await store.read_stream(complaint_id) if complaint_id else []
    state = replay(stream)
    if not stream or state.confidential or state.anonymous:
        raise Refused("not_found", "no such open complaint", kind=RefusalKind.NOT_FOUND)
    return timeline_steps(stream, tracking_id, zone)


def _schema(fields: tuple[tuple[str, str, str], ...], key: str | list[str] | None) -> dict:
    schema: dict[str, Any] = {
        "fields": [{"name": n, "type": t, "description": d} for n, t, d in fields],
        "missingValues": [""],
    }
    if key:
        schema["primaryKey"] = key
    return schema


def _csv_bytes(fields: tuple[tuple[str, str, str], ...], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f[0] for f in fields], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v)
                for k, v in row.items()
            }
        )
    return out.getvalue().encode()


def _resource(name: str, path: str, data: bytes, fmt: str, schema: dict[str, Any]) -> dict:
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/json",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "schema": schema,
    }


async def export(
    read_models: Any, store: EventStore, zone: Any, out: Path, min_cell: int, now: datetime
) -> Path:
    """Write the day's open-data package under `out/<day>/` (complaints, their timelines and
    the aggregates, each as CSV and JSON, and datapackage.json); point `out/latest` at it."""
    _, rows = await read_models.publishable(limit=10**9, offset=0)
    complaints = [open_row(r, zone) for r in rows]
    ids = {r["complaint_id"]: r["tracking_id"] for r in rows}
    steps: list[dict[str, Any]] = []
    chosen = sorted(ids)
    for start in range(0, len(chosen), STREAMS_PER_READ):
        streams = await store.read_many(chosen[start : start + STREAMS_PER_READ])
        for complaint_id, stream in streams.items():
            steps += timeline_steps(stream, ids[complaint_id], zone)
    steps.sort(key=lambda s: (s["tracking_id"], s["step"]))
    counts = [row for d in DIMENSIONS for row in await aggregates(read_models, d, min_cell)]
    tables = [
        ("complaints", COMPLAINT_FIELDS, complaints, "tracking_id"),
        ("timeline", TIMELINE_FIELDS, steps, ["tracking_id", "step"]),
        ("aggregates", AGGREGATE_FIELDS, counts, ["dimension", "code", "status"]),
    ]
    day = now.astimezone(zone).date().isoformat()
    folder = out / day
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, fields, rows, key in tables:
        schema = _schema(fields, key)
        as_csv = _csv_bytes(fields, rows)
        as_json = json.dumps(rows, ensure_ascii=False, indent=1).encode()
        (folder / f"{name}.csv").write_bytes(as_csv)
        (folder / f"{name}.json").write_bytes(as_json)
        resources.append(_resource(name, f"{name}.csv", as_csv, "csv", schema))
        resources.append(_resource(f"{name}-json", f"{name}.json", as_json, "json", schema))
    package = {
        "profile": "tabular-data-package",
        "name": "lapor-open-complaints",
        "title": "Pengaduan pelayanan publik: data terbuka / Public-service complaints: open data",
        "description": "Complaints that are neither confidential nor anonymous, by code, status "
        "and day, with their public steps; counts of every complaint with small cells "
        f"(below {min_cell}) withheld. No personal data, no free text.",
        "version": day,
        "created": now.isoformat(),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2))
    latest = out / "latest"
    staging = out / f".latest.{os.getpid()}"
    staging.unlink(missing_ok=True)
    staging.symlink_to(day)
    staging.replace(latest)  # atomically: a reader sees the old day or the new one
    return folder


def package_root(var_dir: Path) -> Path:
    """Where the daily packages are written (`<day>/`) and `latest` points."""
    return var_dir / "open-data"


EXPORT_FILES = frozenset(
    {"datapackage.json"}
    | {
        f"{name}.{ext}"
        for name in ("complaints", "timeline", "aggregates")
        for ext in ("csv", "json")
    }
)
"""What `GET /v1/open/export/{file}` serves from the latest package."""
