"""The `enduro` command. Subcommands import their modules lazily so start-up stays fast."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import enduro

if TYPE_CHECKING:
    from enduro.api.scenariorun import ScenarioRunStatus
    from enduro.client import ScenarioRun
    from enduro.engine.results import TestSummary

app = typer.Typer(
    name="enduro",
    help="Long-horizon coding-agent benchmarks, on one machine or on Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"enduro {enduro.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Long-horizon coding-agent benchmarks, on one machine or on Kubernetes."""


Context = Annotated[str, typer.Option("--context", help="The StepContext as JSON.")]
Workspace = Annotated[Path, typer.Option("--workspace", help="The agent's workspace directory.")]
Artifacts = Annotated[Path, typer.Option("--artifacts", help="The scenario's artifact root.")]
SummaryFile = Annotated[
    Path | None, typer.Option(help="Where to write the compact summary (<= 4 KiB JSON).")
]


@app.command("prepare-workspace")
def prepare_workspace(context: Context, workspace: Workspace, artifacts: Artifacts) -> None:
    """Write SPEC.md, CHANGES.md, openapi.yaml, tests/ and FEEDBACK.md for an attempt."""
    from enduro.procgroup import die_with_parent
    from enduro.steps.context import StepContext
    from enduro.workspace.explicit import SetupError
    from enduro.workspace.prepare import prepare_workspace as prepare

    die_with_parent()
    _hide_artifacts(artifacts)
    step_context = StepContext.model_validate_json(context)
    _stored_set(step_context, artifacts / "scenario_set")
    try:
        prepare(step_context, workspace, artifacts)
    except SetupError as exc:
        # The last line of the output is the reason the runtimes report (locally the
        # log's last line, on a cluster the termination message falls back to the log).
        typer.echo(f"error: the scenario's setup failed: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("agent")
def agent(context: Context, workspace: Workspace, artifacts: Artifacts) -> None:
    """Run the context's agent on the workspace; print its outcome as the last line."""
    from enduro.agents.step import parse_agent_context, run_agent_step
    from enduro.procgroup import die_with_parent, stop_owned_on_sigterm

    die_with_parent()
    _hide_artifacts(artifacts)
    stop_owned_on_sigterm()  # a stopped step must not leave the agent running
    if '"source"' in context:  # a trusted baseline of a stored set (the oracle)
        import tempfile

        from enduro.steps.context import StepContext

        cache = Path(tempfile.gettempdir()) / "enduro-scenario-set"
        _stored_set(StepContext.model_validate_json(context), cache)
    outcome = run_agent_step(parse_agent_context(context), workspace, artifacts)
    typer.echo(outcome.model_dump_json())


@app.command("warm-suite")
def warm_suite(context: Context, artifacts: Artifacts) -> None:
    """Beside the agent: rewrite the turn's suite into bytecode for its test step, then
    wait to be stopped (a native sidecar that exited would be restarted)."""
    import os
    import signal
    import sys

    from enduro.procgroup import die_with_parent
    from enduro.steps.context import StepContext
    from enduro.testrunner.warmup import warm_suite as warm

    die_with_parent()
    # PID 1 of a container ignores SIGTERM without a handler; cut short, the test step
    # rewrites what is missing (every file here is written whole or not at all).
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))
    step_context = StepContext.model_validate_json(context)
    try:
        _stored_set(step_context, artifacts / "scenario_set")
        rewritten = warm(step_context, artifacts)
    except Exception as exc:  # only time is at stake: the test step collects as before
        typer.echo(f"warm-suite: not warmed ({type(exc).__name__}: {exc})", err=True)
    else:
        names = ", ".join(rewritten) or "none: the store had them all"
        typer.echo(f"warm-suite: turn {step_context.turn}, modules rewritten: {names}")
    sys.stdout.flush()
    sys.stderr.flush()
    while True:
        signal.pause()


