"""`enduro validate RUN_FILE` of explicit scenarios: each turn's contract must score below
its pass score untouched and 1.0 with the reference applied; what fails is named by
scenario, turn and scoring function."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from enduro.cli import app

RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {name: tiny}
spec:
  scenarios: {names: [greeting]}
---
apiVersion: enduro.dev/v1alpha1
kind: Scenario
metadata: {name: greeting}
spec:
  inputContext: {problemStatement: "greet.txt says hi; make it say hello, then goodbye."}
  environment:
    files:
      greet.txt: "hi\\n"
  turns:
    - inputContext: {problemStatement: "Make greet.txt say hello."}
      scoringContract:
        functions:
          - name: says-hello
            weight: 3
            scorer: {command: {command: "grep -qx hello greet.txt"}}
          - name: one-line
            weight: 1
            scorer:
              bashScript: {script: 'test $(wc -l < greet.txt) = 1 && echo score=1 || echo score=0'}
      referenceOutput:
        patch: |
          --- a/greet.txt
          +++ b/greet.txt
          @@ -1 +1 @@
          -hi
          +hello
    - inputContext: {problemStatement: "Now make it say goodbye."}
      scoringContract:
        functions:
          - name: says-goodbye
            weight: 1
            scorer: {command: {command: "grep -qx goodbye greet.txt"}}
          - name: one-line
            weight: 1
            scorer:
              bashScript: {script: 'test $(wc -l < greet.txt) = 1 && echo score=1 || echo score=0'}
      referenceOutput:
        commands: ["echo goodbye > greet.txt"]
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {name: oracle}
spec:
  harness: oracle
  model: {provider: none}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {name: tiny}
spec:
  benchmarkRef: {name: tiny}
  agentRef: {name: oracle}
"""


def validate(text: str, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    return result.exit_code, result.output


def edit(old: str, new: str) -> str:
    assert old in RUN, old
    return RUN.replace(old, new, 1)


def test_a_scenario_whose_turns_validate(tmp_path: Path) -> None:
    code, output = validate(RUN, tmp_path)
    assert code == 0, output
    rows = [line.split() for line in output.splitlines() if line.startswith("greeting")]
    assert rows == [
        ["greeting", "1", "0.2500", "1.0000", "ok"],
        # Turn 2 starts from turn 1's reference: one line already, no goodbye yet.
        ["greeting", "2", "0.5000", "1.0000", "ok"],
    ]
    assert "scenarios passing validation: 1/1" in output


BROKEN = {
    "a reference that does not solve the turn": (
        edit('commands: ["echo goodbye > greet.txt"]', 'commands: ["echo good-bye > greet.txt"]'),
        "greeting turn 2: with the reference output applied, scoring function 'says-goodbye' "
        "scores 0: the command exited with code 1",
    ),
    "a scorer that breaks once the reference is applied": (
        edit("echo score=1 ||", "echo done ||"),
        "greeting turn 1: with the reference output applied, scoring function 'one-line' "
        "scores 0 (state error): the script printed no `score=X` line",
    ),
    "a patch that does not apply": (
        edit("          -hi\n", "          -hey\n"),
        "greeting turn 1: the reference output cannot be applied: the reference patch does "
        "not apply",
    ),
    "a failing reference command": (
        edit('commands: ["echo goodbye > greet.txt"]', 'commands: ["true", "exit 4"]'),
        "greeting turn 2: the reference output cannot be applied: reference command 2 of 2 "
        "('exit 4') exited with status 4",
    ),
    "an untouched environment that already scores 1.0": (
        edit("grep -qx hello greet.txt", "test -f greet.txt"),
        "greeting turn 1: the untouched environment already scores 1 (pass score 1): scoring "
        "functions satisfied before any change: says-hello, one-line",
    ),
    "an untouched environment that reaches the pass score": (
        edit("      scoringContract:\n", "      scoringContract:\n        passScore: 0.25\n"),
        "greeting turn 1: the untouched environment already scores 0.25 (pass score 0.25): "
        "scoring functions satisfied before any change: one-line",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_scenario_is_reported_naming_the_turn_and_function(
    case: str, tmp_path: Path
) -> None:
    text, problem = BROKEN[case]
    code, output = validate(text, tmp_path)
    assert code == 1, output
    assert f"FAILED {problem}" in output, output
    assert "scenarios passing validation: 0/1" in output


def test_turns_after_a_reference_that_cannot_be_applied_are_not_scored(tmp_path: Path) -> None:
    code, output = validate(edit("          -hi\n", "          -hey\n"), tmp_path)
    assert code == 1
    assert "patch failed: greet.txt:1" in output, output
    assert [line.split()[:2] for line in output.splitlines() if line.startswith("greeting")] == [
        ["greeting", "1"]
    ]


def test_a_generated_benchmark_is_not_validated_as_a_run_file(tmp_path: Path) -> None:
    quickstart = Path(__file__).parents[2] / "examples" / "quickstart.yaml"
    code, output = validate(quickstart.read_text(), tmp_path)
    assert code == 2
    assert "its scenarios are generated, not explicit" in output, output
