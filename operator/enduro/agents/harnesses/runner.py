"""Run one harness attempt: pre-flight, process group with timeout, redaction, verdict, files.

The edges of an attempt are here and only here: the child's env is built from a short
allow-list of the parent's variables plus the Agent's `env` and the Secret-backed names
in `secretEnv` (nothing else of the parent leaks into the agent), its HOME is a private
scratch folder (so no CLI reads a developer's own config or keys), and it runs through
`enduro.agents.process.run_process` (own process group killed at the timeout, log and
file-size caps, leftover and stop-on-signal clean-up). Everything kept
(stdout/stderr log, native logs, ATIF trajectory, reason) has the Secret values masked.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from enduro import untrusted
from enduro.agents import atif
from enduro.agents.harnesses.base import (
    Command,
    Harness,
    HarnessConfig,
    HarnessReport,
    ProcessResult,
    classify,
)
from enduro.agents.harnesses.endpoint import EndpointProbe, endpoint_url
from enduro.agents.process import LOG_CAP_BYTES, Watch, run_process
from enduro.agents.redact import redact, secret_values
from enduro.agents.workspace_limit import growth_watch
from enduro.engine.results import AgentOutcome, FailureClass
from enduro.sandbox.cgroups import ProcessLimits, parse_quantity
from enduro.sandbox.egress import (
    EgressError,
    extra_endpoints,
    proxy_endpoints,
    routes_for,
)
from enduro.sandbox.launch import (
    SandboxError,
    confined_env,
    overlaps,
    python_for_servers,
    tool_dirs,
)
from enduro.sandbox.policy import Confinement

PASSTHROUGH_ENV = (
    "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "TERM",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
)  # fmt: skip
KILL_GRACE_SECONDS = 5.0
KILLED_EXIT = -9
"""Exit code recorded for a harness killed at its timeout (as a shell reports SIGKILL)."""
NOT_STARTED_EXIT = 127
"""Exit code recorded for a harness that never ran (as a shell reports "not found")."""
NATIVE_LOGS = 32  # native logs kept an attempt: a CLI's few, not whatever it piles up


@dataclass(frozen=True)
class AttemptFiles:
    """Where one attempt's records go (see docs/steps.md for the artifact layout)."""

    log: Path
    """stdout then stderr of the CLI, redacted (`A/agent_logs/turn_TTT_attempt_A.log`)."""
    trajectory: Path
    """The ATIF file (`A/trajectory/turn_TTT_attempt_A.json`)."""

    @property
    def native_dir(self) -> Path:
        """The CLI's own logs, beside the ATIF file."""
        return self.trajectory.with_name(self.trajectory.stem + ".native")


@dataclass(frozen=True)
class AttemptResult:
    outcome: AgentOutcome
    trajectory: atif.Trajectory


def child_env(config: HarnessConfig, parent: Mapping[str, str], home: Path) -> dict[str, str]:
    """The harness's env: allow-listed parent vars, the Agent's env, its Secret-backed vars."""
    env = {name: parent[name] for name in PASSTHROUGH_ENV if name in parent}
    env.update(config.env)
    env.update({name: parent[name] for name in config.secret_env if name in parent})
    env["HOME"] = str(home)
    return env


