"""The tags for national priority programmes and strategic issues
(`services/kernel/data/tags.json`): data, so that a new programme needs no code change."""

from __future__ import annotations

import importlib.resources
import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def tag_catalogue() -> dict[str, dict[str, Any]]:
    """code -> {"kind": priority_programme | strategic_issue, "id": name, "en": name}."""
    text = (
        importlib.resources.files("services.kernel")
        .joinpath("data/tags.json")
        .read_text(encoding="utf-8")
    )
    tags: dict[str, dict[str, Any]] = json.loads(text)["tags"]
    return tags
