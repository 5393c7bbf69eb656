"""Upcasters: pure functions that lift an old stored payload to the next schema version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


def complaint_filed_v1_to_v2(old: Payload) -> Payload:
    """v1 knew only complaints, called the region `region`, and had no confidentiality flag."""
    new = {k: v for k, v in old.items() if k != "region"}
    new["region_code"] = old.get("region")
    new.setdefault("kind", "complaint")
    new.setdefault("confidential", False)
    return new


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("complaint.filed", 1): complaint_filed_v1_to_v2,
}
"""(event_type, from_version) -> the function that gives the payload at from_version + 1."""
