"""``enduro run FILE``: validate, run every scenario locally, report.

Exit codes: 0 the run finished (whatever the scores), 1 a scenario was stopped by a
runtime error (the others finished), 2 the file or the output directory cannot be used
(nothing was started), 130 stopped by Ctrl-C. The state is kept; ``--resume`` continues.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import IO, Any

from enduro.api.scenariorun import ScenarioPhase
from enduro.engine.catalogue import required_secrets
from enduro.runtime.forkserver import ForkServer
from enduro.runtime.local import LocalRun, scenario_dir
from enduro.runtime.manifest import ManifestError, RunPlan, load_plan
from enduro.runtime.process import Processes
from enduro.runtime.state import state_path
from enduro.sandbox.egress import EgressError, routes_for
from enduro.sandbox.launch import SandboxError, sandbox_problem
from enduro.sandbox.policy import Isolation
from enduro.storage import StorageError
from enduro.storage.runs import ArtifactsOption, use_stored_set
from enduro.storage.runs import publish_or_fail as _publish
from enduro.storage.sync import RunUploader

PLAN_FILE = "plan.json"
LOCK_FILE = ".enduro.lock"


def choose_isolation(baseline: bool, unsandboxed: bool, sandbox_problem: str | None) -> Isolation:
    """How a local run confines its agent: a sandbox when one can be made; none when
    the user asks (`--unsandboxed`), or for a trusted baseline agent where none can be
    made. An untrusted agent never runs unconfined silently: `SandboxError`."""
    if unsandboxed:
        return Isolation.NONE
    if sandbox_problem is None:
        return Isolation.BWRAP
    if baseline:
        return Isolation.NONE
    raise SandboxError(sandbox_problem)


def run_file(
    file: Path,
    out: Path | None,
    resume: bool,
    *,
    forkserver: bool = True,
    unsandboxed: bool = False,
    artifacts: ArtifactsOption | None = None,
    egress: tuple[str, ...] = (),
) -> int:
    try:
        routes_for(egress)
    except EgressError as exc:
        print(f"error: --agent-egress: {exc}", file=sys.stderr)
        return 2
    try:
        plan = load_plan(file)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if missing := _missing_exports(plan):
        for problem in missing:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        isolation = choose_isolation(
            plan.agent.harness.baseline, unsandboxed, None if unsandboxed else sandbox_problem()
        )
    except SandboxError as exc:
        print(
            f"error: agent {plan.agent_name} (harness {plan.agent.harness}) is untrusted "
            f"code and must run in a sandbox: {exc}",
            file=sys.stderr,
        )
        return 2
    if not isolation.tamper_proof:
        print(
            "warning: the agent runs without a sandbox: its scores are marked as not tamper-proof",
            file=sys.stderr,
        )
    # Steps run in other working directories: every path handed to them is absolute.
    out = (out or Path("runs") / plan.name).resolve()
    problem = _check_out(plan, out, resume)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:  # the artifact store is checked before anything runs (enduro.storage)
        uploader = (artifacts or ArtifactsOption()).uploader(plan, out)
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    lock = _lock(out)
    if lock is None:
        print(
            f"error: another enduro run is using {out} ({LOCK_FILE} is held): wait for it to "
            "end or stop it first; two runs never share a workspace",
            file=sys.stderr,
        )
        return 2
    with lock:
        return _run_locked(
            file,
            plan,
            out,
            isolation=isolation,
            forkserver=forkserver,
            uploader=uploader,
            egress=egress,
        )


def _lock(out: Path) -> IO[str] | None:
    """An exclusive lock on the output folder for this process's lifetime (the kernel
    drops it when we die, even by kill -9), or None when another run holds it."""
    handle = (out / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _run_locked(
    file: Path,
    plan: RunPlan,
    out: Path,
    *,
    isolation: Isolation,
    forkserver: bool,
    uploader: RunUploader | None,
    egress: tuple[str, ...] = (),
) -> int:
    if problem := use_stored_set(plan, out):  # Benchmark.spec.source, digests checked
        print(f"error: {problem}", file=sys.stderr)
        return 2
    (out / PLAN_FILE).write_text(_plan_json(plan))
    if plan.spec.suspend:
        waiting = len(plan.scenarios()) - len(LocalRun(plan, out).runnable())
        print(
            f"suspended (spec.suspend): {waiting} scenario(s) not started; set suspend: false "
            f"and continue with `enduro run {file} --out {out} --resume`",
            file=sys.stderr,
        )
        if waiting == len(plan.scenarios()):
            return 0

    from enduro.runtime.progress import Progress

    n_turns = plan.contents.max_turns
    progress = Progress(
        f"{plan.name}: {plan.agent_name} on {plan.benchmark_name}",
        {i: plan.contents.turns(i) for i in plan.scenarios()},
    )
    server = ForkServer() if forkserver else None
    run = LocalRun(
        plan,
        out,
        processes=Processes(server),
        listener=progress.update,
        isolation=isolation,
        uploader=uploader,
        egress=egress,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        run.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with progress:
            statuses = run.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.close()

    from enduro.reports.attempts import read_attempts
    from enduro.reports.report import build_report, write_report
    from enduro.reports.summary import print_summary

    report = build_report(
        agent=plan.agent_name,
        harness=plan.agent.harness.value,
        benchmark=plan.benchmark_name,
        benchmark_run=plan.name,
        n_turns=n_turns,
        statuses=statuses,
        isolation=isolation,
        scenario_turns={i: plan.contents.turns(i) for i in statuses},
        attempts={i: read_attempts(scenario_dir(out, i)) for i in statuses},
    )
    write_report(out, report)
    if uploader is not None and (code := _publish(uploader, report)):
        return code
    if run.processes.stopped.is_set() or run.errors:
        if run.errors:
            print(f"{len(run.errors)} scenario(s) stopped by runtime errors", file=sys.stderr)
        print(
            f"stopped: the state is kept in {out}; continue with "
            f"`enduro run {file} --out {out} --resume`",
            file=sys.stderr,
        )
        return 130 if run.processes.stopped.is_set() else 1
    print_summary([report])
    print(f"report: {out / 'report.json'}")
    # A low score is a result; a scenario that could not be evaluated is an error.
    broken = {i: s for i, s in statuses.items() if s.phase is ScenarioPhase.FAILED}
    for index, status in sorted(broken.items()):
        print(f"error: scenario {index} failed: {status.message}", file=sys.stderr)
    return 1 if broken else 0


def _plan_json(plan: RunPlan) -> str:
    import json

    return json.dumps(
        {
            "benchmarkRun": plan.name,
            "benchmark": plan.benchmark_name,
            "agent": plan.agent_name,
            # Suspending and resuming does not make it another plan.
            "spec": plan.spec.model_dump(mode="json", exclude={"suspend"}),
            **_scenarios_json(plan),
            "agentSpec": plan.agent.model_dump(mode="json"),
        },
        indent=1,
        sort_keys=True,
    )


def _scenarios_json(plan: RunPlan) -> dict[str, Any]:
    """What the scenarios are: the generator, or the explicit snapshots (an edited
    Scenario or Scorer makes it another plan, as an edited generator does)."""
    if plan.contents.generator is not None:
        return {"generator": plan.contents.generator.model_dump(mode="json", by_alias=True)}
    return {
        "scenarios": [
            d.model_dump(mode="json", by_alias=True, exclude_none=True)
            for d in plan.contents.present
        ]
    }


def _missing_exports(plan: RunPlan) -> list[str]:
    """The Agent's secretEnv variables that a scenario requires (by name, or through a
    required Secret) and that are not exported: checked before any work, as a cluster
    keeps such a run from starting."""
    secrets = set(required_secrets(plan.contents))
    needed = {n for d in plan.contents.present for n in d.spec.environment.required_env}
    return [
        f"Agent {plan.agent_name}: spec.secretEnv {e.name} (Secret {e.secret_key_ref.name}) is "
        f"required by a scenario: export {e.name} before `enduro run`"
        for e in plan.agent.secret_env
        if (e.name in needed or e.secret_key_ref.name in secrets) and e.name not in os.environ
    ]


def _check_out(plan: RunPlan, out: Path, resume: bool) -> str:
    started = [i for i in plan.scenarios() if state_path(scenario_dir(out, i)).exists()]
    if started and not resume:
        return (
            f"{out} already holds a run of {plan.name}: continue it with --resume, "
            "or choose another directory with --out"
        )
    saved = out / PLAN_FILE
    if resume and saved.exists() and saved.read_text() != _plan_json(plan):
        return (
            f"{out} holds a run of a different plan ({saved}); resume needs the same file, "
            "or choose another directory with --out"
        )
    return ""
