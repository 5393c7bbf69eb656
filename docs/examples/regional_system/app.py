"""A city's own complaint system (the reference a regional developer compares theirs with): its
own database (SQLite), its own API, its own status words. It knows nothing of the backbone;
`connector.py` links the two both ways.

    python docs/examples/regional_system/app.py --db var/regional/bandung.db --port 18060 \
        [--seed-history 5000]

Citizens file here (`POST /complaints`), staff move complaints on in the city's words
(`POST /complaints/{id}/status`: diterima, diproses, ditanggapi, selesai, ditutup, ditolak).
Every change is also written to an outbox the connector drains, in the same transaction.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

STATUSES = ("diterima", "diproses", "ditanggapi", "selesai", "ditutup", "ditolak")
AGENCY = "kota-bandung"
SCHEMA = """
CREATE TABLE IF NOT EXISTS complaints (
    local_id text PRIMARY KEY,
    origin text NOT NULL CHECK (origin IN ('local', 'national')),
    national_id text UNIQUE,
    title text NOT NULL,
    description text NOT NULL,
    category text,
    region_code text,
    agency_code text NOT NULL,
    status text NOT NULL,
    filed_at text NOT NULL,
    updated_at text NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    step_id text PRIMARY KEY,
    local_id text NOT NULL REFERENCES complaints (local_id),
    status text NOT NULL,
    at text NOT NULL,
    message text
);
CREATE TABLE IF NOT EXISTS outbox (
    seq integer PRIMARY KEY AUTOINCREMENT,
    local_id text NOT NULL,
    step_id text NOT NULL,
    sent_at text
);
CREATE TABLE IF NOT EXISTS connector_state (key text PRIMARY KEY, value text NOT NULL);
"""


class Filing(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=20_000)
    category: str | None = "jalan"
    region_code: str | None = "32.73"


class StatusChange(BaseModel):
    status: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")
    message: str | None = Field(None, max_length=20_000)


class Database:
    """The city's database: one SQLite file, one writer at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(SCHEMA)
        self.lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
                self.connection.execute("COMMIT")
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            return self.connection.execute(sql, args).fetchall()


def now() -> str:
    return datetime.now(UTC).isoformat()


def next_local_id(conn: sqlite3.Connection) -> str:
    count = conn.execute("SELECT count(*) FROM complaints WHERE origin = 'local'").fetchone()[0]
    return f"BDG-{count + 1:06d}"


def record_step(
    conn: sqlite3.Connection,
    local_id: str,
    status: str,
    at: str,
    message: str | None,
    *,
    outbox: bool = True,
) -> str:
    """A status change: the history row, the complaint's status, and the outbox row."""
    steps = conn.execute("SELECT count(*) FROM history WHERE local_id = ?", (local_id,)).fetchone()
    step_id = f"{local_id}/{steps[0] + 1}"
    conn.execute(
        "INSERT INTO history (step_id, local_id, status, at, message) VALUES (?, ?, ?, ?, ?)",
        (step_id, local_id, status, at, message),
    )
    conn.execute(
        "UPDATE complaints SET status = ?, updated_at = ? WHERE local_id = ?",
        (status, at, local_id),
    )
    if outbox:
        conn.execute("INSERT INTO outbox (local_id, step_id) VALUES (?, ?)", (local_id, step_id))
    return step_id


def file_local(conn: sqlite3.Connection, filing: Filing, at: str, *, outbox: bool = True) -> str:
    local_id = next_local_id(conn)
    conn.execute(
        "INSERT INTO complaints (local_id, origin, title, description, category, region_code, "
        "agency_code, status, filed_at, updated_at) VALUES (?, 'local', ?, ?, ?, ?, ?, "
        "'diterima', ?, ?)",
        (
            local_id,
            filing.title,
            filing.description,
            filing.category,
            filing.region_code,
            AGENCY,
            at,
            at,
        ),
    )
    record_step(conn, local_id, "diterima", at, None, outbox=outbox)
    return local_id