@app.command("test-runner")
def test_runner(
    *,
    context: Context,
    workspace: Workspace,
    artifacts: Artifacts,
    server_url: Annotated[
        str | None, typer.Option(help="The server already runs here (a sidecar started it).")
    ] = None,
    start_server: Annotated[
        bool, typer.Option(help="Start the workspace's run.sh on a free port.")
    ] = False,
    summary_file: SummaryFile = None,
) -> None:
    """Score the workspace's server with the turn's pristine suite."""
    if (server_url is None) == (not start_server):
        raise typer.BadParameter("give exactly one of --server-url URL or --start-server")
    from enduro.procgroup import die_with_parent, stop_owned_on_sigterm
    from enduro.sandbox.netns import enter_private_network
    from enduro.sandbox.policy import Isolation
    from enduro.steps.context import StepContext
    from enduro.testrunner.step import run_test_step

    die_with_parent()
    _hide_artifacts(artifacts)
    stop_owned_on_sigterm()  # a stopped step must not leave the server running
    step_context = StepContext.model_validate_json(context)
    _stored_set(step_context, artifacts / "scenario_set")
    if start_server and step_context.isolation is Isolation.BWRAP:
        # The server it starts shares this namespace: it reaches the runner, nothing else.
        enter_private_network()
    summary = run_test_step(step_context, workspace, artifacts, server_url)
    _report_summary(summary, summary_file, artifacts, workspace, step_context.turn)


@app.command("score")
def score(
    *,
    context: Context,
    workspace: Workspace,
    artifacts: Artifacts,
    summary_file: SummaryFile = None,
) -> None:
    """Score the workspace with the explicit scenario's contract for this turn."""
    from enduro.procgroup import die_with_parent, stop_owned_on_sigterm
    from enduro.scoring.step import run_scoring_step
    from enduro.steps.context import StepContext

    die_with_parent()
    _hide_artifacts(artifacts)
    stop_owned_on_sigterm()  # a stopped step must not leave a scorer running
    step_context = StepContext.model_validate_json(context)
    summary = run_scoring_step(step_context, workspace, artifacts)
    _report_summary(summary, summary_file, artifacts, workspace, step_context.turn)


def _hide_artifacts(artifacts: Path) -> None:
    """No sandbox this step starts shows its artifact root, wherever it lies."""
    from enduro.sandbox.launch import hide_from_sandboxes

    hide_from_sandboxes(artifacts)


def _stored_set(context: Any, cache: Path) -> None:
    """A step of a Benchmark with a stored set (`spec.source`) reads its turns from it;
    a set that cannot be fetched or does not match its digests stops the step (exit 1:
    an infrastructure failure, the file named on the last line)."""
    from enduro.scenarios.store import StoreError
    from enduro.storage import StorageError
    from enduro.storage.sets import use_stored_set

    try:
        use_stored_set(context.source, context.generator, cache)
    except (StoreError, StorageError) as exc:
        typer.echo(f"error: the stored scenario set cannot be used: {exc}", err=True)
        raise typer.Exit(1) from None


