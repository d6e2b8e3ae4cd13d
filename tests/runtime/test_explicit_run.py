"""`enduro run` of a benchmark of explicit scenarios: the Scenarios of the file, resolved
by name or label; bad Scenarios and missing requirements refused before anything runs,
naming the document and the field; and a run of the shipped example, oracle and null."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enduro.runtime.launch import run_file
from enduro.runtime.manifest import ManifestError, load_plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "explicit-quickstart.yaml"
SOURCE = EXAMPLE.read_text()
ADDS = """command: {command: "python3 -c 'import calc; assert calc.add(2, 3) == 5'"}"""
STATEMENT = (
    'problemStatement: "`add(a, b)` in calc.py returns the difference. Make it return the sum."'
)
SELECTOR = "matchLabels: {enduro.dev/example: explicit-quickstart}"


def edit(old: str, new: str) -> str:
    assert old in SOURCE, old
    return SOURCE.replace(old, new, 1)


def refused(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    assert run_file(path, tmp_path / "out", resume=False) == 2
    assert not (tmp_path / "out" / "scenario_0").exists(), "something ran"
    return capsys.readouterr().err


BAD = {
    "a scenario with no problem statement": (
        edit(STATEMENT, 'problemStatement: "  "'),
        "(Scenario fix-add): spec.inputContext.problemStatement",
        "blank",
    ),
    "a weight of 0": (
        edit("weight: 3", "weight: 0"),
        "(Scenario fix-add): spec.scoringContract.functions.0.weight",
        "greater than 0",
    ),
    "a negative weight": (
        edit("weight: 3", "weight: -1"),
        "(Scenario fix-add): spec.scoringContract.functions.0.weight",
        "greater than 0",
    ),
    "a scorer of an unknown type": (
        edit(ADDS, "regex: {pattern: x}"),
        "(Scenario fix-add): spec.scoringContract.functions.0.scorer.regex",
        "unknown field",
    ),
    "a test file escaping the working directory": (
        edit(ADDS, 'testBased: {files: {"../test_x.py": "x"}, command: pytest}'),
        "(Scenario fix-add): spec.scoringContract.functions.0.scorer.testBased.files",
        "escapes the working directory",
    ),
    "a seed file escaping the working directory": (
        edit("      calc.py: |", "      ../calc.py: |"),
        "(Scenario fix-add): spec.environment.files",
        "escapes the working directory",
    ),
    "a named Scenario that is not in the file": (
        edit(SELECTOR, "names: [fix-add, nope]"),
        "(Benchmark explicit-quickstart): Scenario 'nope' not found in this file",
        "spec.scenarios.names",
    ),
    "labels no Scenario has": (
        edit(SELECTOR, "matchLabels: {team: nobody}"),
        "(Benchmark explicit-quickstart): no Scenario in this file has the labels",
        "spec.scenarios.matchLabels",
    ),
    "a custom Scorer that is not in the file": (
        edit(ADDS, "custom: {name: checker}"),
        "Scenario 'fix-add' uses Scorer 'checker', not found in this file",
        "scorer.custom.name",
    ),
    "a required variable the Agent does not give": (
        edit("    files:\n", "    requiredEnv: [CALC_TOKEN]\n    files:\n"),
        "(Agent oracle): Scenario 'fix-add' requires the variable CALC_TOKEN",
        "add it to the Agent's env",
    ),
    "a required Secret the Agent does not refer to": (
        edit("    files:\n", "    requiredSecrets: [calc-credentials]\n    files:\n"),
        "(Agent oracle): a scenario requires Secret 'calc-credentials'",
        "secretEnv",
    ),
    "the flaky baseline": (
        edit("  harness: oracle", "  harness: flaky"),
        "(Agent oracle): spec.harness: the flaky baseline",
        "use the oracle or null baseline",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_explicit_input_is_refused_naming_the_document_and_field(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, where, why = BAD[case]
    err = refused(text, tmp_path, capsys)
    assert where in err and why in err, err


def test_a_required_secret_variable_that_is_not_exported_stops_the_run_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALC_TOKEN", raising=False)
    text = edit("    files:\n", "    requiredEnv: [CALC_TOKEN]\n    files:\n").replace(
        "  model:\n    provider: none\n",
        "  model:\n    provider: none\n  secretEnv:\n    - name: CALC_TOKEN\n"
        "      secretKeyRef: {name: calc, key: token}\n",
    )
    err = refused(text, tmp_path, capsys)
    assert "spec.secretEnv CALC_TOKEN (Secret calc) is required by a scenario" in err, err
    assert "export CALC_TOKEN" in err


def test_scenarios_by_name_play_in_the_listed_order(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(edit(SELECTOR, "names: [greeter, fix-add]"))
    plan = load_plan(path)
    assert [d.name for d in plan.contents.definitions] == ["greeter", "fix-add"]
    assert [plan.contents.turns(i) for i in plan.scenarios()] == [2, 1]
    spec = plan.scenario_spec(1)
    assert spec.definition is not None and spec.definition.name == "fix-add"
    assert (spec.generator, spec.n_turns) == (None, 1)


def test_scenarios_by_label_play_in_name_order(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(SOURCE)
    assert [d.name for d in load_plan(path).contents.definitions] == ["fix-add", "greeter"]


def test_a_custom_scorer_of_the_file_travels_with_the_scenario(tmp_path: Path) -> None:
    scorer = (
        "apiVersion: enduro.dev/v1alpha1\nkind: Scorer\nmetadata:\n  name: checker\n"
        "spec:\n  bashScript: echo score=1\n---\n"
    )
    path = tmp_path / "run.yaml"
    path.write_text(scorer + edit(ADDS, "custom: {name: checker}"))
    definition = load_plan(path).contents.definitions[0]
    assert definition.scorers["checker"].bash_script == "echo score=1"


def test_a_scenario_document_with_no_run_is_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(edit("weight: 3", "weight: 0"))
    with pytest.raises(ManifestError, match=r"spec\.scoringContract\.functions\.0\.weight"):
        load_plan(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("harness", "scores", "turn_scores"),
    [
        ("oracle", [1.0, 1.0], [[1.0], [1.0, 1.0]]),
        # Untouched, only fix-add's `zero` (weight 1 of 5) holds; greeter has no code.
        ('"null"', [0.2, 0.0], [[0.2], [0.0, 0.0]]),
    ],
)
def test_the_example_runs_with_the_oracle_and_the_null_agent(
    harness: str, scores: list[float], turn_scores: list[list[float]], tmp_path: Path
) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(edit("  harness: oracle", f"  harness: {harness}"))
    assert run_file(path, tmp_path / "out", resume=False) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["score"] for r in report["results"]] == scores
    assert [[t["score"] for t in r["turns"]] for r in report["results"]] == turn_scores
    assert report["n_turns"] == 2
    task = (tmp_path / "out" / "scenario_1" / "workspace" / "TASK.md").read_text()
    assert "## Turn 2 of 2" in task and "punctuation" in task
    # The scorers never reach the workspace (FEEDBACK.md has their output, not them).
    workspace = (tmp_path / "out" / "scenario_1" / "workspace").rglob("*")
    assert not any('[ "$got" =' in p.read_text() for p in workspace if p.is_file())


@pytest.mark.slow
def test_the_scenario_s_variables_reach_the_agent_and_the_scorers(tmp_path: Path) -> None:
    scenario = """\
apiVersion: enduro.dev/v1alpha1
kind: Scenario
metadata: {name: env}
spec:
  inputContext: {problemStatement: Write $CALC_MODE into mode.txt.}
  environment:
    env: [{name: CALC_MODE, value: strict}]
  scoringContract:
    functions:
      - {name: agent-saw-it, weight: 1, scorer: {command: {command: 'grep -qx strict mode.txt'}}}
      - {name: scorer-sees, weight: 1, scorer: {command: {command: 'test "$CALC_MODE" = strict'}}}
---
"""
    text = scenario + edit(SELECTOR, "names: [env]").replace(
        "  harness: oracle\n  model:\n    provider: none\n",
        "  harness: command\n  command: [sh, -c, 'echo \"$CALC_MODE\" > mode.txt']\n",
    )
    path = tmp_path / "run.yaml"
    path.write_text(text)
    assert run_file(path, tmp_path / "out", resume=False) == 0
    [result] = json.loads((tmp_path / "out" / "report.json").read_text())["results"]
    assert result["score"] == 1.0, result
