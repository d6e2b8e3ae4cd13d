"""What a user does with an import: run `enduro import`, read the YAML back, seed a
workspace from a Scenario and score a turn of it, before and after its reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from enduro.api.scenario import ExplicitScenario
from enduro.artifacts import write_tree
from enduro.cli import app
from enduro.scoring.reference import apply_reference
from enduro.scoring.result import ContractResult
from enduro.scoring.run import score_turn


def enduro_import(*args: str) -> tuple[int, str, str]:
    """`enduro import ARGS`: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, ["import", *args])
    return result.exit_code, result.stdout, result.stderr


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def scenarios(docs: list[dict[str, Any]]) -> dict[str, ExplicitScenario]:
    return {
        d["metadata"]["name"]: ExplicitScenario.model_validate(
            {"name": d["metadata"]["name"], "spec": d["spec"]}
        )
        for d in docs
        if d["kind"] == "Scenario"
    }


def seeded(scenario: ExplicitScenario, root: Path) -> Path:
    """A workspace as a run starts it: the environment's files in its working directory."""
    workdir = root / scenario.spec.environment.working_dir
    workdir.mkdir(parents=True, exist_ok=True)
    write_tree(workdir, scenario.spec.environment.files)
    return root


def score(scenario: ExplicitScenario, turn: int, workspace: Path) -> ContractResult:
    return score_turn(scenario, turn, workspace, confined=True, extra_context={})


def solve(scenario: ExplicitScenario, turn: int, workspace: Path) -> None:
    reference = scenario.spec.turn(turn).reference_output
    assert reference is not None, f"{scenario.name} turn {turn} has no reference output"
    workdir = workspace / scenario.spec.environment.working_dir
    apply_reference(reference, workdir, confined=True)
