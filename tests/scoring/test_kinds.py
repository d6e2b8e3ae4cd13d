"""Each scorer kind, as a scenario author writes it, scored on the agent's workspace."""

from __future__ import annotations

import json
from pathlib import Path

from scoring_session import bash, function, only, scenario, score

from enduro.scoring.result import FunctionState

TESTS = {
    "tests/test_add.py": (
        "from lib import add\n\n"
        "def test_small():\n    assert add(1, 2) == 3\n\n"
        "def test_negative():\n    assert add(-1, -1) == -2\n\n"
        "def test_strings():\n    assert add('a', 1) == 'a1'\n"
    )
}
PYTEST = "python -m pytest -q -p no:cacheprovider $ENDURO_SCORER_DIR/tests"


def test_a_command_scores_one_on_exit_zero_and_zero_otherwise(workspace: Path) -> None:
    result = score(
        scenario(
            function("has-lib", {"command": {"command": "test -f lib.py"}}),
            function("has-readme", {"command": {"command": "test -f README.md"}}),
        ),
        workspace,
    )
    assert [(f.score, f.state) for f in result.functions] == [
        (1.0, FunctionState.COMPLETE),
        (0.0, FunctionState.COMPLETE),
    ]
    assert result.functions[1].reason == "the command exited with code 1"
    assert result.contract_score == 0.5


def test_a_bash_script_scores_its_score_line(workspace: Path) -> None:
    result = score(scenario(bash("echo checking; echo score=0.75")), workspace)
    assert (only(result).score, only(result).state) == (0.75, FunctionState.COMPLETE)
    assert only(result).output == "checking\nscore=0.75\n"


def test_a_bash_script_without_a_score_line_is_an_error(workspace: Path) -> None:
    result = only(score(scenario(bash("echo all good")), workspace))
    assert result.state is FunctionState.ERROR and result.score == 0.0
    assert result.reason == "the script printed no `score=X` line (X a number in [0, 1])"


def test_a_bash_score_out_of_range_or_garbage_is_an_error(workspace: Path) -> None:
    for printed in ("1.7", "-0.1", "nan", "high"):
        result = only(score(scenario(bash(f"echo score={printed}")), workspace))
        assert result.state is FunctionState.ERROR, printed
        assert f"score={printed}, not a number in [0, 1]" in result.reason


def test_a_bash_script_that_fails_after_its_score_line_is_an_error(workspace: Path) -> None:
    # Agent code it ran could print a score and then kill it: only a clean exit counts.
    result = only(score(scenario(bash("echo score=1; exit 3")), workspace))
    assert result.state is FunctionState.ERROR
    assert result.reason == "the script exited with code 3"


def test_test_based_scores_the_fraction_of_junit_tests_passed(workspace: Path) -> None:
    scorer = {
        "testBased": {
            "files": TESTS,
            "command": f"{PYTEST} --junitxml=$ENDURO_SCORER_DIR/junit.xml",
            "junitXml": "junit.xml",
        }
    }
    result = only(score(scenario(function("tests", scorer)), workspace))
    assert (result.score, result.state) == (0.6667, FunctionState.COMPLETE)
    assert result.reason == "1 of 3 tests failed"
    assert "test_strings" in result.output
    assert not (workspace / "calc" / "tests").exists()  # never written into the workspace


def test_test_based_without_junit_scores_the_exit_status(workspace: Path) -> None:
    scorer = {"testBased": {"files": TESTS, "command": f"{PYTEST} -k 'not strings'"}}
    assert only(score(scenario(function("tests", scorer)), workspace)).score == 1.0
    scorer = {"testBased": {"files": TESTS, "command": PYTEST}}
    assert only(score(scenario(function("tests", scorer)), workspace)).score == 0.0


def test_test_based_with_a_missing_junit_report_is_an_error(workspace: Path) -> None:
    scorer = {"testBased": {"files": TESTS, "command": "true", "junitXml": "junit.xml"}}
    result = only(score(scenario(function("tests", scorer)), workspace))
    assert result.state is FunctionState.ERROR
    assert result.reason == (
        "no JUnit report at $ENDURO_SCORER_DIR/junit.xml (the command exited with code 0)"
    )


def test_a_custom_scorer_reads_its_context(workspace: Path) -> None:
    script = (
        'python - <<"PY"\n'
        "import json, os\n"
        "context = json.loads(os.environ['ENDURO_SCORER_CONTEXT'])\n"
        "print(json.dumps(context, sort_keys=True))\n"
        "print('score=', context['parameters']['expected'])\n"
        "PY\n"
    )
    custom = {"custom": {"name": "fixed", "parameters": {"expected": 0.25}}}
    definition = scenario(function("by-scorer", custom), scorers={"fixed": script})
    result = only(score(definition, workspace))
    assert result.score == 0.25, result
    context = json.loads(result.output.splitlines()[0])
    assert context == {
        "function": "by-scorer",
        "parameters": {"expected": 0.25},
        "scenario": "calc-add",
        "turn": 1,
        "workingDir": str(workspace / "calc"),
    }


def test_a_custom_scorer_printing_no_score_is_an_error(workspace: Path) -> None:
    definition = scenario(
        function("by-scorer", {"custom": {"name": "silent"}}), scorers={"silent": "true"}
    )
    assert only(score(definition, workspace)).state is FunctionState.ERROR


def test_a_missing_working_directory_makes_every_function_an_error(workspace: Path) -> None:
    (workspace / "calc" / "lib.py").unlink()
    (workspace / "calc").rmdir()
    result = score(scenario(bash("echo score=1")), workspace)
    assert result.errors == 1 and result.contract_score == 0.0
    assert only(result).reason == "the working directory 'calc' is missing"


def test_a_scorer_that_cannot_even_be_set_up_is_an_error_and_the_others_still_count(
    workspace: Path,
) -> None:
    clash = {"files": {"tests": "a file", "tests/test_a.py": "a file under it"}, "command": "true"}
    result = score(
        scenario(function("clash", {"testBased": clash}), bash("echo score=1")), workspace
    )
    assert result.functions[0].state is FunctionState.ERROR
    assert result.functions[0].reason.startswith("the scorer could not run: FileExistsError")
    assert result.contract_score == 0.5


def test_without_a_sandbox_scorers_run_with_this_python(workspace: Path) -> None:
    """`enduro run --unsandboxed` (isolation none): trusted agents only, same scores."""
    scorer = {"testBased": {"files": TESTS, "command": f"{PYTEST} -k 'not strings'"}}
    definition = scenario(function("tests", scorer), bash("echo score=0.5"))
    assert score(definition, workspace, confined=False).contract_score == 0.75
