"""``enduro run``: a BenchmarkRun on this machine, steps as local processes.

Each scenario is a thread that asks the engine (``enduro.engine.machine.decide``) what
to run next, builds the step with ``enduro.steps`` (the same StepSpec the Kubernetes
runtime turns into a Pod), runs its containers as process groups with the volumes
mapped to directories (workspace -> ``out/scenario_N/workspace``, artifacts ->
``out/scenario_N``), turns the result into the next event and saves the status to
``state.json`` after every step. ``parallelism`` scenarios run at once. A stop (Ctrl-C)
kills every process group and keeps the states; ``resume`` continues from them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from enduro.api.scenariorun import ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.events import Event, Started, StepFailedInfra, WorkspaceLost
from enduro.engine.machine import (
    AgentStep,
    Done,
    TestStep,
    current_step,
    deadline,
    decide,
    scenario_timed_out,
)
from enduro.engine.run import may_start
from enduro.engine.stepend import StepEnd, init_failed, step_finished
from enduro.runtime.manifest import RunPlan
from enduro.runtime.process import MissingSecretError, Processes, container_env
from enduro.runtime.state import load_status, save_status, state_path
from enduro.sandbox.egress import EGRESS_ENV, egress_value
from enduro.sandbox.launch import HIDDEN_ENV
from enduro.sandbox.policy import Isolation
from enduro.steps.build import build_step
from enduro.steps.names import scenario_run_name
from enduro.steps.spec import ContainerSpec, StepRole, StepSpec, VolumeName
from enduro.storage.checkpoints import checkpointed_turns
from enduro.storage.sync import RunUploader
from enduro.untrusted import drop_setid

STEP_LOGS = "step_logs"  # stdout/stderr of each step's processes, for debugging the runtime

Listener = Callable[[int, ScenarioRunStatus], None]


def scenario_dir(out: Path, scenario: int) -> Path:
    return out / f"scenario_{scenario}"


def workspace_lost(
    directory: Path, status: ScenarioRunStatus, step: AgentStep | TestStep | Done
) -> WorkspaceLost | None:
    """A resumed scenario with a step in flight lost its volume when the workspace
    folder is gone (in any turn: turn 1 then starts again on an empty one), or is empty
    once a turn was scored: the engine decides what follows, as on a cluster. The
    checkpoints are in the run folder (``enduro.storage.checkpoints``), where the loss
    did not reach. An empty folder in turn 1 may be the agent's own doing: scored."""
    if not isinstance(step, AgentStep | TestStep):
        return None
    workspace = directory / "workspace"
    if not workspace.is_dir():
        reason = "the workspace folder is gone"
    elif status.turns and not any(workspace.iterdir()):
        reason = "the workspace folder is empty"
    else:
        return None
    kept = status.turn - 1 in checkpointed_turns(directory)
    return WorkspaceLost(reason, checkpoints=kept)


