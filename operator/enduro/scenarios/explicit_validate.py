"""Validate explicit scenarios, forward and reverse (as Runloop validates its scenarios).

Every turn's contract is scored twice on one workspace, prepared as a run prepares it
(seed files, setup commands): on the environment as the agent finds it, which must score
below the pass score (else the contract cannot tell a solved turn from an unsolved one),
and with the turn's `referenceOutput` applied, which must score 1.0 (else the contract,
or the reference, is wrong). Turns follow each other: turn k is scored untouched with the
references of turns 1..k-1 applied, then solved with turn k's applied too. Every problem
names the scenario, the turn and, where one is to blame, the scoring function.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from enduro.api.scenario import ExplicitScenario
from enduro.runtime.manifest import ManifestError, load_plan
from enduro.sandbox.launch import sandbox_problem
from enduro.sandbox.policy import Isolation
from enduro.scoring.reference import ReferenceOutputError, apply_reference
from enduro.scoring.result import ContractResult, FunctionResult, FunctionState
from enduro.scoring.run import score_turn
from enduro.workspace.explicit import SetupError, set_up, working_dir

# What a custom scorer reads as the attempt: validation plays each turn once.
CONTEXT = {"attempt": 1}


@dataclass(frozen=True)
class TurnValidation:
    """One turn's two scores (None where it could not be scored) and its problems."""

    scenario: str
    turn: int
    untouched: ContractResult | None = None
    solved: ContractResult | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _function_text(function: FunctionResult) -> str:
    text = f"scoring function {function.name!r} scores {function.score:g}"
    if function.state is FunctionState.ERROR:
        text += " (state error)"
    return text + (f": {function.reason}" if function.reason else "")


def _untouched_problems(where: str, result: ContractResult) -> list[str]:
    if result.contract_score < result.pass_score:
        return []
    satisfied = [f.name for f in result.functions if f.score >= 1.0]
    return [
        f"{where}: the untouched environment already scores {result.contract_score:g} (pass "
        f"score {result.pass_score:g}): scoring functions satisfied before any change: "
        f"{', '.join(satisfied) or 'none'}; make the contract check what the turn asks for"
    ]


def _solved_problems(where: str, result: ContractResult) -> list[str]:
    return [
        f"{where}: with the reference output applied, {_function_text(f)}" for f in result.failing()
    ]


def run_file_scenarios(path: Path) -> tuple[ExplicitScenario, ...]:
    """The explicit scenarios of the Benchmark a run file's BenchmarkRun plays, in
    benchmark order; raise `ManifestError` naming every problem."""
    plan = load_plan(path)
    if plan.contents.generator is not None:
        raise ManifestError(
            [
                f"{path} (Benchmark {plan.benchmark_name}): its scenarios are generated, not "
                "explicit: validate them with `enduro validate SET` or `--seed`/`--turns`"
            ]
        )
    return tuple(plan.contents.present)


def validate_scenario(
    definition: ExplicitScenario, scratch: Path, *, confined: bool
) -> list[TurnValidation]:
    """Validate every turn of `definition` in a workspace under `scratch`; stops at a turn
    whose reference cannot be applied (later turns build on it)."""
    name = definition.name
    workspace, artifacts = scratch / "workspace", scratch / "artifacts"
    try:
        set_up(definition, workspace, artifacts, Isolation.BWRAP if confined else Isolation.NONE)
    except SetupError as exc:
        return [
            TurnValidation(name, 1, problems=(f"{name}: the environment cannot be set up: {exc}",))
        ]
    checks = []
    for number, turn in enumerate(definition.spec.turn_list(), start=1):
        where = f"{name} turn {number}"
        untouched = score_turn(
            definition, number, workspace, confined=confined, extra_context=CONTEXT
        )
        problems = _untouched_problems(where, untouched)
        if turn.reference_output is None:
            problems.append(
                f"{where}: no referenceOutput to validate the contract against: add one"
            )
            checks.append(TurnValidation(name, number, untouched, None, tuple(problems)))
            break
        try:
            apply_reference(
                turn.reference_output, working_dir(definition, workspace), confined=confined
            )
        except ReferenceOutputError as exc:
            problems.append(f"{where}: the reference output cannot be applied: {exc}")
            checks.append(TurnValidation(name, number, untouched, None, tuple(problems)))
            break
        solved = score_turn(definition, number, workspace, confined=confined, extra_context=CONTEXT)
        problems += _solved_problems(where, solved)
        checks.append(TurnValidation(name, number, untouched, solved, tuple(problems)))
    return checks


def validate_scenarios(
    definitions: Sequence[ExplicitScenario], *, confined: bool, workers: int = 2
) -> list[TurnValidation]:
    """Every turn of every scenario, `workers` scenarios at a time, in the given order."""

    def one(definition: ExplicitScenario) -> list[TurnValidation]:
        with tempfile.TemporaryDirectory(prefix="enduro-validate-") as scratch:
            return validate_scenario(definition, Path(scratch), confined=confined)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [check for checks in pool.map(one, definitions) for check in checks]


def _score(result: ContractResult | None) -> str:
    return "-" if result is None else f"{result.contract_score:.4f}"


def report_lines(checks: Sequence[TurnValidation]) -> Iterator[str]:
    """A table of every turn's two scores, then every problem, then the verdict."""
    width = max((len(c.scenario) for c in checks), default=8)
    yield f"{'scenario':<{width}}  turn  untouched  reference"
    for check in checks:
        yield (
            f"{check.scenario:<{width}}  {check.turn:>4}  {_score(check.untouched):>9}  "
            f"{_score(check.solved):>9}  {'ok' if check.ok else 'FAILED'}"
        )
    for check in checks:
        for problem in check.problems:
            yield f"FAILED {problem}"
    scenarios = list(dict.fromkeys(c.scenario for c in checks))
    failed = {c.scenario for c in checks if not c.ok}
    yield f"scenarios passing validation: {len(scenarios) - len(failed)}/{len(scenarios)}"


def validate_file(path: Path, *, unsandboxed: bool, workers: int) -> int:
    """`enduro validate RUN_FILE`: prints the report; 0 when every turn validates, 1 when
    one does not, 2 when the file (or this machine) cannot be validated."""
    try:
        definitions = run_file_scenarios(path)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    unavailable = None if unsandboxed else sandbox_problem()
    if unavailable is not None:
        print(f"error: {unavailable}", file=sys.stderr)
        return 2
    checks = validate_scenarios(definitions, confined=not unsandboxed, workers=workers)
    for line in report_lines(checks):
        print(line)
    return 0 if all(check.ok for check in checks) else 1
