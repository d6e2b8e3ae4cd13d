"""The engine and the step builders are pure: no kopf, no kubernetes, no I/O modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import enduro

PACKAGE = Path(enduro.__file__).parent
PURE_AREAS = ("engine", "steps")
ALLOWED = {
    "__future__", "collections", "dataclasses", "datetime", "enum", "hashlib", "json", "pathlib",
    "re", "typing", "pydantic", "enduro",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    [p for area in PURE_AREAS for p in sorted((PACKAGE / area).glob("*.py"))],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_module_imports_only_pure_modules(path: Path) -> None:
    imports = imported_modules(path)
    outside = sorted(m for m in imports if m.split(".")[0] not in ALLOWED)
    assert outside == [], f"{path.name} imports {outside}: the engine and steps must stay pure"
    ours = {m for m in imports if m.startswith("enduro.")}
    io_areas = ("enduro.operator", "enduro.runtime", "enduro.cli", "enduro.testrunner")
    assert not [m for m in ours if m.startswith(io_areas)], f"{path.name} imports I/O code"


def test_importing_the_engine_loads_neither_kopf_nor_kubernetes() -> None:
    code = (
        "import sys, enduro.engine.machine, enduro.engine.run, enduro.steps.build; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kopf', 'kubernetes')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


# What importing every engine and step module may load of Enduro itself, transitively:
# the API models and the pure areas. Never the generator, the runtimes, the operator,
# the runner, the scorers or the stores (a decision must not drag I/O code in).
TRANSITIVELY_ALLOWED = ("enduro.api", "enduro.engine", "enduro.steps", "enduro.agents.context")
# The sandbox policy (pure data, with the process limits it names from sandbox.cgroups
# and the agent's network routes from sandbox.egress, a plan as data too).
TRANSITIVELY_ALLOWED_MODULES = {
    "enduro",
    "enduro.agents",
    "enduro.sandbox",
    "enduro.sandbox.policy",
    "enduro.sandbox.cgroups",
    "enduro.sandbox.egress",
}


def test_the_engine_and_steps_load_nothing_impure_transitively() -> None:
    modules = [
        f"enduro.{area}.{p.stem}"
        for area in PURE_AREAS
        for p in sorted((PACKAGE / area).glob("*.py"))
        if p.stem != "__init__"
    ]
    code = (
        f"import importlib, sys; [importlib.import_module(m) for m in {modules!r}]; "
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('enduro'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = proc.stdout.split()
    assert "enduro.engine.machine" in loaded
    impure = [
        m
        for m in loaded
        if m not in TRANSITIVELY_ALLOWED_MODULES
        and not any(m == area or m.startswith(area + ".") for area in TRANSITIVELY_ALLOWED)
    ]
    assert impure == [], f"the engine or the step builders load {impure}"