def _report_summary(
    summary: TestSummary, summary_file: Path | None, artifacts: Path, workspace: Path, turn: int
) -> None:
    """Save the workspace as the turn's checkpoint (every attempt's: the turn's last one
    wins), write the scoring step's summary naming its digest to `summary_file` and stdout
    (the engine puts it in `status.checkpoint` once the turn is scored), then upload the
    artifacts when the run has an S3 store."""
    from enduro.storage import StorageError
    from enduro.storage.checkpoints import write_checkpoint
    from enduro.storage.cluster import upload_from_env

    if turn >= 1:
        summary = summary.model_copy(
            update={"checkpoint": write_checkpoint(artifacts, workspace, turn)}
        )
    message = summary.to_message()
    if summary_file is not None:
        summary_file.write_text(message)
    typer.echo(message)
    try:  # on a cluster whose run has artifacts.s3: an infrastructure error if it fails
        upload_from_env(artifacts)
    except StorageError as exc:
        typer.echo(f"error: the artifacts were not uploaded: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("run")
def run(
    file: Annotated[Path, typer.Argument(help="YAML: a Benchmark, an Agent, a BenchmarkRun.")],
    *,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (default: runs/<benchmarkrun-name>).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue a stopped run in --out.")] = False,
    forkserver: Annotated[
        bool, typer.Option(help="Fork step commands from one warm process (faster).")
    ] = True,
    unsandboxed: Annotated[
        bool,
        typer.Option(
            help="Run the agent and its server without the bubblewrap sandbox; every score "
            "is then marked as not tamper-proof."
        ),
    ] = False,
    artifacts: Annotated[
        str | None,
        typer.Option(help="Also upload every step's outputs and the report to s3://BUCKET/PREFIX."),
    ] = None,
    artifacts_region: Annotated[
        str | None, typer.Option(help="Region of the --artifacts bucket.")
    ] = None,
    artifacts_endpoint: Annotated[
        str | None, typer.Option(help="Endpoint URL of an S3-compatible store (not AWS).")
    ] = None,
    agent_egress: Annotated[
        list[str] | None,
        typer.Option(
            "--agent-egress",
            help="A URL (https://pypi.org) the sandboxed agent may reach besides its model "
            "endpoint; repeatable. Nothing else on the network or this machine is reachable.",
        ),
    ] = None,
) -> None:
    """Run a BenchmarkRun on this machine, then print its summary."""
    from enduro.runtime.launch import run_file
    from enduro.storage.runs import ArtifactsOption

    option = ArtifactsOption(artifacts, artifacts_region, artifacts_endpoint)
    raise typer.Exit(
        run_file(
            file,
            out,
            resume,
            forkserver=forkserver,
            unsandboxed=unsandboxed,
            artifacts=option,
            egress=tuple(agent_egress or ()),
        )
    )


@app.command("report")
def report(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="Run directories (with report.json), s3://BUCKET/PREFIX/RUN URLs, or br/NAME "
            "for a cluster run."
        ),
    ],
    *,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where report.md and plots go (default: the first run; ./report for s3://)."
        ),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Region of s3:// runs.")] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace of br/NAME runs (kubeconfig's)."),
    ] = None,
    attempts: Annotated[
        bool,
        typer.Option(
            help="For br/NAME: read every attempt's timing and failure class off each "
            "ScenarioRun's volume with a short-lived reader pod (needs pod create, get, "
            "delete and pods/log in the namespace)."
        ),
    ] = True,
    reader_image: Annotated[
        str | None,
        typer.Option(help="Image of the reader pods (default: the enduro image of this version)."),
    ] = None,
) -> None:
    """Summarise runs side by side: a table, report.md and PNG plots. A cluster run
    (`br/NAME`) is read through the Kubernetes API (its attempts off its volumes, by
    reader pods) and gets its report.json in `--out` (default `runs/NAME`), like a local
    run."""
    from enduro.reports.cluster import ClusterReportError, fetch_report, run_name
    from enduro.reports.report import write_report
    from enduro.reports.summary import print_summary, write_markdown_report
    from enduro.storage import StorageError, is_s3_url
    from enduro.storage.runs import read_run_report

    reports = []
    first: Path | None = None
    for argument in runs:
        name = run_name(argument)
        if name is not None and not Path(argument).is_dir():
            from enduro.steps.build import Images

            image = (reader_image or Images().enduro) if attempts else None
            try:
                found, warnings = fetch_report(name, namespace, reader_image=image)
            except ClusterReportError as exc:
                typer.echo(f"error: {argument}: {exc}", err=True)
                raise typer.Exit(2) from None
            for warning in warnings:
                typer.echo(f"warning: {argument}: {warning}", err=True)
            folder = out or Path("runs") / name
            folder.mkdir(parents=True, exist_ok=True)
            write_report(folder, found)
            reports.append(found)
            first = first or folder
            continue
        try:
            reports.append(read_run_report(argument, region=region))
        except StorageError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except (OSError, ValueError) as exc:
            typer.echo(f"error: {argument}: no readable report.json ({exc})", err=True)
            raise typer.Exit(2) from None
        first = first or (Path("report") if is_s3_url(argument) else Path(argument))
    assert first is not None
    print_summary(reports)
    target = out or first
    target.mkdir(parents=True, exist_ok=True)
    markdown = write_markdown_report(reports, target)
    typer.echo(f"report: {markdown}")


@app.command("report-attempts", hidden=True)
def report_attempts(
    artifacts: Annotated[Path, typer.Option(help="A scenario's artifacts folder.")],
) -> None:
    """Print the scenario's attempts (timing, failure classes) as one JSON line: what a
    report's reader pod runs on a ScenarioRun's volume."""
    from enduro.reports.attempts import read_attempts
    from enduro.reports.reader import attempts_json

    typer.echo(attempts_json(read_attempts(artifacts)))


