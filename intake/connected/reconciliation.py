"""Reconciliation with a connected system, pure: the national record's view of the system's
complaints (one fold over the log), the same cells the system reports (per filing day and
status word: a count and a digest of the ids), and the drift per complaint where they differ.

The ids are the system's external id for a complaint imported from it, and the national
complaint id for one the national side disposed to it. A cell's digest is the SHA-256 of its
sorted ids joined by newlines (`docs/examples/regional_system/app.py` computes the same)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from events import catalog as ev
from events.envelope import Envelope
from intake.connected.domain import ConnectedSystem, hands_to_system
from services.kernel.registry import Registry

Cell = tuple[str, str]
"""(filing day YYYY-MM-DD, the system's status word)."""


@dataclass
class _Seen:
    id: str | None = None
    day: str | None = None
    word: str | None = None


@dataclass
class NationalView:
    """Folds the log, in global order, into what concerns one system; O(complaints) memory."""

    system: ConnectedSystem
    registry: Registry
    complaints: dict[UUID, _Seen] = field(default_factory=dict)

    @property
    def filing_word(self) -> str:
        """The system's word for a complaint it has just received."""
        return next((w for w, m in self.system.status_map.items() if m == "filed"), "filed")

    def add(self, envelope: Envelope) -> None:
        """Take one more event of the log into account."""
        payload = envelope.payload
        seen = self.complaints.get(envelope.complaint_id)
        if isinstance(payload, ev.ComplaintImported):
            if payload.source_system == self.system.code:
                self.complaints[envelope.complaint_id] = _Seen(
                    payload.external_id,
                    payload.original_at.date().isoformat(),
                    payload.local_status,
                )
            return
        if seen is None:
            if hands_to_system(payload, self.system, self.registry):
                self.complaints[envelope.complaint_id] = _Seen(
                    str(envelope.complaint_id),
                    envelope.occurred_at.date().isoformat(),
                    self.filing_word,
                )
            return
        if isinstance(payload, ev.StepImported) and payload.source_system == self.system.code:
            seen.word = payload.local_status

    def entries(self) -> dict[str, Cell]:
        """id -> (day, word) for every complaint concerning the system."""
        return {
            s.id: (s.day, s.word) for s in self.complaints.values() if s.id and s.day and s.word
        }


def digest(ids: Iterable[str]) -> str:
    """A cell's digest: SHA-256 of the sorted ids joined by newlines."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def cells_of(entries: Mapping[str, Cell]) -> dict[Cell, dict[str, Any]]:
    """The cells of a set of complaints: count and digest per (day, word)."""
    grouped: dict[Cell, list[str]] = {}
    for complaint, cell in entries.items():
        grouped.setdefault(cell, []).append(complaint)
    return {cell: {"count": len(ids), "digest": digest(ids)} for cell, ids in grouped.items()}


def differing_cells(
    ours: Mapping[Cell, Mapping[str, Any]], theirs: Mapping[Cell, Mapping[str, Any]]
) -> list[Cell]:
    """The cells whose count or digest differ (or exist on one side only), in order."""
    return sorted(c for c in set(ours) | set(theirs) if ours.get(c) != theirs.get(c))


def drift(
    day: str, ours: Mapping[str, Cell], theirs: Mapping[str, str]
) -> list[dict[str, str | None]]:
    """Per complaint filed on `day`: where the national status word and the system's differ
    (None: missing on that side). `theirs` maps id -> the system's word for that day."""
    national = {i: word for i, (d, word) in ours.items() if d == day}
    return [
        {"id": i, "day": day, "national": national.get(i), "system": theirs.get(i)}
        for i in sorted(set(national) | set(theirs))
        if national.get(i) != theirs.get(i)
    ]