def run_attempt(
    harness: Harness,
    config: HarnessConfig,
    *,
    workspace: Path,
    prompt: str,
    scratch: Path,
    files: AttemptFiles,
    timeout_seconds: float,
    parent_env: Mapping[str, str] | None = None,
    extra: dict[str, object] | None = None,
    hidden: tuple[Path, ...] | None = None,
) -> AttemptResult:
    """Run the harness once on `workspace`; never raises for anything the harness does.

    With `hidden` (what the CLI must never see: this environment, the output folder)
    the CLI runs in a sandbox (`enduro.sandbox`) that sees the workspace, `scratch`,
    the system and its own installation, and nothing else.
    """
    parent = dict(os.environ if parent_env is None else parent_env)
    secrets = secret_values(parent, config.secret_env)
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = child_env(config, parent, home)
    if hidden is not None:
        env = confined_env(env)

    problem = harness.check(config, env)
    confinement = None
    if problem is None:
        command = harness.build_command(config, workspace, prompt, scratch)
        env.update(command.env)
        if shutil.which(command.argv[0], path=env.get("PATH")) is None:
            problem = harness.missing_cli_hint(command.argv[0])
    if problem is None and hidden is not None:
        try:
            confinement = sandbox_for(
                command,
                env,
                workspace=workspace,
                scratch=scratch,
                hidden=hidden,
                endpoints=sandbox_endpoints(config, env, parent),
            )
            confinement = replace(confinement, limits=process_limits(config))
        except SandboxError as exc:
            problem = str(exc)
        except EgressError as exc:
            problem = f"an endpoint of the agent's sandbox (model.baseUrl, --agent-egress): {exc}"
        except ValueError as exc:
            problem = f"resources.limits.memory of the Agent: {exc}"
    if problem is not None:
        outcome = AgentOutcome(
            exit_code=NOT_STARTED_EXIT,
            reason=redact(problem, secrets),
            failure=FailureClass.INFRASTRUCTURE,
        )
        result = ProcessResult(exit_code=None, stdout="", stderr="", seconds=0.0)
        report = HarnessReport()
    else:
        watch = None
        if config.workspace_mib is not None:
            watch = growth_watch((workspace, scratch), config.workspace_mib)
        result = _run(
            command, env, timeout_seconds, scratch, secrets, confinement=confinement, watch=watch
        )
        report = _parse(harness, result)
        failure, reason = classify(result, report, _endpoint(harness, config, env))
        outcome = AgentOutcome(
            exit_code=_exit_code(result),
            reason=redact(reason, secrets),
            failure=failure,
            steps=report.steps,
            tokens_in=report.tokens_in,
            tokens_out=report.tokens_out,
            cost_usd=report.cost_usd,
            seconds=round(result.seconds, 3),
        )
    trajectory = build_trajectory(harness, config, redact(prompt, secrets), report, outcome)
    if extra:
        trajectory.extra = {**(trajectory.extra or {}), **extra}
    _write_records(files, result, trajectory)
    return AttemptResult(outcome=outcome, trajectory=trajectory)


def _endpoint(harness: Harness, config: HarnessConfig, env: Mapping[str, str]) -> EndpointProbe:
    """The model endpoint as this step sees it, with the key the CLI was given."""
    names = harness.credentials.get(config.model.provider, ())
    key = next((env[name] for name in names if env.get(name)), None)
    return EndpointProbe(config.model, env, key)


def process_limits(config: HarnessConfig) -> ProcessLimits:
    """The sandbox's process and memory limits from the Agent."""
    memory = parse_quantity(config.memory_limit) if config.memory_limit else None
    return ProcessLimits(processes=config.max_processes, memory_bytes=memory)


def sandbox_endpoints(
    config: HarnessConfig, env: Mapping[str, str], parent: Mapping[str, str]
) -> tuple[str, ...]:
    """The URLs the CLI may reach from its sandbox (`env` is its own environment,
    `parent` the step's): its model endpoint if it has one, the proxies it is told to
    use, and what `enduro run --agent-egress` grants."""
    url = endpoint_url(config.model, env)
    return (*((url,) if url else ()), *proxy_endpoints(env), *extra_endpoints(parent))


def sandbox_for(
    command: Command,
    env: Mapping[str, str],
    *,
    workspace: Path,
    scratch: Path,
    hidden: tuple[Path, ...],
    endpoints: tuple[str, ...] = (),
) -> Confinement:
    """What the CLI may see: the workspace and its scratch folder (writable), the
    programs on its PATH and the CLI's own installation, a Python with Flask to try its
    server with; a network of its own that reaches `endpoints` and nothing else."""
    program = Path(command.argv[0])
    own = (program.resolve().parent,) if program.is_absolute() else ()
    for directory in own:
        for path in hidden:
            if overlaps(directory, path):
                raise SandboxError(
                    f"the agent's program {program} is in {directory}, which overlaps "
                    f"{path} (hidden from the agent): keep the agent's files and the run's "
                    "output (--out) in separate folders"
                )
    python_readable, python_lent = python_for_servers()
    return Confinement(
        cwd=command.cwd,
        writable=(workspace, scratch),
        readable=(*tool_dirs(env.get("PATH", ""), hidden=hidden), *own, *python_readable),
        lent=python_lent,
        egress=routes_for(endpoints),
    )


