"""Imported scenarios run through `enduro run` like any others: the oracle (which
applies each turn's reference) scores 1.0 on the SWE-bench sample and the Harbor tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from imported import enduro_import
from sample_repo import HARBOR, INSTANCES, make_repo
from typer.testing import CliRunner

from enduro.cli import app
from enduro.runtime.launch import run_file

RUN = """\
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: "{harness}"}}
spec:
  harness: "{harness}"
  model: {{provider: none}}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: {benchmark}-{harness}}}
spec:
  benchmarkRef: {{name: {benchmark}}}
  agentRef: {{name: "{harness}"}}
  attemptLimit: 1
  stopOnFailure: true
"""


def run_imported(kind: str, args: list[str], tmp_path: Path, harness: str = "oracle") -> Any:
    """`enduro import KIND ARGS -o FILE`, a run by `harness` appended, `enduro run FILE`."""
    path = tmp_path / f"{kind}.yaml"
    code, _, err = enduro_import(kind, *args, "--benchmark", kind, "-o", str(path))
    assert code == 0, err
    path.write_text(path.read_text() + RUN.format(benchmark=kind, harness=harness))
    assert run_file(path, tmp_path / "out", resume=False) == 0
    return json.loads((tmp_path / "out" / "report.json").read_text())


@pytest.mark.slow
def test_the_oracle_solves_the_imported_swebench_sample(tmp_path: Path) -> None:
    clone, _ = make_repo(tmp_path / "sample")
    report = run_imported(
        "swebench",
        [str(INSTANCES), "--image-template", "calc:{version}", "--repo-dir", f"calc/calc={clone}"],
        tmp_path,
    )
    assert [r["score"] for r in report["results"]] == [1.0, 1.0, 1.0]


@pytest.mark.slow
def test_the_oracle_solves_the_imported_harbor_tasks_step_by_step(tmp_path: Path) -> None:
    report = run_imported("harbor", [str(HARBOR)], tmp_path)
    results = report["results"]
    assert [r["score"] for r in results] == [1.0, 1.0]
    assert [[t["score"] for t in r["turns"]] for r in results] == [[1.0, 1.0], [1.0]]


@pytest.mark.slow
def test_a_step_below_its_min_reward_stops_the_harbor_task(tmp_path: Path) -> None:
    results = run_imported("harbor", [str(HARBOR)], tmp_path, harness="null")["results"]
    todo = results[0]  # step `add` has min_reward 0.5: the untouched workspace scores 0
    assert [t["score"] for t in todo["turns"]] == [0.0]
    assert todo["message"] == "stopped after turn 1 failed (stopOnFailure)"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["swebench", "harbor"])
def test_the_imported_samples_validate(kind: str, tmp_path: Path) -> None:
    """`enduro validate`: every turn below its pass score untouched, 1.0 with its reference."""
    if kind == "swebench":
        clone, _ = make_repo(tmp_path / "sample")
        args = [
            str(INSTANCES),
            "--image-template",
            "c:{version}",
            "--repo-dir",
            f"calc/calc={clone}",
        ]
    else:
        args = [str(HARBOR)]
    path = tmp_path / f"{kind}.yaml"
    code, _, err = enduro_import(kind, *args, "--benchmark", kind, "-o", str(path))
    assert code == 0, err
    path.write_text(path.read_text() + RUN.format(benchmark=kind, harness="oracle"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    count = 3 if kind == "swebench" else 2
    assert f"scenarios passing validation: {count}/{count}" in result.output