@app.command()
def generate(
    *,
    out: str = typer.Option(..., "--out", help="Directory to write the scenario set to."),
    scenarios: int = typer.Option(1, "--scenarios", help="Number of scenarios (1-1000)."),
    turns: int = typer.Option(10, "--turns", help="Turns per scenario (1-1000)."),
    changes_per_turn: int = typer.Option(
        5, "--changes-per-turn", help="Change requests per turn (1-20)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed (>= 0); same seed, same scenarios."),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --out directory."),
    sampler: str = typer.Option(
        "weighted", "--sampler", help="weighted, or bedrock (a model fills in each change)."
    ),
    model_id: str | None = typer.Option(None, "--model-id", help="Bedrock model id."),
    region: str | None = typer.Option(None, "--region", help="Bedrock (and S3) region."),
    bedrock_endpoint: str | None = typer.Option(
        None, "--bedrock-endpoint", help="Bedrock endpoint URL (e.g. `enduro scripted-model`)."
    ),
    max_attempts: int = typer.Option(
        3, "--max-attempts", min=1, max=10, help="Model answers tried per change."
    ),
    out_configmap: str | None = typer.Option(
        None,
        "--out-configmap",
        help="Write --out as the manifest of a ConfigMap of this name holding the set "
        "(small sets: at most 1 MiB packed), for Benchmark.spec.source.configMap.",
    ),
) -> None:
    """Generate an iterative-REST scenario set (layout: docs/scenario-layout.md) into a
    directory, s3://BUCKET/PREFIX, or a ConfigMap manifest (--out-configmap NAME)."""
    from enduro.scenarios.cli import SamplerOptions, generate_command

    generate_command(
        out=out,
        scenarios=scenarios,
        turns=turns,
        changes_per_turn=changes_per_turn,
        seed=seed,
        force=force,
        sampling=SamplerOptions(sampler, model_id, region, bedrock_endpoint, max_attempts),
        configmap=out_configmap,
    )


@app.command("check-scenarios")
def check_scenarios(
    path: str = typer.Argument(
        ..., help="A directory or s3://BUCKET/PREFIX written by `enduro generate`."
    ),
) -> None:
    """Verify a generated scenario set: manifest, file digests, schemas and changes."""
    from enduro.scenarios.cli import check_command

    check_command(path)


