"""The README's configuration table, made from the settings classes themselves: every variable,
the service that reads it, its default and its meaning (a unit test keeps the README equal)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

from pydantic import AliasChoices, BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from followup.settings import FollowupSettings
from intake.settings import IntakeSettings
from reporting.settings import ReportingSettings
from routing.settings import RoutingSettings
from services.platform.settings import PlatformSettings, SettingsBase
from services.tooling.settings import ToolingSettings

OWNERS: tuple[tuple[str, type[SettingsBase]], ...] = (
    ("every service", PlatformSettings),
    ("intake", IntakeSettings),
    ("routing", RoutingSettings),
    ("followup", FollowupSettings),
    ("reporting", ReportingSettings),
    ("the command line (`make run`, the CLI)", ToolingSettings),
)
"""Who reads each class's variables; a variable is listed with the first class that has it."""

BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
"""The markers around the generated table in the README."""


def variable(name: str, info: FieldInfo) -> str:
    """The environment variable(s) a field is read from."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return " or ".join(f"`{choice}`" for choice in alias.choices)
    return f"`LAPOR_{name.upper()}`"


def default_of(name: str, info: FieldInfo) -> str:
    """A field's default as the README shows it."""
    if name in ("demo_keys", "adjustable_clock"):
        return "on outside production"
    value = info.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a development placeholder"
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return f"`{json.dumps(value)}`"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if value != "" else "unset"


def table() -> str:
    """The configuration table (Markdown), one row per variable."""
    rows = ["| variable | read by | default | meaning |", "|---|---|---|---|"]
    seen: set[str] = set()
    for owner, cls in OWNERS:
        for name, info in cls.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            # Escaped: a pipe would end the cell, a "<name>" would be taken for HTML.
            meaning = (info.description or "").replace("|", "\\|").replace("<", "\\<")
            rows.append(
                f"| {variable(name, info)} | {owner} | {default_of(name, info)} | {meaning} |"
            )
    return "\n".join(rows)


def with_table(readme: str) -> str:
    """The README with its configuration table made anew between the markers."""
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def write(readme: Path) -> bool:
    """Rewrite the README's table; True when it changed."""
    before = readme.read_text()
    after = with_table(before)
    readme.write_text(after)
    return after != before
