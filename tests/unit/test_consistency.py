"""Reconciliation across the record and its copies, pure: what a copy lacks, holds at another
version, or holds with no stream behind it."""

from __future__ import annotations

from uuid import UUID

from services.tooling.consistency import Difference, compare

A, B, C = (UUID(int=n) for n in (1, 2, 3))


def test_every_kind_of_disagreement_is_named():
    record = {A: 3, B: 5}
    found = compare(record, {"read model": {A: 3, B: 4, C: 2}, "topic": {A: 3}})
    assert found == [
        Difference("read model", B, "at version 4, the record at 5"),
        Difference("read model", C, "present, but no such complaint is stored"),
        Difference("topic", B, "missing (the record is at 5)"),
    ]
    assert compare(record, {"read model": dict(record), "topic": dict(record)}) == []
