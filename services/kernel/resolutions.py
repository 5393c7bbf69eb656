"""The resolution codes an agency may propose (`services/kernel/data/resolution_codes.json`):
data, so that adding one needs no code change."""

from __future__ import annotations

import importlib.resources
import json
from functools import lru_cache


@lru_cache(maxsize=1)
def resolution_codes() -> dict[str, str]:
    """code -> what it means, as shipped."""
    text = (
        importlib.resources.files("services.kernel")
        .joinpath("data/resolution_codes.json")
        .read_text(encoding="utf-8")
    )
    codes: dict[str, str] = json.loads(text)["codes"]
    return codes
