"""The shell scorer kinds (testBased, command, bashScript, custom) and what every kind
shares: each turns (function, private place) into a `FunctionResult`.

A scorer's verdict is read from its own stdout only, and only when it exits with status
0: agent code it imports could print a score early and then kill it, so a non-zero exit
is an error even after a `score=` line. The last score line wins, so agent code that
prints one before the script's own changes nothing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from enduro.api.scenario import (
    BashScriptScorer,
    CommandScorer,
    ScoringFunction,
    TestBasedScorer,
    path_problem,
)
from enduro.artifacts import write_tree
from enduro.scoring.process import NO_TOOLS, Place, Ran, Tools, run_scorer
from enduro.scoring.result import FunctionResult, FunctionState

SCORE_LINE = re.compile(r"^\s*score\s*=\s*(\S*)\s*$")
JUNIT_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Scoring:
    """What every kind needs besides its own spec: where it runs, how, and the context a
    custom scorer reads."""

    place: Place
    confined: bool
    custom_scripts: dict[str, str]
    context: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)  # the scenario's `environment.env`

    def run(
        self,
        function: ScoringFunction,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        tools: Tools = NO_TOOLS,
    ) -> Ran:
        return run_scorer(
            argv,
            self.place,
            timeout=function.timeout_seconds,
            confined=self.confined,
            env={**self.env, **(env or {})},
            tools=tools,
        )


def failed_to_run(function: ScoringFunction, ran: Ran) -> FunctionResult | None:
    """The error result when the process did not run to its end, else None."""
    if ran.start_error is not None:
        return FunctionResult.error(function.name, ran.start_error, seconds=ran.seconds)
    if ran.timed_out:
        return FunctionResult.error(
            function.name,
            f"timed out after {function.timeout_seconds} s",
            output=ran.output,
            seconds=ran.seconds,
        )
    return None


def exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"exited with code {code}"


def complete(function: ScoringFunction, ran: Ran, score: float, reason: str = "") -> FunctionResult:
    return FunctionResult(
        name=function.name,
        score=score,
        state=FunctionState.COMPLETE,
        output=ran.output,
        reason=reason if score < 1.0 else "",
        seconds=ran.seconds,
    )


def unit_float(text: str) -> float | None:
    """`text` as a float in [0, 1], or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 1.0 else None


def score_from_line(function: ScoringFunction, ran: Ran) -> FunctionResult:
    """A script's verdict: its last `score=X` line, X a float in [0, 1], after exit 0."""
    failed = failed_to_run(function, ran)
    if failed is not None:
        return failed
    if ran.exit_code != 0:
        return FunctionResult.error(
            function.name,
            f"the script {exit_text(ran.exit_code)}",
            output=ran.output,
            seconds=ran.seconds,
        )
    found = [m.group(1) for line in ran.stdout.splitlines() if (m := SCORE_LINE.match(line))]
    if not found:
        return FunctionResult.error(
            function.name,
            "the script printed no `score=X` line (X a number in [0, 1])",
            output=ran.output,
            seconds=ran.seconds,
        )
    score = unit_float(found[-1])
    if score is None:
        return FunctionResult.error(
            function.name,
            f"the script's last score line says score={found[-1][:64]}, not a number in [0, 1]",
            output=ran.output,
            seconds=ran.seconds,
        )
    return complete(function, ran, score, "the script's score is below 1")


def _exit_status(function: ScoringFunction, ran: Ran) -> FunctionResult:
    failed = failed_to_run(function, ran)
    if failed is not None:
        return failed
    if ran.exit_code == 0:
        return complete(function, ran, 1.0)
    return complete(function, ran, 0.0, f"the command {exit_text(ran.exit_code)}")


def command(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    spec = function.scorer.command
    assert isinstance(spec, CommandScorer)
    return _exit_status(function, scoring.run(function, ["sh", "-c", spec.command]))


def bash_script(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    spec = function.scorer.bash_script
    assert isinstance(spec, BashScriptScorer)
    return _run_bash(function, scoring, spec.script)


def _run_bash(
    function: ScoringFunction,
    scoring: Scoring,
    script: str,
    env: dict[str, str] | None = None,
) -> FunctionResult:
    path = scoring.place.script / "score.sh"
    path.write_text(script)
    return score_from_line(function, scoring.run(function, ["bash", str(path)], env=env))


def custom(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    ref = function.scorer.custom
    assert ref is not None
    script = scoring.custom_scripts[ref.name]  # ExplicitScenario checks they are all given
    context = {
        **scoring.context,
        "parameters": ref.parameters,
        "workingDir": str(scoring.place.workdir),
        "function": function.name,
    }
    env = {"ENDURO_SCORER_CONTEXT": json.dumps(context)}
    return _run_bash(function, scoring, script, env)


def test_based(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    spec = function.scorer.test_based
    assert isinstance(spec, TestBasedScorer)
    # Written only now, and only into the scorer's own folder: never in the workspace.
    write_tree(scoring.place.work, spec.files)
    ran = scoring.run(function, ["sh", "-c", spec.command])
    if spec.junit_xml is None:
        return _exit_status(function, ran)
    failed = failed_to_run(function, ran)
    if failed is not None:
        return failed
    counts = junit_counts(scoring.place.work, spec.junit_xml)
    if isinstance(counts, str):
        reason = f"{counts} (the command {exit_text(ran.exit_code)})"
        return FunctionResult.error(function.name, reason, output=ran.output, seconds=ran.seconds)
    passed, total = counts
    return complete(function, ran, passed / total, f"{total - passed} of {total} tests failed")


def junit_counts(work: Path, junit_xml: str) -> tuple[int, int] | str:
    """(passed, total) of the JUnit report at `junit_xml` under `work`, or why not.
    A skipped test is not a passed one."""
    problem = path_problem(junit_xml)
    if problem:
        return f"junitXml {problem}"
    path = (work / junit_xml).resolve()
    # The scorer's folder is writable inside: a link to a file of ours must not be read.
    if not path.is_relative_to(work.resolve()) or not path.is_file():
        return f"no JUnit report at $ENDURO_SCORER_DIR/{junit_xml}"
    if path.stat().st_size > JUNIT_MAX_BYTES:
        return f"the JUnit report is over {JUNIT_MAX_BYTES // 2**20} MiB"
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as exc:
        return f"the JUnit report is not XML ({exc})"
    cases = list(root.iter("testcase"))
    if not cases:
        return "the JUnit report lists no tests"
    bad = {"failure", "error", "skipped"}
    passed = sum(not any(child.tag in bad for child in case) for case in cases)
    return passed, len(cases)
