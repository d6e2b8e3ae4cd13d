"""A baseline agent's own process: it starts as any agent's does, once per turn, so what it
imports is part of every turn's cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from compiles import RECORD, compiled
from enduro.agents.harness import AgentRun
from enduro.agents.registry import get_harness
from enduro.api.agent import AgentSpec

SOURCE_TREE = Path(__file__).resolve().parents[2] / "operator"

PROBE = """
import json, sys
import enduro.agents.baselines.{module}
import enduro.scenarios.turnfiles
import enduro
looked_up = enduro.installed_version.cache_info().currsize > 0
print(json.dumps({{"modules": sorted(sys.modules), "version_looked_up": looked_up}}))
"""


def _after_import(module: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_a_baseline_process_loads_no_harness_machinery_and_reads_no_package_metadata() -> None:
    for module in ("oracle", "flaky", "null"):
        found = _after_import(module)
        assert "enduro.agents.harness" not in found["modules"], f"{module}: the harness runner"
        assert "enduro.agents.registry" not in found["modules"], f"{module}: the registry"
        assert not found["version_looked_up"], f"{module}: read the installed version"


def test_a_baseline_process_compiles_none_of_its_dependencies() -> None:
    # The environment is installed with its bytecode (pyproject.toml: compile-bytecode), so
    # the oracle's pydantic, PyYAML and the rest load from it in every turn's process. Only
    # the project's own editable source may lack it (where PYTHONDONTWRITEBYTECODE is set).
    probe = RECORD + "import enduro.agents.baselines.oracle, enduro.scenarios.turnfiles\n"
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    dependencies = [p for p in compiled(proc.stdout) if not p.startswith(str(SOURCE_TREE))]
    assert dependencies == []


def test_the_version_is_read_on_first_use() -> None:
    import enduro

    assert enduro.__version__ == "0.1.0"
    assert enduro.installed_version.cache_info().currsize == 1


def test_the_baseline_harnesses_are_still_registered_by_name() -> None:
    assert [get_harness(name).name for name in ("oracle", "null", "flaky")] == [
        "oracle",
        "null",
        "flaky",
    ]


def test_a_baseline_imports_nothing_from_the_workspace_it_runs_in(tmp_path: Path) -> None:
    # An explicit scenario's repository may hold a `yaml/` or an `enum.py` of its own; the
    # baseline, started in it, must still import the installed ones.
    (tmp_path / "yaml.py").write_text("raise SystemExit('imported the workspace yaml.py')\n")
    context = {"generator": {"seed": 1, "scenarios": 1, "turns": 1}, "scenario": 0, "turn": 1}
    run = AgentRun(AgentSpec(harness="oracle"), tmp_path, "", json.dumps(context))
    invocation = get_harness("oracle").command(run)

    done = subprocess.run(
        invocation.argv,
        cwd=tmp_path,
        env={**os.environ, **invocation.env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app.py").is_file()