def seed_history(db: Database, count: int, seed: int = 11) -> None:
    """`count` complaints filed over the past two years, most of them closed: the history a
    city already has when it connects (not in the outbox: it goes by backfill)."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with db.transaction() as conn:
        for n in range(count):
            at = start + timedelta(minutes=n * 150 + rnd.randint(0, 100))
            filing = Filing(
                title=f"Keluhan warga nomor {n + 1}",
                description=rnd.choice(["Jalan berlubang", "Lampu padam", "Sampah menumpuk"]),
            )
            local_id = file_local(conn, filing, at.isoformat(), outbox=False)
            path = rnd.choice(
                [
                    ("diproses", "ditanggapi", "selesai", "ditutup"),
                    ("diproses", "ditanggapi", "ditutup"),
                    ("diproses", "selesai"),
                    ("diproses",),
                ]
            )
            for i, status in enumerate(path, start=1):
                step_at = (at + timedelta(days=i)).isoformat()
                message = "Sudah ditindaklanjuti" if status in ("ditanggapi", "selesai") else None
                record_step(conn, local_id, status, step_at, message, outbox=False)


def history_item(conn: sqlite3.Connection | Database, local_id: str) -> dict[str, Any]:
    """A local complaint with its whole history, as the backbone's import expects it."""
    query = conn.query if isinstance(conn, Database) else _query(conn)
    [row] = query("SELECT * FROM complaints WHERE local_id = ?", local_id)
    steps = query("SELECT * FROM history WHERE local_id = ? ORDER BY rowid", local_id)
    return {
        "external_id": row["local_id"],
        "agency_code": row["agency_code"],
        "title": row["title"],
        "description": row["description"],
        "category": row["category"],
        "region_code": row["region_code"],
        "steps": [
            {"step_id": s["step_id"], "status": s["status"], "at": s["at"], "message": s["message"]}
            for s in steps
        ],
    }


def _query(conn: sqlite3.Connection) -> Any:
    return lambda sql, *args: conn.execute(sql, args).fetchall()


def create_app(db: Database) -> FastAPI:
    app = FastAPI(title="Sistem Pengaduan Kota Bandung (reference regional system)")

    @app.post("/complaints", status_code=201)
    def file(filing: Filing) -> dict[str, str]:
        with db.transaction() as conn:
            return {"local_id": file_local(conn, filing, now())}

    @app.post("/complaints/{local_id}/status")
    def change(local_id: str, change: StatusChange) -> dict[str, str]:
        with db.transaction() as conn:
            if not conn.execute(
                "SELECT 1 FROM complaints WHERE local_id = ?", (local_id,)
            ).fetchone():
                raise HTTPException(404, "no such complaint")
            return {"step_id": record_step(conn, local_id, change.status, now(), change.message)}

    @app.get("/complaints")
    def complaints(origin: str | None = None) -> list[dict[str, Any]]:
        rows = db.query(
            "SELECT * FROM complaints WHERE ? IS NULL OR origin = ? ORDER BY local_id",
            origin,
            origin,
        )
        return [dict(r) for r in rows]

    @app.get("/export.jsonl")
    def export() -> Any:
        """Every local complaint with its history (what the backfill sends)."""
        from fastapi.responses import PlainTextResponse

        local = "SELECT local_id FROM complaints WHERE origin = 'local' ORDER BY local_id"
        ids = [r["local_id"] for r in db.query(local)]
        lines = [json.dumps(history_item(db, i)) for i in ids]
        return PlainTextResponse("\n".join(lines) + "\n")

    @app.get("/reconciliation")
    def reconciliation(day: str | None = None) -> dict[str, Any]:
        """The endpoint the backbone's reconciliation calls (its documented contract): per
        filing day (UTC) and status, a count and the SHA-256 of the sorted ids joined by
        newlines; with `?day=`, that day's complaints one by one. An id is the national
        complaint id for a complaint that came from the national side, the local id
        otherwise."""
        rows = db.query(
            "SELECT substr(filed_at, 1, 10) AS day, status, coalesce(national_id, local_id) AS id "
            "FROM complaints ORDER BY id"
        )
        if day is not None:
            return {
                "complaints": [
                    {"id": r["id"], "status": r["status"]} for r in rows if r["day"] == day
                ]
            }
        cells: dict[tuple[str, str], list[str]] = {}
        for r in rows:
            cells.setdefault((r["day"], r["status"]), []).append(r["id"])
        return {
            "cells": [
                {
                    "day": day,
                    "status": status,
                    "count": len(ids),
                    "digest": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
                }
                for (day, status), ids in sorted(cells.items())
            ]
        }

    @app.post("/admin/wipe-mirror", status_code=204)
    def wipe_mirror() -> None:
        """Forget every complaint that came from the national side, and where the connector
        was in the national log (to test a replay)."""
        with db.transaction() as conn:
            national = "SELECT local_id FROM complaints WHERE origin = 'national'"
            conn.execute(f"DELETE FROM outbox WHERE local_id IN ({national})")
            conn.execute(f"DELETE FROM history WHERE local_id IN ({national})")
            conn.execute("DELETE FROM complaints WHERE origin = 'national'")
            conn.execute("DELETE FROM connector_state WHERE key = 'replay_after'")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("var/regional/bandung.db"))
    parser.add_argument("--port", type=int, default=18060)
    parser.add_argument("--seed-history", type=int, default=0)
    args = parser.parse_args()
    db = Database(args.db)
    if args.seed_history and not db.query("SELECT 1 FROM complaints LIMIT 1"):
        seed_history(db, args.seed_history)
    uvicorn.run(create_app(db), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
