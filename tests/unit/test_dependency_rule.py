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
PURE_MODULES = {
    "followup/deadlines.py",
    "intake/connected/reconciliation.py",
    "intake/redaction.py",
    "reporting/dashboards.py",
    "reporting/performance.py",
}
"""Pure modules besides every `domain.py`: decisions split off a domain by responsibility, and
the dashboards' arithmetic (given plain values, never a settings class)."""
PURE_MODEL_LIBRARIES = {"pydantic"}
"""Models without I/O, which pure modules may use (as the events layer does)."""


def is_pure(relative: str) -> bool:
    """Whether a module (path relative to the root) is held to purity: every `domain.py`
    (wings included) and the modules named in PURE_MODULES."""
    return relative.endswith("domain.py") or relative in PURE_MODULES


def pure_module(imported: str) -> bool:
    """Whether a dotted module name is one of the project's pure modules."""
    return is_pure(imported.replace(".", "/") + ".py")


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
    pure = is_pure(path.relative_to(root).as_posix())
    found = []
    for line, imported in imports(path):
        where = f"{path.relative_to(root)}:{line} imports {imported}"
        target = layer_of(imported)
        top = imported.split(".")[0]
        if target is None:
            if layer in PURE_LIBRARIES and top not in STDLIB | PURE_LIBRARIES[layer]:
                found.append(f"{where}: the {layer} layer uses no I/O library")
            if pure and top not in STDLIB | PURE_MODEL_LIBRARIES:
                found.append(f"{where}: a pure module imports only events, the kernel, stdlib")
            continue
        if target == "tooling" and not (layer in ("tooling", "root") or entry_point):
            found.append(f"{where}: nothing but tooling and entry points imports tooling")
        elif target == "service" and layer == "service" and top != own_service:
            found.append(f"{where}: no service imports another service")
        elif target not in ALLOWED[layer] and not (
            (target == "service" and top == own_service) or (target == "tooling" and entry_point)
        ):
            found.append(f"{where}: {layer} may import only {sorted(ALLOWED[layer])}")
        own_pure = target == "service" and top == own_service and pure_module(imported)
        if pure and target not in ("events", "kernel") and not own_pure:
            found.append(f"{where}: a pure module imports only events, the kernel, stdlib")
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
        "followup/domain.py": ("from services.platform.clock import move_forward\n", "pure"),
        "followup/deadlines.py": ("import asyncpg\n", "pure"),
        "intake/connected/domain.py": ("from intake.connected.store import Systems\n", "pure"),
    }
    for relative, (source, reason) in cases.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        found = violations(path, tmp_path)
        assert any(reason in v for v in found), (relative, found)


SERVICE_ROOMS = {
    "domain.py",
    "handlers.py",
    "bootstrap.py",
    "api.py",
    "app.py",
    "__main__.py",
    "settings.py",
}
WING_ROOMS = {"domain.py", "handlers.py", "store.py", "api.py", "agents.py"}
WIRING = {"bootstrap.py", "app.py", "__main__.py"}
"""The modules of a service that may import its wings: the channel side of intake knows
nothing of the connected systems, and the two meet only where the process is put together."""


def wings(service: str) -> list[Path]:
    """A service's wings: sub-packages holding a second bounded context."""
    return sorted(p.parent for p in (ROOT / service).glob("*/__init__.py"))


def test_every_service_package_has_the_same_rooms() -> None:
    for service in SERVICES:
        present = {p.name for p in (ROOT / service).glob("*.py")}
        assert SERVICE_ROOMS - {"domain.py"} <= present, (service, SERVICE_ROOMS - present)


def test_every_wing_has_the_wing_rooms() -> None:
    found = [wing for service in SERVICES for wing in wings(service)]
    assert found, "intake/connected/ is a wing"
    for wing in found:
        present = {p.name for p in wing.glob("*.py")}
        assert present >= WING_ROOMS, (wing.relative_to(ROOT), WING_ROOMS - present)


def test_only_the_wiring_of_a_service_imports_its_wings() -> None:
    for service in SERVICES:
        for wing in wings(service):
            wing_module = module_name(wing / "__init__.py", ROOT)
            for path in (ROOT / service).glob("*.py"):
                if path.name in WIRING:
                    continue
                for line, imported in imports(path):
                    assert not (imported + ".").startswith(wing_module + "."), (
                        f"{path.relative_to(ROOT)}:{line} imports the wing {wing_module}"
                    )


def import_graph(files: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in the file, TYPE_CHECKING too):
    `from package import module` counts as importing that module."""
    names = {module_name(p, root) for p in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                subs = {f"{node.module}.{a.name}" for a in node.names} & names
                edges |= subs or ({node.module} & names)
        graph[module_name(path, root)] = edges - {module_name(path, root)}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_import_circle_in_the_project() -> None:
    assert import_circles(import_graph(project_files())) == []


def test_the_circle_finder_finds_a_circle(tmp_path: Path) -> None:
    for name, source in {
        "intake/a.py": "from intake import b\n",
        "intake/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import intake.a\n",
        "intake/c.py": "from intake.a import thing\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    files = sorted((tmp_path / "intake").glob("*.py"))
    assert import_circles(import_graph(files, tmp_path)) == [["intake.a", "intake.b"]]
