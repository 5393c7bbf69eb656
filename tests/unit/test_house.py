"""The house rules a newcomer relies on (ADR 0013): modules small unless they say why, use
cases and decisions in small functions, routes on module-level routers, no run-time types."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from fastapi import APIRouter

from tests.unit.test_dependency_rule import ROOT, SERVICES, module_name, project_files

MAX_MODULE_LINES = 360
"""About 350: a module past it says in its docstring why it is kept whole."""
MAX_FUNCTION_LINES = 60
SMALL_FUNCTION_ROOMS = {
    "domain.py",
    "handlers.py",
    "deadlines.py",
    "reactions.py",
    "reporters.py",
    "reconciling.py",
    "audit.py",
}
"""The rooms of decisions and use cases: one small function per command or rule."""


def functions(path: Path) -> list[tuple[str, int]]:
    """Every function of a module with its length in lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def test_a_long_module_says_why_it_is_kept_whole() -> None:
    unexplained = []
    for path in project_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
        if len(lines) > MAX_MODULE_LINES and "Kept in one module:" not in doc:
            unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert unexplained == []


def test_decisions_and_use_cases_are_small_functions() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{name} ({length} lines)"
        for path in project_files()
        if path.name in SMALL_FUNCTION_ROOMS
        for name, length in functions(path)
        if length > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_type_is_built_at_run_time() -> None:
    """`type: ignore[valid-type]` marks a type made at run time (a route factory's alias)."""
    marked = [
        str(path.relative_to(ROOT))
        for path in project_files()
        if "type: ignore[valid-type]" in path.read_text(encoding="utf-8")
    ]
    assert marked == []


API_MODULES = sorted(
    p for service in SERVICES for p in (ROOT / service).rglob("*.py") if p.name.endswith("api.py")
)


@pytest.mark.parametrize("path", API_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_routes_live_on_a_module_level_router(path: Path) -> None:
    module = importlib.import_module(module_name(path, ROOT))
    assert isinstance(module.router, APIRouter), "routes on a module-level `router`"
    factories = [
        node.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and isinstance(node.returns, ast.Name)
        and node.returns.id == "APIRouter"
    ]
    assert factories == [], "no route factories: routes are declared at module level"


def test_the_measure_finds_a_long_function(tmp_path: Path) -> None:
    source = tmp_path / "handlers.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    source.write_text(f"async def short():\n    pass\n\n\nasync def long():\n{body}")
    assert functions(source) == [("short", 2), ("long", MAX_FUNCTION_LINES + 1)]
