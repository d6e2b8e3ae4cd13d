"""The stockroom benchmark (examples/explicit-benchmark.yaml): in sync with its sources,
a library that passes every hidden test once finished, hidden tests kept out of the
workspace, contracts that mix scorer types; it validates, the oracle scores 1.0 and the
null agent what the untouched environment deserves."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from enduro.api.scenario import ScenarioSpec, ScorerType
from enduro.cli import app
from enduro.runtime.launch import run_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUILD = EXAMPLES / "explicit" / "build.py"
YAML = EXAMPLES / "explicit-benchmark.yaml"


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("explicit_build", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache  # the file is large; parse it once
def _scenarios() -> dict[str, ScenarioSpec]:
    docs = [d for d in yaml.safe_load_all(YAML.read_text(encoding="utf-8")) if d]
    return {
        d["metadata"]["name"]: ScenarioSpec.model_validate(d["spec"])
        for d in docs
        if d["kind"] == "Scenario"
    }


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def _hidden(spec: ScenarioSpec, turn: int) -> dict[str, str]:
    return {
        path: text
        for f in spec.turn(turn).scoring_contract.functions
        if f.scorer.test_based is not None
        for path, text in f.scorer.test_based.files.items()
    }


def _pytest(workdir: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        # This environment's plugins (asyncio, hypothesis, ...) cost seconds per run.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )


def test_the_yaml_is_built_from_its_sources() -> None:
    assert YAML.read_text(encoding="utf-8") == _build().render(), (
        f"{YAML.name} is out of date: run `uv run python examples/explicit/build.py`"
    )


def test_the_finished_library_passes_its_own_and_every_hidden_test(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "explicit" / "stockroom", tmp_path, dirs_exist_ok=True)
    hidden = {p: t for spec in _scenarios().values() for n in range(1, len(spec.turn_list()) + 1)
              for p, t in _hidden(spec, n).items()}  # fmt: skip
    _write(tmp_path, hidden)
    done = _pytest(tmp_path, "tests", "hidden_tests")
    assert done.returncode == 0, done.stdout[-3000:]


def test_hidden_files_never_reach_the_workspace() -> None:
    for name, spec in _scenarios().items():
        seeded = spec.environment.files
        for turn in range(1, len(spec.turn_list()) + 1):
            for path, text in _hidden(spec, turn).items():
                assert path not in seeded, f"{name}: {path} is in environment.files"
                assert text not in seeded.values(), f"{name}: {path}'s text is seeded"


def test_eight_tasks_or_more_whose_contracts_mix_scorer_types() -> None:
    scenarios = _scenarios()
    assert len(scenarios) >= 8
    assert any(spec.turns is not None and len(spec.turns) > 1 for spec in scenarios.values())
    used: set[ScorerType] = set()
    for name, spec in scenarios.items():
        for number, turn in enumerate(spec.turn_list(), start=1):
            types = {f.scorer.type for f in turn.scoring_contract.functions}
            assert len(types) >= 2, f"{name} turn {number} uses only {types}"
            assert turn.reference_output is not None, f"{name} turn {number} has no reference"
            used |= types
    assert used >= set(ScorerType) - {ScorerType.CUSTOM}
    assert any(
        t.reference_output is not None and t.reference_output.commands
        for spec in scenarios.values()
        for t in spec.turn_list()
    ), "no task shows a reference made of commands"


@pytest.fixture(scope="module")
def validated() -> tuple[int, str]:
    """`enduro validate` of the example: (exit code, output)."""
    result = CliRunner().invoke(app, ["validate", str(YAML)])
    return result.exit_code, result.output


def _untouched_scores(output: str) -> dict[tuple[str, int], float]:
    """(scenario, turn) -> the untouched score column of `enduro validate`'s table."""
    rows = [line.split() for line in output.splitlines() if line.startswith("stockroom-")]
    return {(row[0], int(row[1])): float(row[2]) for row in rows}


@pytest.mark.slow
def test_every_scenario_validates(validated: tuple[int, str]) -> None:
    code, output = validated
    assert code == 0, output
    assert f"scenarios passing validation: {len(_scenarios())}/{len(_scenarios())}" in output
    assert len(_untouched_scores(output)) == sum(len(s.turn_list()) for s in _scenarios().values())


def _run(harness: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "run.yaml"
    path.write_text(YAML.read_text(encoding="utf-8").replace("harness: oracle", harness))
    assert run_file(path, tmp_path / "out", resume=False) == 0
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    names = list(_scenarios())  # matchLabels: scenarios play in name order
    return {names[r["scenario"]]: r for r in report["results"]}


@pytest.mark.slow
@pytest.mark.e2e
def test_enduro_run_with_the_oracle_scores_1(tmp_path: Path) -> None:
    results = _run("harness: oracle", tmp_path)
    assert {name: r["score"] for name, r in results.items()} == dict.fromkeys(_scenarios(), 1.0)
    assert [t["score"] for t in results["stockroom-warehouse-lots"]["turns"]] == [1.0] * 3


@pytest.mark.slow
@pytest.mark.e2e
def test_enduro_run_with_the_null_agent_scores_the_untouched_environment(
    tmp_path: Path, validated: tuple[int, str]
) -> None:
    untouched = _untouched_scores(validated[1])
    results = _run('harness: "null"', tmp_path)
    first_turns = {name: r["turns"][0]["score"] for name, r in results.items()}
    assert first_turns == {name: untouched[(name, 1)] for name in _scenarios()}
    # Later turns find the workspace as it was seeded, where of each turn's contract only
    # the library's own tests hold (weight 1 of 4).
    lots = results["stockroom-warehouse-lots"]["turns"]
    assert [t["score"] for t in lots] == [0.25, 0.25, 0.25]