@dataclass
class LocalRun:
    plan: RunPlan
    out: Path
    processes: Processes = field(default_factory=Processes)
    listener: Listener | None = None
    isolation: Isolation = Isolation.NONE
    errors: dict[int, str] = field(default_factory=dict)
    uploader: RunUploader | None = None  # also copies each step's outputs to a store
    egress: tuple[str, ...] = ()
    """Endpoints the agent's sandbox may reach besides its model's (`--agent-egress`)."""

    def run(self) -> dict[int, ScenarioRunStatus]:
        """Play every scenario (``parallelism`` at once) until done or stopped. While the
        run is suspended, only scenarios that already started go on (as on a cluster)."""
        indices = self.runnable()
        statuses: dict[int, ScenarioRunStatus] = {}
        with ThreadPoolExecutor(max_workers=self.plan.spec.parallelism) as pool:
            futures = {i: pool.submit(self._guarded, i) for i in indices}
            for i, future in futures.items():
                statuses[i] = future.result()
        return statuses

    def runnable(self) -> list[int]:
        """The scenarios this invocation plays."""
        if may_start(self.plan.spec):
            return self.plan.scenarios()
        return [i for i in self.plan.scenarios() if state_path(scenario_dir(self.out, i)).exists()]

    def _guarded(self, scenario: int) -> ScenarioRunStatus:
        """One scenario; a runtime error (a full disk, a bug) stops that scenario only,
        keeps its last saved state (``--resume`` retries it) and says why."""
        try:
            return self.run_scenario(scenario)
        except Exception as exc:
            print(
                f"error: scenario {scenario} stopped by the runtime: {type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
            self.errors[scenario] = f"{type(exc).__name__}: {exc}"
            return load_status(scenario_dir(self.out, scenario)) or ScenarioRunStatus()

    def stop(self) -> None:
        self.processes.stop_all()

    def run_scenario(self, scenario: int) -> ScenarioRunStatus:
        spec = self.plan.scenario_spec(scenario)
        directory = scenario_dir(self.out, scenario)
        status = load_status(directory) or ScenarioRunStatus()
        step = current_step(status)
        lost = workspace_lost(directory, status, step)
        (directory / "workspace").mkdir(parents=True, exist_ok=True)  # the (fresh) volume
        if lost:
            status, step = self._advance(spec, status, lost, directory, scenario)
            print(f"{directory.name}: {status.message}", file=sys.stderr)
        if self.listener is not None:
            self.listener(scenario, status)  # a resumed scenario shows where it is
        if not status.phase.terminal and isinstance(step, Done):  # Pending: not started yet
            ref = self.uploader.ref(directory) if self.uploader else str(directory)
            status, step = self._advance(spec, status, Started(ref), directory, scenario)
        while not isinstance(step, Done):
            if self.processes.stopped.is_set():
                return status
            expired = scenario_timed_out(spec, status, datetime.now(UTC))
            limit = deadline(spec, status)
            event = expired or self._execute(spec, step, directory, limit)
            if self.processes.stopped.is_set() and isinstance(event, StepFailedInfra):
                return status  # cut short by the stop: the step runs again on resume
            status, step = self._advance(spec, status, event, directory, scenario)
        return status

    def _advance(
        self,
        spec: ScenarioRunSpec,
        status: ScenarioRunStatus,
        event: Event,
        directory: Path,
        scenario: int,
    ) -> tuple[ScenarioRunStatus, AgentStep | TestStep | Done]:
        decision = decide(spec, status, event, datetime.now(UTC))
        status = decision.status  # with the test step's checkpoint (enduro.storage)
        save_status(directory, status)
        if self.uploader is not None:  # the step's outputs to the artifact store
            self.uploader.scenario(directory)
        if self.listener is not None:
            self.listener(scenario, status)
        return status, decision.step

    def _execute(
        self,
        spec: ScenarioRunSpec,
        step: AgentStep | TestStep,
        directory: Path,
        scenario_deadline: datetime | None,
    ) -> Event:
        name = scenario_run_name(self.plan.name, spec.scenario)
        built = build_step(name, spec, step, isolation=self.isolation)
        summary = directory / STEP_LOGS / f"{built.name}.summary.json"
        local = built.localize(
            {VolumeName.WORKSPACE: directory / "workspace", VolumeName.ARTIFACTS: directory},
            summary_file=summary,
        )
        # Cut short by the scenario's deadline, the step's event is past it: `decide`
        # makes it TimedOut.
        return step_finished(step, self._run_step(local, directory, summary, scenario_deadline))

    def _env(self, container: ContainerSpec) -> dict[str, str]:
        """A step command's environment: the container's, the run's output folder, which
        no sandbox it starts may show (`enduro.sandbox.launch`), and where the agent's
        sandbox may connect besides its model endpoint (`enduro.sandbox.egress`)."""
        env = {**container_env(container), HIDDEN_ENV: str(self.out)}
        if self.egress:
            env[EGRESS_ENV] = egress_value(self.egress)
        return env

    def _run_step(
        self, step: StepSpec, directory: Path, summary: Path, scenario_deadline: datetime | None
    ) -> StepEnd:
        """Run the step's containers as a kubelet would and say how the main one ended.
        Every wait is bounded by the step's limit, as a pod's `activeDeadlineSeconds`."""
        try:
            return self._run_containers(step, directory, summary, scenario_deadline)
        finally:
            # What the agent and its server left in the workspace is on this machine's
            # disk, owned by whoever runs `enduro run`: never a set-user-ID program.
            drop_setid(directory / "workspace")

    def _run_containers(
        self, step: StepSpec, directory: Path, summary: Path, scenario_deadline: datetime | None
    ) -> StepEnd:
        logs = directory / STEP_LOGS
        summary.unlink(missing_ok=True)
        for container in step.containers():  # as a kubelet creates a volume's sub-paths
            for mount in container.mounts:
                Path(mount.path).mkdir(parents=True, exist_ok=True)
        limit = step.timeout_seconds
        timed_out = StepEnd(timed_out=True, timeout_seconds=limit)
        until = time.monotonic() + limit  # the whole step's, init included
        if scenario_deadline is not None:
            remaining = (scenario_deadline - datetime.now(UTC)).total_seconds() + 0.05
            until = min(until, time.monotonic() + max(0.0, remaining))

        def left() -> float:
            return max(0.0, until - time.monotonic())

        try:
            if step.init is not None:
                init_log = logs / f"{step.name}.init.log"
                init = self.processes.start(step.init, self._env(step.init), init_log)
                done = self.processes.wait(init, left())
                if done.timed_out:
                    return timed_out
                if done.returncode != 0:
                    return StepEnd(
                        infra=init_failed(step.init.name, done.returncode, _read(init_log))
                    )
            sidecar = None
            if step.sidecar is not None:
                sidecar = self.processes.start(
                    step.sidecar,
                    self._env(step.sidecar),
                    logs / f"{step.name}.sidecar.log",
                )
            main_log = logs / f"{step.name}.log"
            main_log.unlink(missing_ok=True)
            try:
                main = self.processes.start(step.main, self._env(step.main), main_log)
                done = self.processes.wait(main, left())
            finally:
                if sidecar is not None:
                    self.processes.stop_process(sidecar)
        except MissingSecretError as exc:
            return StepEnd(infra=str(exc))
        except (InterruptedError, OSError) as exc:
            return StepEnd(infra=f"could not start the {step.role.value} step: {exc}")
        if done.timed_out:
            return timed_out
        if step.role is StepRole.AGENT:
            return StepEnd(exit_code=done.returncode, output=_read(main_log))
        full = directory / "test_results" / f"{_tag(step)}.json"
        return StepEnd(
            exit_code=done.returncode,
            output=_read(summary),
            full_result=full.read_bytes() if full.is_file() else b"",
        )


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def _tag(step: StepSpec) -> str:
    return f"turn_{step.turn:03d}_attempt_{step.attempt}"