@app.command()
def validate(
    source: str = typer.Argument(
        "",
        help="A set written by `enduro generate`, a directory of turn schemas (*.yaml), or "
        "a run file whose Benchmark has explicit scenarios. Omit it to generate the scenario "
        "from --seed/--turns.",
    ),
    *,
    scenario: int = typer.Option(0, min=0, help="Which scenario of the set (0-based)."),
    seed: int = typer.Option(0, min=0, help="Generator seed (without SOURCE)."),
    turns: int = typer.Option(10, min=1, help="Turns to generate (without SOURCE)."),
    changes_per_turn: int = typer.Option(5, min=1, help="Changes per turn (without SOURCE)."),
    sensitivity: bool = typer.Option(
        True, help="Also run each turn's suite against the previous turn's ground truth."
    ),
    workers: int = typer.Option(2, min=1, help="Turns (explicit: scenarios) validated at once."),
    unsandboxed: bool = typer.Option(
        False,
        "--unsandboxed",
        help="Explicit scenarios: run reference commands and scorers without the sandbox.",
    ),
) -> None:
    """Check that every turn's ground truth passes its own suite (and, with
    --sensitivity, that each changed turn's suite fails the previous ground truth).

    SOURCE may also be a run file (`enduro run` YAML) whose Benchmark has explicit
    scenarios: every turn's contract must then score below its pass score untouched, and
    score 1.0 once the turn's referenceOutput is applied."""
    if Path(source).is_file():
        from enduro.scenarios.explicit_validate import validate_file

        raise typer.Exit(validate_file(Path(source), unsandboxed=unsandboxed, workers=workers))
    from enduro.scenarios.store import StoreError
    from enduro.scenarios.validate import report_lines, scenario_turns, validate_turns

    try:
        chosen = scenario_turns(source, scenario, seed, turns, changes_per_turn)
    except (OSError, ValueError, StoreError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    result = validate_turns(chosen, sensitivity, workers)
    for line in report_lines(result):
        typer.echo(line)
    detected, checked = result.detected()
    if not result.all_pass or detected < checked:
        raise typer.Exit(1)


@app.command()
def crds(
    out: list[str] = typer.Option(
        ["crds", "charts/enduro/crds"],
        "--out",
        help="Where to write the CRD YAML (repeatable; default: crds/ and the chart).",
    ),
    check: bool = typer.Option(False, "--check", help="Only check that the files are current."),
) -> None:
    """Generate the CustomResourceDefinitions from the pydantic models."""
    from pathlib import Path

    from enduro.api.crd import stale, write

    if check:
        outdated = [f"{folder}/{name}" for folder in out for name in stale(Path(folder))]
        for name in outdated:
            typer.echo(f"{name} is out of date: run `uv run enduro crds`", err=True)
        raise typer.Exit(1 if outdated else 0)
    for folder in out:
        for path in write(Path(folder)):
            typer.echo(f"wrote {path}")


@app.command("operator")
def operator_command(
    *,
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Namespace to serve (repeatable)."),
    ] = None,
    all_namespaces: bool = typer.Option(
        False, "--all-namespaces", "-A", help="Serve every namespace (cluster-wide)."
    ),
    liveness: str = typer.Option(
        "http://0.0.0.0:8080/healthz", "--liveness", help="Liveness endpoint URL ('' to disable)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    peering: str | None = typer.Option(
        None, "--peering", help="kopf peering object for replicas (exactly one acts)."
    ),
    priority: int | None = typer.Option(
        None, "--priority", help="Priority among replicas (random if unset)."
    ),
) -> None:
    """Run the Kubernetes operator (BenchmarkRuns, ScenarioRuns) with kopf."""
    from enduro.operator.main import run_operator

    try:
        run_operator(
            namespace or [],
            all_namespaces=all_namespaces,
            liveness_endpoint=liveness or None,
            verbose=verbose,
            peering=peering,
            priority=priority,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


dev_app = typer.Typer(help="Tools for trying Enduro out and developing it.", no_args_is_help=True)
app.add_typer(dev_app, name="dev")


@dev_app.command("cluster")
def dev_cluster(
    *,
    workdir: Path = typer.Option(
        Path(".cache/dev-cluster"), "--workdir", help="Kubeconfig, pod folders and volumes."
    ),
    port: int = typer.Option(0, "--port", help="API server port (0: any free port)."),
) -> None:
    """Run an emulated cluster with the operator on this machine (no Docker needed)."""
    from enduro.devcluster import DevClusterError, run

    try:
        run(workdir, port or None)
    except DevClusterError as error:
        raise typer.BadParameter(str(error)) from error


@app.command("scripted-model")
def scripted_model(
    *,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    script: Annotated[str, typer.Option(help="oracle, or broken (bug on attempt 1).")] = "oracle",
    benchmark: Annotated[
        Path | None, typer.Option(help="A YAML file with the generated Benchmark to answer for.")
    ] = None,
    scenario: Annotated[int, typer.Option(help="Which scenario of it (0-based).")] = 0,
    solutions: Annotated[
        Path | None, typer.Option(help="Or: a folder with one turn_<ttt>/ of files per turn.")
    ] = None,
    record: Annotated[
        Path | None, typer.Option(help="Append every request to this JSON-lines file.")
    ] = None,
    bedrock_model: Annotated[
        list[str] | None,
        typer.Option(help="A Bedrock model id to accept besides `scripted*` (repeatable)."),
    ] = None,
) -> None:
    """Serve a scripted model (OpenAI, Anthropic and Bedrock Converse APIs) that answers
    with each turn's solution."""
    from enduro.testing.scripted_model import ScriptedModel, create_app, solver_for

    if (benchmark is None) == (solutions is None):
        raise typer.BadParameter("give exactly one of --benchmark FILE or --solutions DIR")
    model = ScriptedModel(
        solver=solver_for(benchmark=benchmark, scenario=scenario, solutions=solutions),
        script=script,
        record_file=record,
    )
    create_app(model, tuple(bedrock_model or ())).run(host=host, port=port)


def _import_app() -> typer.Typer:
    from enduro.importers.cli import import_app

    return import_app


app.add_typer(_import_app(), name="import")


export_app = typer.Typer(help="Write a run in formats other tools read.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("harbor")
def export_harbor(
    run_dir: Annotated[Path, typer.Argument(help="A local run's directory (with report.json).")],
    out: Annotated[Path, typer.Argument(help="Where the Harbor job folder goes.")],
) -> None:
    """Write the run as a Harbor job folder: config.json, result.json, and one trial per
    attempt of every turn with its config.json, result.json, agent/trajectory.json (ATIF)
    and verifier/ (reward, CTRF)."""
    from enduro.exports.harbor import export_job

    trials = export_job(run_dir, out)
    failed = sum(t.failed for t in trials)
    typer.echo(f"{out}: {len(trials)} trial(s), {failed} with an exception")


scenario_app = typer.Typer(
    help="Bring your own agent, on this machine: start a scenario, score it, complete it.",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


def _external_run(action: Callable[[], ScenarioRunStatus]) -> ScenarioRunStatus:
    from enduro.runtime.external import ExternalRunError

    try:
        return action()
    except ExternalRunError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _echo_run(run_dir: Path, status: ScenarioRunStatus) -> None:
    scored = ", ".join(f"turn {t.turn}: {t.score}" for t in status.turns) or "none"
    typer.echo(f"{run_dir}: {status.phase.value}, turn {status.turn}, scored {scored}")
    if status.score is not None:
        typer.echo(f"score: {status.score}")
    if status.function_scores:
        last = ", ".join(f"{name} {score}" for name, score in status.function_scores.items())
        typer.echo(f"last turn by function: {last}")
    if status.message:
        typer.echo(status.message)


@scenario_app.command("start")
def scenario_start(
    file: Annotated[Path, typer.Argument(help="YAML with the Scenario (and its Scorers).")],
    scenario: Annotated[str, typer.Argument(help="The Scenario's metadata.name.")],
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default: runs/scenario-<SCENARIO>).")
    ] = None,
) -> None:
    """Prepare the scenario's workspace for your own agent and print where it is."""
    from enduro.api.scenariorun import ScenarioPhase
    from enduro.runtime.external import LocalExternalRun

    run_dir = out or Path("runs") / f"scenario-{scenario}"
    run = LocalExternalRun(run_dir)
    status = _external_run(lambda: LocalExternalRun.start(file, scenario, run_dir).status())
    _echo_run(run_dir, status)
    if status.phase is ScenarioPhase.RUNNING:
        typer.echo(f"workspace: {run.workspace.resolve()} (read TASK.md there)")
        typer.echo(f"then: enduro scenario score {run_dir}")


@scenario_app.command("score")
def scenario_score(
    run_dir: Annotated[Path, typer.Argument(help="The run folder `start` printed.")],
) -> None:
    """Score the current turn (the next turn's TASK.md follows, if there is one)."""
    from enduro.runtime.external import LocalExternalRun

    _echo_run(run_dir, _external_run(LocalExternalRun(run_dir).score))


@scenario_app.command("complete")
def scenario_complete(
    run_dir: Annotated[Path, typer.Argument(help="The run folder `start` printed.")],
) -> None:
    """End the run (turns not scored score 0)."""
    from enduro.runtime.external import LocalExternalRun

    _echo_run(run_dir, _external_run(LocalExternalRun(run_dir).complete))


runs_app = typer.Typer(
    help="Bring your own agent, on a cluster: ask a ScenarioRun for its score, complete or "
    "cancel it (spec fields the operator acts on).",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="scenario-runs")
Namespace = Annotated[str, typer.Option("--namespace", "-n", help="The run's namespace.")]
Kubeconfig = Annotated[
    str | None, typer.Option(help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config).")
]
Wait = Annotated[float, typer.Option(help="Seconds to wait for the score (0: do not wait).")]
EndWait = Annotated[float, typer.Option("--wait", help="Seconds to wait for the run to end.")]


def _on_cluster(namespace: str, kubeconfig: str | None, call: Callable[[Any], ScenarioRun]) -> None:
    from enduro.client import Enduro, EnduroError

    try:
        with Enduro.connect(namespace=namespace, kubeconfig=kubeconfig) as enduro:
            run = call(enduro.scenario_runs)
    except (EnduroError, TimeoutError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{run.name}: {run.state.value}, turn {run.turn}, score {run.score}")


@runs_app.command("score")
def scenario_runs_score(
    name: Annotated[str, typer.Argument(help="The ScenarioRun.")],
    namespace: Namespace = "default",
    kubeconfig: Kubeconfig = None,
    wait: Wait = 3600,
) -> None:
    """Score the current turn (`spec.score: true`), then wait for the score."""
    _on_cluster(
        namespace,
        kubeconfig,
        lambda runs: runs.score_and_await(name, timeout=wait) if wait else runs.score(name),
    )


@runs_app.command("complete")
def scenario_runs_complete(
    name: Annotated[str, typer.Argument(help="The ScenarioRun.")],
    namespace: Namespace = "default",
    kubeconfig: Kubeconfig = None,
    wait: EndWait = 600,
) -> None:
    """End the run and free its environment (`spec.complete: true`)."""
    _on_cluster(namespace, kubeconfig, lambda runs: runs.complete(name, timeout=wait))


@runs_app.command("cancel")
def scenario_runs_cancel(
    name: Annotated[str, typer.Argument(help="The ScenarioRun.")],
    namespace: Namespace = "default",
    kubeconfig: Kubeconfig = None,
    wait: EndWait = 600,
) -> None:
    """Cancel the run (`spec.cancel: true`)."""
    _on_cluster(namespace, kubeconfig, lambda runs: runs.cancel(name, timeout=wait))


benchmarks_app = typer.Typer(
    help="Benchmarks on a cluster: a namespace's, or the public catalogue.", no_args_is_help=True
)
app.add_typer(benchmarks_app, name="benchmarks")


@benchmarks_app.command("list")
def benchmarks_list(
    public: Annotated[
        bool, typer.Option(help='Only public ones (label enduro.dev/public: "true").')
    ] = False,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace", "-n", help="Only this namespace (default: default; --public: all)."
        ),
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")
    ] = False,
    limit: Annotated[
        int, typer.Option(min=1, help="Benchmarks per API request (it pages through all).")
    ] = 50,
    kubeconfig: Kubeconfig = None,
) -> None:
    """List Benchmarks: namespace, name, kind, scenarios, turns, public."""
    from enduro.client import Enduro, EnduroError

    everywhere = all_namespaces or (public and namespace is None)
    rows = [("NAMESPACE", "NAME", "KIND", "SCENARIOS", "TURNS", "PUBLIC")]
    try:
        with Enduro.connect(namespace=namespace or "default", kubeconfig=kubeconfig) as enduro:
            cursor = None
            while True:
                page = enduro.benchmarks.list(
                    public=public, limit=limit, cursor=cursor, all_namespaces=everywhere
                )
                rows += [
                    (b.namespace, b.name, b.kind, _dash(b.scenario_count), _dash(b.turns),
                     "yes" if b.public else "no")
                    for b in page.items
                ]  # fmt: skip
                if not page.has_more:
                    break
                cursor = page.next_cursor
    except EnduroError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if len(rows) == 1:
        typer.echo("No Benchmarks found.", err=True)
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _dash(value: int | None) -> str:
    return "-" if value is None else str(value)


workspace_app = typer.Typer(help="Workspaces of a run: checkpoints taken after each turn.")
app.add_typer(workspace_app, name="workspace")


@workspace_app.command("restore")
def workspace_restore(
    run: Annotated[str, typer.Argument(help="A run directory or s3://BUCKET/PREFIX/RUN.")],
    scenario: Annotated[int, typer.Argument(help="Scenario index (0-based).", min=0)],
    turn: Annotated[int, typer.Argument(help="Turn (1-based).", min=1)],
    directory: Annotated[Path, typer.Argument(help="New or empty directory to restore into.")],
    region: Annotated[str | None, typer.Option(help="Region of an s3:// run.")] = None,
) -> None:
    """Restore the workspace as the agent left it at the end of TURN (digest checked)."""
    from enduro.storage import StorageError, open_store
    from enduro.storage.checkpoints import restore

    try:
        digest = restore(open_store(run, region=region), f"scenario_{scenario}", turn, directory)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"restored scenario {scenario} turn {turn} into {directory} (sha256 {digest[:16]})")
