"""Bring-your-own-agent on one machine: `enduro scenario start | score | complete`, the
local runtime of `engine.external` (docs/scenarios.md). The run folder holds

    run.json     the ScenarioRun spec (a snapshot of the Scenario and its Scorers)
    state.json   its status, written after every change (`runtime.state`)
    workspace/   where your agent works (TASK.md says what to do)
    artifacts/   scores, scorer output, snapshots: what your agent must not touch

The decisions are `decide_external`'s, as on a cluster; the workspace is prepared by
`enduro prepare-workspace`'s code and scored by `enduro score`'s, the scorers confined
(workspace read-only) when bubblewrap is available.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from enduro.api.agent import ExternalAgent
from enduro.api.errors import explain
from enduro.api.scenario import ExplicitScenario, ScenarioSpec, ScorerResourceSpec
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.api.settings import DAY, Timeouts
from enduro.api.validation import load_documents, parse_spec
from enduro.artifacts import write_text_atomic
from enduro.engine.events import (
    CompleteRequested,
    EnvironmentLost,
    EnvironmentReady,
    Event,
    ScoreRequested,
    Started,
    TestFinished,
)
from enduro.engine.external import decide_external, scoring_step
from enduro.runtime.state import load_status, save_status
from enduro.sandbox.launch import sandbox_problem
from enduro.sandbox.policy import Isolation
from enduro.scoring.step import run_scoring_step
from enduro.steps.context import StepContext
from enduro.workspace.explicit import SetupError
from enduro.workspace.prepare import prepare_workspace

RUN_FILE = "run.json"
# Nothing is held locally while the agent works, so nothing needs freeing: an idle run
# never times out in practice (the longest keep-alive the API allows).
LOCAL_KEEP_ALIVE_SECONDS = 7 * DAY


class ExternalRunError(Exception):
    """What the user asked cannot be done; the message says why and what to do."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def load_scenario(file: Path, name: str) -> ExplicitScenario:
    """Scenario `name` of `file` with the custom Scorers it uses, as a run's snapshot."""
    try:
        docs = load_documents(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExternalRunError(f"{file}: cannot read it: {exc}") from None
    specs = {
        (d.get("kind"), (d.get("metadata") or {}).get("name")): d.get("spec") or {}
        for d in docs
        if isinstance(d, dict)
    }
    if ("Scenario", name) not in specs:
        found = sorted(str(n) for k, n in specs if k == "Scenario")
        raise ExternalRunError(
            f"{file}: no Scenario named {name!r} (found: {', '.join(found) or 'none'})"
        )
    try:
        spec = parse_spec(ScenarioSpec, specs["Scenario", name])
        scorers = {
            n: parse_spec(ScorerResourceSpec, s) for (k, n), s in specs.items() if k == "Scorer"
        }
        return ExplicitScenario(name=name, spec=spec, scorers=scorers)
    except ValidationError as error:
        raise ExternalRunError(f"{file}: Scenario {name}: {explain(error, 'spec')}") from None


class LocalExternalRun:
    """One run folder (see the module's docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.artifacts = root / "artifacts"

    @classmethod
    def start(cls, file: Path, scenario: str, out: Path) -> LocalExternalRun:
        """A new run folder with turn 1's workspace prepared."""
        definition = load_scenario(file, scenario)
        if (out / RUN_FILE).exists():
            raise ExternalRunError(f"{out} already holds a run: pick another --out")
        spec = ScenarioRunSpec(
            definition=definition,
            external_agent=ExternalAgent(external=True),
            timeouts=Timeouts(keep_alive_seconds=LOCAL_KEEP_ALIVE_SECONDS),
        )
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / RUN_FILE, spec.model_dump_json(by_alias=True, exclude_none=True))
        run = cls(out)
        run._apply(spec, ScenarioRunStatus(), Started(f"file://{run.artifacts.resolve()}"))
        return run

    def spec(self) -> ScenarioRunSpec:
        path = self.root / RUN_FILE
        if not path.is_file():
            raise ExternalRunError(f"{self.root} is not a run folder: `enduro scenario start` one")
        return ScenarioRunSpec.model_validate_json(path.read_text())

    def status(self) -> ScenarioRunStatus:
        return load_status(self.root) or ScenarioRunStatus()

    def score(self) -> ScenarioRunStatus:
        """Score the current turn; the next turn's workspace is prepared when there is one."""
        spec, status = self.spec(), self.status()
        if status.phase is not ScenarioPhase.RUNNING:
            raise ExternalRunError(f"the run is {status.phase.value}: there is no turn to score")
        requested = (status.score_generation or 0) + 1  # each command is a new request
        return self._apply(spec, status, ScoreRequested(requested))

    def complete(self) -> ScenarioRunStatus:
        spec, status = self.spec(), self.status()
        if status.phase.terminal:
            raise ExternalRunError(f"the run already ended {status.phase.value}")
        return self._apply(
            spec, status, CompleteRequested("completed by `enduro scenario complete`")
        )

    def _apply(
        self, spec: ScenarioRunSpec, status: ScenarioRunStatus, event: Event
    ) -> ScenarioRunStatus:
        """Decide, save, then do what the new status asks (prepare a turn, score one) and
        decide on its outcome, until the run waits for the user again."""
        while True:
            status = decide_external(spec, status, event, _now())
            save_status(self.root, status)
            next_event = self._work(spec, status)
            if next_event is None:
                return status
            event = next_event

    def _work(self, spec: ScenarioRunSpec, status: ScenarioRunStatus) -> Event | None:
        step = scoring_step(status)
        if step is not None:
            summary = run_scoring_step(
                self._context(spec, status.turn), self.workspace, self.artifacts
            )
            return TestFinished(summary, step)
        ready = any(c.type == "EnvironmentReady" and c.status == "True" for c in status.conditions)
        if status.phase is ScenarioPhase.RUNNING and not ready:
            try:
                prepare_workspace(self._context(spec, status.turn), self.workspace, self.artifacts)
            except SetupError as exc:
                return EnvironmentLost(str(exc))
            return EnvironmentReady(status.turn)
        return None

    def _context(self, spec: ScenarioRunSpec, turn: int) -> StepContext:
        isolation = Isolation.BWRAP if sandbox_problem() is None else Isolation.NONE
        return StepContext(
            definition=spec.definition,
            scenario=0,
            turn=turn,
            attempt=1,
            feedback_level=spec.feedback_level,
            timeouts=spec.timeouts,
            isolation=isolation,
        )