def _run(
    command: Command,
    env: Mapping[str, str],
    timeout_seconds: float,
    scratch: Path,
    secrets: tuple[str, ...],
    *,
    confinement: Confinement | None,
    watch: Watch | None,
) -> ProcessResult:
    """Run the CLI; its output goes to logs beside `scratch`, never in it: the CLI can
    write there (a log it replaced by a link would have this trusted process read, or
    write, any file it can reach)."""
    for path, content in command.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="enduro-cli-logs-", dir=scratch.parent) as logs:
        out_path, err_path = Path(logs) / "stdout.log", Path(logs) / "stderr.log"
        finished = run_process(
            command.argv,
            cwd=command.cwd,
            env=env,
            timeout=timeout_seconds,
            stdout=out_path,
            stderr=err_path,
            stdin=command.stdin,
            kill_grace=KILL_GRACE_SECONDS,
            confinement=confinement,
            watch=watch,
        )
        stdout, stderr = _read(out_path), _read(err_path)
    if finished.start_error is not None:
        return ProcessResult(
            exit_code=None, stdout="", stderr=finished.start_error, seconds=finished.seconds
        )
    return ProcessResult(
        exit_code=None if finished.timed_out else finished.returncode,
        stdout=redact(stdout + finished.stdout_past_cap, secrets),
        stderr=redact(stderr + finished.stderr_past_cap, secrets),
        seconds=finished.seconds,
        timed_out=finished.timed_out,
        stopped=finished.stopped,
        native={name: redact(text, secrets) for name, text in native_logs(command, scratch)},
    )


def native_logs(command: Command, scratch: Path) -> Iterator[tuple[str, str]]:
    """The CLI's own logs it left in `scratch` (at most `NATIVE_LOGS`, each cut at
    `LOG_CAP_BYTES`), read as `enduro.untrusted` reads: regular files only, reached
    without following a link, so a log the CLI made a link, a FIFO or a sparse terabyte
    reads as nothing or as its first bytes."""
    patterns = [glob.escape(path.relative_to(scratch).as_posix()) for path in command.native_logs]
    found = 0
    for pattern in (*patterns, *command.native_globs):
        for entry in untrusted.glob(scratch, pattern):
            handle = None if entry.is_dir else entry.open()
            if handle is None:
                continue
            with handle:
                data = untrusted.read_capped(handle, LOG_CAP_BYTES)
            yield entry.name, data.decode("utf-8", errors="replace")
            found += 1
            if found == NATIVE_LOGS:
                return


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _exit_code(result: ProcessResult) -> int:
    if result.exit_code is not None:
        return result.exit_code
    return KILLED_EXIT if result.timed_out else NOT_STARTED_EXIT


def _parse(harness: Harness, result: ProcessResult) -> HarnessReport:
    """The adapter's report; output the adapter cannot make sense of is a report of nothing."""
    try:
        return harness.parse_output(result)
    except Exception as exc:  # an adapter bug must not lose the attempt's outcome
        return HarnessReport(error=f"could not parse the harness output: {type(exc).__name__}")


def build_trajectory(
    harness: Harness,
    config: HarnessConfig,
    prompt: str,
    report: HarnessReport,
    outcome: AgentOutcome,
) -> atif.Trajectory:
    """The ATIF record of one attempt: the prompt, the harness's steps, the totals."""
    model = config.model.name or None
    # ATIF names the model on every agent step; CLIs that do not say it used the configured one.
    steps = [
        step.model_copy(update={"model_name": model})
        if step.source == "agent" and step.model_name is None
        else step
        for step in report.trajectory
    ]
    if not any(step.source == "user" for step in steps):
        steps.insert(0, atif.Step(step_id=1, source="user", message=prompt))
    return atif.Trajectory(
        session_id=str(uuid.uuid4()),
        agent=atif.Agent(
            name=harness.name,
            version=report.version or harness.package.version,
            model_name=model,
        ),
        steps=atif.renumber(steps),
        final_metrics=atif.FinalMetrics(
            total_prompt_tokens=outcome.tokens_in,
            total_completion_tokens=outcome.tokens_out,
            total_cost_usd=outcome.cost_usd,
            total_steps=outcome.steps,
            extra={
                "exit_code": outcome.exit_code,
                "exit_status": report.exit_status,
                "reason": outcome.reason,
                "failure": str(outcome.failure),
                "seconds": outcome.seconds,
            },
        ),
    )


def _write_records(files: AttemptFiles, result: ProcessResult, trajectory: atif.Trajectory) -> None:
    files.log.parent.mkdir(parents=True, exist_ok=True)
    files.log.write_text(
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n", encoding="utf-8"
    )
    atif.write(trajectory, files.trajectory)
    if result.native:
        files.native_dir.mkdir(parents=True, exist_ok=True)
        for name, content in result.native.items():
            (files.native_dir / name).write_text(content, encoding="utf-8")
