"""The dependency rule of docs/adr/0013: events <- kernel <- platform <- services, tooling on
top. Walks every module's imports with `ast` and names each import that breaks the rule."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "followup", "reporting")
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

# Which project layers each layer may import (a service package may import itself too).
ALLOWED: dict[str, set[str]] = {
    "events": {"events"},
    "kernel": {"events", "kernel"},
    "platform": {"events", "kernel", "platform"},
    "service": {"events", "kernel", "platform"},
    "tooling": {"events", "kernel", "platform", "tooling", "service"},
    "root": {"tooling"},  # services/__init__.py and services/__main__.py
}
# Third-party libraries the pure layers may use: data and models, no I/O.
PURE_LIBRARIES = {"events": {"pydantic"}, "kernel": {"holidays"}}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (None: not project code)."""
    parts = module.split(".")
    if parts[0] == "events":
        return "events"
    if parts[0] in SERVICES:
        return "service"
    if parts[0] == "services":
        if len(parts) == 1 or parts[1] == "__main__":
            return "root"
        return parts[1] if parts[1] in ("kernel", "platform", "tooling") else "root"
    return None


def module_name(path: Path, root: Path) -> str:
    """`services/platform/relay.py` -> `services.platform.relay`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute import in a file, with its line (also those inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            found.append((node.lineno, node.module or ""))
    return found


def project_files() -> list[Path]:
    tops = ["events", "services", *SERVICES]
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py"))


def violations(path: Path, root: Path = ROOT) -> list[str]:
    """Why the imports of one file break the rule (empty when they do not)."""
    name = module_name(path, root)
    layer = layer_of(name)
    assert layer is not None
    own_service = name.split(".")[0] if layer == "service" else None
    entry_point = path.name == "__main__.py"
    found = []
    for line, imported in imports(path):
        where = f"{path.relative_to(root)}:{line} imports {imported}"
        target = layer_of(imported)
        top = imported.split(".")[0]
        if target is None:
            if layer in PURE_LIBRARIES and top not in STDLIB | PURE_LIBRARIES[layer]:
                found.append(f"{where}: the {layer} layer uses no I/O library")
            if path.name == "domain.py" and top not in STDLIB:
                found.append(f"{where}: a domain.py imports only events, the kernel, stdlib")
            continue
        if target == "tooling" and not (layer in ("tooling", "root") or entry_point):
            found.append(f"{where}: nothing but tooling and entry points imports tooling")
        elif target == "service" and layer == "service" and top != own_service:
            found.append(f"{where}: no service imports another service")
        elif target not in ALLOWED[layer] and not (
            (target == "service" and top == own_service) or (target == "tooling" and entry_point)
        ):
            found.append(f"{where}: {layer} may import only {sorted(ALLOWED[layer])}")
        if path.name == "domain.py" and target not in ("events", "kernel"):
            found.append(f"{where}: a domain.py imports only events, the kernel, stdlib")
    return found


@pytest.mark.parametrize("path", project_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_keeps_the_dependency_rule(path: Path) -> None:
    assert violations(path) == []


def test_the_rule_catches_what_it_forbids(tmp_path: Path) -> None:
    """The checker itself can fail: each kind of breach is named."""
    cases = {
        "routing/leak.py": ("from followup.domain import holder\n", "another service"),
        "events/leak.py": ("from services.kernel.registry import Registry\n", "may import only"),
        "services/kernel/leak.py": ("import asyncpg\n", "no I/O library"),
        "services/platform/leak.py": ("from routing.handlers import handle\n", "may import only"),
        "intake/leak.py": ("from services.tooling.cli import app\n", "imports tooling"),
        "followup/domain.py": ("from services.platform.clock import move_forward\n", "domain"),
    }
    for relative, (source, reason) in cases.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        found = violations(path, tmp_path)
        assert any(reason in v for v in found), (relative, found)


def test_every_service_package_has_the_same_rooms() -> None:
    rooms = {"domain.py", "handlers.py", "bootstrap.py", "api.py", "app.py", "__main__.py"}
    for service in SERVICES:
        present = {p.name for p in (ROOT / service).glob("*.py")}
        assert rooms - {"domain.py"} <= present, (service, rooms - present)
