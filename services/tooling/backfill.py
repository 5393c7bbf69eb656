"""Backfill a connected system's whole history through the bulk import endpoint: a JSON-lines
file of complaints (one `ImportItem` per line) sent in batches, with a progress bar and a
checkpoint written after every acknowledged batch, so that a run stopped at any point (even
`kill -9`) resumes where it was; a batch sent twice changes nothing (imports are idempotent by
system, external id and step)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

MAX_BATCH_BYTES = 200_000
"""Batches stay under the services' default body limit (256 KiB)."""


@dataclass
class Checkpoint:
    """How far a backfill of one file got: lines acknowledged, and totals so far."""

    path: Path
    source: str
    line: int = 0
    applied: int = 0
    already_there: int = 0
    rejected: int = 0

    @classmethod
    def load(cls, path: Path, source: Path) -> Checkpoint:
        """The checkpoint of `source`, or a fresh one (another file's is refused)."""
        if not path.exists():
            return cls(path, str(source.resolve()))
        data = json.loads(path.read_text())
        if data["source"] != str(source.resolve()):
            raise ValueError(f"{path} is the checkpoint of {data['source']}, not of {source}")
        return cls(path, **data)

    def save(self) -> None:
        """Write atomically: a crash leaves the previous checkpoint or this one, never half."""
        fields = {k: v for k, v in self.__dict__.items() if k != "path"}
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        with temporary.open("w") as out:
            json.dump(fields, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)


def batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    """Groups of at most `size` non-empty lines, each group under MAX_BATCH_BYTES."""
    batch: list[str] = []
    weight = 0
    for line in lines:
        if not line.strip():
            batch.append("")  # counted, not sent: keeps line numbers exact
            continue
        if batch and (len(batch) >= size or weight + len(line) > MAX_BATCH_BYTES):
            yield batch
            batch, weight = [], 0
        batch.append(line)
        weight += len(line)
    if batch:
        yield batch


def send(client: httpx.Client, url: str, key: str, batch: list[str]) -> dict[str, Any]:
    """Post one batch until it is acknowledged (transient failures are retried with a pause;
    a 4xx other than 429 is a mistake in the file or the key: raised)."""
    items = [json.loads(line) for line in batch if line]
    delay = 0.5
    for _ in range(20):
        try:
            response = client.post(url, json={"items": items}, headers={"X-API-Key": key})
        except httpx.TransportError:
            time.sleep(delay)
            delay = min(delay * 2, 10)
            continue
        if response.status_code in (429, 502, 503, 504):
            time.sleep(float(response.headers.get("Retry-After", delay)))
            delay = min(delay * 2, 10)
            continue
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer
    raise RuntimeError(f"{url}: no acknowledgement after 20 attempts")


def backfill(
    source: Path,
    *,
    base_url: str,
    system: str,
    key: str,
    checkpoint: Checkpoint,
    batch_size: int = 100,
    on_batch: Any = None,
) -> Checkpoint:
    """Send every line of `source` after the checkpoint; returns the final checkpoint."""
    url = f"{base_url.rstrip('/')}/v1/systems/{system}/imports"
    with source.open() as lines, httpx.Client(timeout=120) as client:
        for _ in range(checkpoint.line):
            next(lines, None)
        for batch in batches(lines, batch_size):
            answer = send(client, url, key, batch) if any(batch) else {}
            checkpoint.line += len(batch)
            checkpoint.applied += answer.get("steps_applied", 0)
            checkpoint.already_there += answer.get("steps_already_there", 0)
            checkpoint.rejected += len(answer.get("rejected", ()))
            checkpoint.save()
            if on_batch is not None:
                on_batch(len(batch))
    return checkpoint
