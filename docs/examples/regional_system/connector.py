"""The connector between the city's own system (app.py, its SQLite database) and the national
backbone, both ways: the template a regional government's developer copies.

    python docs/examples/regional_system/connector.py --db var/regional/bandung.db \
        --backbone http://127.0.0.1:18020 --system lapor-bandung --key "$LAPOR_SYSTEM_KEY" [--once]

Out: the city's outbox, drained in order. A step of a locally filed complaint goes to the bulk
import (the whole history so far: the backbone skips what it has); a step on a national
complaint goes to the status updates. A row is marked sent only once the backbone answered, so
a crash re-sends it, which changes nothing (imports and updates are idempotent by step id).

In: the replay of everything concerning the city's agencies, from the backbone's event store,
after the last position seen (kept in the city's database, so a restart goes on where it
stopped; a wiped mirror replays from the beginning). A complaint the national side disposed
to the city becomes a local complaint of origin 'national'.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from app import Database, history_item

OUT_BATCH = 100


class Connector:
    def __init__(self, db: Database, backbone: str, system: str, key: str) -> None:
        self.db = db
        self.base = f"{backbone.rstrip('/')}/v1/systems/{system}"
        self.http = httpx.Client(timeout=60, headers={"X-API-Key": key})

    # -- out ---------------------------------------------------------------------------------

    def push(self) -> int:
        """Send unsent outbox rows, oldest first; returns how many were acknowledged."""
        rows = self.db.query(
            "SELECT o.seq, o.local_id, o.step_id, c.origin, c.national_id FROM outbox o "
            "JOIN complaints c USING (local_id) WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT ?",
            OUT_BATCH,
        )
        if not rows:
            return 0
        local = sorted({r["local_id"] for r in rows if r["origin"] == "local"})
        if local:
            items = [history_item(self.db, i) for i in local]
            self._post("/imports", {"items": items})
        updates = [self._update(r) for r in rows if r["origin"] == "national"]
        if updates:
            self._post("/status-updates", {"updates": updates})
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET sent_at = datetime('now') WHERE seq = ?",
                [(r["seq"],) for r in rows],
            )
        return len(rows)

    def _update(self, row: Any) -> dict[str, Any]:
        [step] = self.db.query("SELECT * FROM history WHERE step_id = ?", row["step_id"])
        return {
            "complaint_id": row["national_id"],
            "step": {
                "step_id": step["step_id"],
                "status": step["status"],
                "at": step["at"],
                "message": step["message"],
            },
        }

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(self.base + path, json=body)
        response.raise_for_status()  # 4xx: a bug here or a revoked key; 5xx: retried later
        answer: dict[str, Any] = response.json()
        for refused in answer.get("rejected", []):
            # Refused steps stay queryable at GET .../rejections; a real connector alerts.
            print(f"refused {refused['external_id']} {refused['step_id']}: {refused['error']}")
        return answer

    # -- in ----------------------------------------------------------------------------------

    def pull(self) -> int:
        """Apply the national events after the last position seen; returns how many."""
        after = self._cursor()
        response = self.http.get(self.base + "/events", params={"after": after, "limit": 1000})
        response.raise_for_status()
        page = response.json()
        with self.db.transaction() as conn:
            # The mirror may have been wiped (its position with it) while this page was on its
            # way: writing the page's position then would skip the replay for good.
            now = conn.execute(
                "SELECT value FROM connector_state WHERE key = 'replay_after'"
            ).fetchone()
            if (int(now[0]) if now else 0) != after:
                return 0
            for event in page["events"]:
                self._apply(conn, event)
            conn.execute(
                "INSERT INTO connector_state (key, value) VALUES ('replay_after', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(page["next_after"]),),
            )
        return len(page["events"])

    def _cursor(self) -> int:
        rows = self.db.query("SELECT value FROM connector_state WHERE key = 'replay_after'")
        return int(rows[0]["value"]) if rows else 0

    def _apply(self, conn: Any, event: dict[str, Any]) -> None:
        """Mirror a national complaint disposed to the city (its own imports it has)."""
        payload, kind = event["payload"], event["event_type"]
        national_id = event["complaint_id"]
        if kind == "complaint.imported":
            conn.execute(
                "INSERT INTO connector_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (f"imported:{national_id}", payload["external_id"]),
            )
            return
        if kind == "complaint.filed":
            conn.execute(
                "INSERT INTO connector_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"filed:{national_id}", f"{payload['title']}\n{payload['description']}"),
            )
            return
        if kind == "complaint.step_imported":
            # The city's own earlier status changes on a national complaint: after a wiped
            # mirror, the replay brings them back too.
            row = conn.execute(
                "SELECT local_id FROM complaints WHERE national_id = ? AND origin = 'national'",
                (national_id,),
            ).fetchone()
            seen = conn.execute(
                "SELECT 1 FROM history WHERE step_id = ?", (payload["step_id"],)
            ).fetchone()
            if row and not seen:
                conn.execute(
                    "INSERT INTO history (step_id, local_id, status, at, message) "
                    "VALUES (?, ?, ?, ?, NULL)",
                    (
                        payload["step_id"],
                        row["local_id"],
                        payload["local_status"],
                        payload["original_at"],
                    ),
                )
                conn.execute(
                    "UPDATE complaints SET status = ?, updated_at = ? WHERE local_id = ?",
                    (payload["local_status"], payload["original_at"], row["local_id"]),
                )
            return
        if kind != "complaint.disposed" or payload["rule_id"] == "imported":
            return
        known = conn.execute(
            "SELECT 1 FROM complaints WHERE national_id = ?", (national_id,)
        ).fetchone()
        if known:
            return
        filed = conn.execute(
            "SELECT value FROM connector_state WHERE key = ?", (f"filed:{national_id}",)
        ).fetchone()
        title, _, description = (filed["value"] if filed else "-\n-").partition("\n")
        local_id = f"NAS-{national_id[:8]}"
        at = event["occurred_at"]
        conn.execute(
            "INSERT INTO complaints (local_id, origin, national_id, title, description, "
            "agency_code, status, filed_at, updated_at) VALUES (?, 'national', ?, ?, ?, ?, "
            "'diterima', ?, ?)",
            (local_id, national_id, title, description or "-", payload["agency_code"], at, at),
        )
        conn.execute(
            "INSERT INTO history (step_id, local_id, status, at, message) "
            "VALUES (?, ?, 'diterima', ?, NULL)",
            (f"{local_id}/1", local_id, at),
        )

    # -- repair ------------------------------------------------------------------------------

    def repair(self) -> int:
        """Act on the latest reconciliation: re-send the histories of local complaints the
        national record lacks or has behind, re-send the status changes of national ones, and
        replay from the beginning when a national complaint is missing here. Returns how
        many complaints it acted on."""
        response = self.http.get(self.base + "/reconciliation")
        response.raise_for_status()
        drifting = response.json()["drift"]
        local, national, missing_here = [], [], False
        for entry in drifting:
            rows = self.db.query(
                "SELECT local_id, origin FROM complaints WHERE local_id = ? OR national_id = ?",
                entry["id"],
                entry["id"],
            )
            if not rows:
                missing_here = True
            elif rows[0]["origin"] == "local":
                local.append(rows[0]["local_id"])
            else:
                national.append(rows[0]["local_id"])
        for start in range(0, len(local), OUT_BATCH):
            chunk = local[start : start + OUT_BATCH]
            self._post("/imports", {"items": [history_item(self.db, i) for i in chunk]})
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET sent_at = NULL WHERE local_id = ?", [(i,) for i in national]
            )
            if missing_here:
                conn.execute("DELETE FROM connector_state WHERE key = 'replay_after'")
        return len(drifting)

    def run(self, once: bool, interval: float) -> None:
        while True:
            try:
                moved = self.push() + self.pull()
            except httpx.HTTPError as failure:  # the backbone is away: try again later
                print(f"connector: {failure}", file=sys.stderr)
                moved = 0
            if once:
                return
            if not moved:
                time.sleep(interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("var/regional/bandung.db"))
    parser.add_argument("--backbone", default="http://127.0.0.1:18020")
    parser.add_argument("--system", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--repair", action="store_true", help="act on the latest reconciliation")
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    connector = Connector(Database(args.db), args.backbone, args.system, args.key)
    if args.repair:
        print(f"repairing {connector.repair()} drifting complaints")
    connector.run(args.once, args.interval)


if __name__ == "__main__":
    main()
