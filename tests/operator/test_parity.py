"""Parity: the same YAML through `enduro run` and through the operator on the emulated
cluster gives the same answers: per-turn results (passed, total, attempts, reason),
phases, messages, stamina, scores and the run's aggregates.

The runtimes differ where they must (locally the test runner starts the agent's server
in a sandbox of its own; on a cluster the server is the pod's sidecar) and agree on
everything the engine decides."""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from flaky_seeds import flaky_seed

from cluster.enduro_cluster import BENCHMARK_RUNS, PVCS, SCENARIO_RUNS, EnduroCluster
from enduro.runtime.launch import run_file
from storage.s3_fixtures import REGION, MotoServer, start_moto

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Start = Callable[..., EnduroCluster]
TERMINAL = ("Succeeded", "Failed", "Canceled")

# A server that answers everything with `{}` and dies after a few requests: a crash in
# the middle of the suite, at the same request in both runtimes.
CRASHING_SERVER = textwrap.dedent(
    """\
    cat > app.py <<'PY'
    import http.server, os
    seen = [0]
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            if self.path != "/health":
                seen[0] += 1
                if seen[0] > 6:
                    os._exit(1)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer
        def log_message(self, *args):
            pass
    http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
    PY
    printf 'exec "${PYTHON:-python}" app.py\\n' > run.sh
    """
)


def documents(
    agent: dict[str, Any], turns: int = 2, attempts: int = 1, **run: Any
) -> list[dict[str, Any]]:
    api = "enduro.dev/v1alpha1"
    timeouts = {"agentSeconds": 60, "testSeconds": 60, "serverStartSeconds": 15}
    timeouts.update(run.pop("timeouts", {}))
    return [
        {
            "apiVersion": api,
            "kind": "Benchmark",
            "metadata": {"name": "bench"},
            "spec": {"generator": {"seed": 1, "scenarios": 1, "turns": turns}},
        },
        {"apiVersion": api, "kind": "Agent", "metadata": {"name": "agent"}, "spec": agent},
        {
            "apiVersion": api,
            "kind": "BenchmarkRun",
            "metadata": {"name": "run"},
            "spec": {
                "benchmarkRef": {"name": "bench"},
                "agentRef": {"name": "agent"},
                "parallelism": 1,
                "attemptLimit": attempts,
                "timeouts": timeouts,
                **run,
            },
        },
    ]


def explicit_documents(agent: dict[str, Any], attempts: int = 2) -> list[dict[str, Any]]:
    """An explicit benchmark of two small Scenarios, one of two turns, whose contracts mix
    command and bashScript scorers with weights (the null agent scores some of them)."""
    api = "enduro.dev/v1alpha1"
    label = {"parity": "explicit"}

    def command(check: str) -> dict[str, Any]:
        return {"command": {"command": f"python3 -c 'import calc; assert {check}'"}}

    def bash(expression: str, expected: str) -> dict[str, Any]:
        script = (
            f"got=$(python3 -c 'import calc; print({expression})')\n"
            f'[ "$got" = "{expected}" ] && echo score=1 || echo score=0.25\n'
        )
        return {"bashScript": {"script": script}}

    one_turn = {
        "inputContext": {"problemStatement": "Make add(a, b) in calc.py return the sum."},
        "environment": {"files": {"calc.py": "def add(a, b):\n    return a - b\n"}},
        "scoringContract": {
            "functions": [
                {"name": "adds", "weight": 3, "scorer": command("calc.add(2, 3) == 5")},
                {"name": "zero", "weight": 1, "scorer": command("calc.add(0, 0) == 0")},
                {"name": "negatives", "weight": 2, "scorer": bash("calc.add(-2, -3)", "-5")},
            ]
        },
        "referenceOutput": {"commands": ["sed -i 's/a - b/a + b/' calc.py"]},
    }
    solution = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
    two_turns = {
        "inputContext": {"problemStatement": "A calculator, in two steps."},
        "environment": {"workingDir": "src", "setupCommands": ["touch calc.py"]},
        "turns": [
            {
                "inputContext": {"problemStatement": "Write add(a, b) in calc.py."},
                "scoringContract": {
                    "functions": [
                        {"name": "adds", "weight": 1, "scorer": command("calc.add(1, 1) == 2")}
                    ]
                },
                "referenceOutput": {"commands": [f"printf '{solution}' > calc.py"]},
            },
            {
                "inputContext": {"problemStatement": "Add mul(a, b)."},
                "scoringContract": {
                    "passScore": 0.5,
                    "functions": [
                        {"name": "muls", "weight": 1, "scorer": bash("calc.mul(2, 4)", "8")},
                        {
                            "name": "still-adds",
                            "weight": 1,
                            "scorer": command("calc.add(2, 2) == 4"),
                        },
                    ],
                },
            },
        ],
    }
    return [
        {"apiVersion": api, "kind": "Scenario", "metadata": {"name": "add", "labels": label},
         "spec": one_turn},
        {"apiVersion": api, "kind": "Scenario", "metadata": {"name": "calc", "labels": label},
         "spec": two_turns},
        {"apiVersion": api, "kind": "Benchmark", "metadata": {"name": "bench"},
         "spec": {"scenarios": {"matchLabels": label}}},
        {"apiVersion": api, "kind": "Agent", "metadata": {"name": "agent"}, "spec": agent},
        {
            "apiVersion": api,
            "kind": "BenchmarkRun",
            "metadata": {"name": "run"},
            "spec": {
                "benchmarkRef": {"name": "bench"},
                "agentRef": {"name": "agent"},
                "parallelism": 2,
                "attemptLimit": attempts,
                "timeouts": {"agentSeconds": 60},
            },
        },
    ]  # fmt: skip


def failing_setup() -> list[dict[str, Any]]:
    """A setup command that fails: an infrastructure failure naming the command, its
    status and output, the same in both runtimes."""
    docs = explicit_documents({"harness": "null"})
    docs[0]["spec"]["environment"]["setupCommands"] = ["echo missing tool >&2; exit 3"]
    docs[-1]["spec"]["maxInfraRetries"] = 0
    return docs


CASES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "oracle": lambda: documents({"harness": "oracle"}),
    "null": lambda: documents({"harness": "null"}, turns=1, attempts=2),
    "flaky with a fixed seed": lambda: documents(
        {"harness": "flaky", "baseline": {"breakProbability": 0.5, "seed": flaky_seed()}},
        attempts=2,
    ),
    "an agent that times out": lambda: documents(
        {"harness": "command", "command": ["sh", "-c", "sleep 60"]},
        turns=1,
        timeouts={"agentSeconds": 2},
    ),
    "a server that crashes mid-suite": lambda: documents(
        {"harness": "command", "command": ["sh", "-c", CRASHING_SERVER]}, turns=1
    ),
    "stopOnFailure": lambda: documents({"harness": "null"}, turns=3, stopOnFailure=True),
    "scenarioSeconds that expires": lambda: documents(
        {"harness": "oracle"}, turns=3, timeouts={"scenarioSeconds": 1}
    ),
    # The oracle applies the reference outputs; turn 2 of `calc` has none, so it stays
    # with turn 1's solution, which already has mul: a pass at passScore 0.5.
    "explicit scenarios: oracle": lambda: explicit_documents({"harness": "oracle"}),
    "explicit scenarios: null": lambda: explicit_documents({"harness": "null"}),
    "explicit scenarios: a failing setup command": failing_setup,
}


def answers(run: dict[str, Any], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """What both runtimes must agree on."""
    keys = ("turn", "attempts", "passed", "total", "score", "passedTurn", "reason")
    keys += ("agentFailures", "infraRetries", "tokensIn", "tokensOut", "costUsd")
    return {
        "run": {k: run.get(k) for k in ("averageScore", "successRate", "meanStamina")},
        "scenarios": [
            {
                "phase": s["phase"],
                "message": s.get("message") or "",
                "score": s.get("score"),
                "stamina": s.get("stamina", 0),
                "turnsPassed": s.get("turnsPassed", 0),
                "turns": [{k: t.get(k) for k in keys} for t in s.get("turns", [])],
            }
            for s in scenarios
        ],
    }


def run_locally(docs: list[dict[str, Any]], tmp: pathlib.Path) -> dict[str, Any]:
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    out = tmp / "local"
    code = run_file(path, out, resume=False)
    assert code in (0, 1), code
    report = json.loads((out / "report.json").read_text())
    states = [
        json.loads((out / f"scenario_{r['scenario']}" / "state.json").read_text())
        for r in report["results"]
    ]
    aggregate = {
        "averageScore": report["average_score"],
        "successRate": report["success_rate"],
        "meanStamina": report["mean_stamina"],
    }
    return answers(aggregate, states)


def run_on_cluster(docs: list[dict[str, Any]], start: Start) -> tuple[dict[str, Any], list[str]]:
    """The cluster's answers, and its Warning events (why a step was re-run, if one was)."""
    cluster = start(isolate_ports=(8000,))
    cluster.apply(*docs)

    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = cluster.kube.get(BENCHMARK_RUNS, "run")
        return run if run.get("status", {}).get("phase") in TERMINAL else None

    run = cluster.kube.wait_for("the run to end", ended, timeout=240)
    scenarios = sorted(cluster.kube.list(SCENARIO_RUNS), key=lambda s: s["metadata"]["name"])
    warnings = [
        f"{e['involvedObject']['name']}: {e['reason']}: {e['message']}"
        for e in cluster.kube.list("v1/events")
        if e.get("type") == "Warning"
    ]
    return answers(run["status"], [s["status"] for s in scenarios]), warnings


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_enduro_run_and_the_operator_give_the_same_answers(
    case: str, tmp_path: pathlib.Path, start_cluster: Start
) -> None:
    docs = CASES[case]()
    local = run_locally(docs, tmp_path)
    cluster, warnings = run_on_cluster(docs, start_cluster)
    seen = {"local": local, "cluster": cluster, "cluster's warnings": warnings}
    assert local == cluster, json.dumps(seen, indent=1)
    assert local["scenarios"], "nothing ran"


def test_a_suspended_run_starts_nothing_in_either_runtime(
    tmp_path: pathlib.Path, start_cluster: Start, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = documents({"harness": "oracle"}, suspend=True)
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    assert run_file(path, tmp_path / "local", resume=False) == 0
    assert "suspended" in capsys.readouterr().err
    assert not (tmp_path / "local" / "scenario_0").exists()

    cluster = start_cluster(isolate_ports=(8000,))
    cluster.apply(*docs)

    def suspended() -> dict[str, Any] | None:
        run: dict[str, Any] = cluster.kube.get(BENCHMARK_RUNS, "run")
        return run if run.get("status", {}).get("phase") == "Suspended" else None

    cluster.kube.wait_for("the run to be Suspended", suspended, timeout=30)
    assert cluster.kube.list(SCENARIO_RUNS) == []


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = start_moto()
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(10)


def lost_in_turn_2(status: dict[str, Any]) -> bool:
    """Turn 1 is scored (its checkpoint is written) and turn 2 runs: when the workspace
    goes in both runtimes."""
    return status.get("turn") == 2 and len(status.get("turns", [])) == 1


def after_a_loss(run: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
    """What both runtimes must agree on after a lost workspace: the answers, the restores
    and the condition saying from where it resumed."""
    restores = [c for c in scenario["conditions"] if c["type"] == "WorkspaceRestored"]
    assert len(restores) == 1, f"no WorkspaceRestored condition in {json.dumps(scenario)}"
    [restored] = restores
    return {
        **answers(run, [scenario]),
        "workspaceRestores": scenario.get("workspaceRestores", 0),
        "restored": [restored["status"], restored["reason"]],
    }


def lose_workspace_locally(
    docs: list[dict[str, Any]], tmp: pathlib.Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`enduro run`, stopped in turn 2 (Ctrl-C), its workspace folder emptied (the volume
    is lost), then `enduro run --resume`. Returns the answers and `status.checkpoint`."""
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    out = tmp / "local"
    cmd = ["enduro", "run", str(path), "--out", str(out)]
    state = out / "scenario_0" / "state.json"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (state.is_file() and lost_in_turn_2(json.loads(state.read_text() or "{}"))):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"the local run never reached turn 2: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    stopped_at = json.loads(state.read_text())
    shutil.rmtree(out / "scenario_0" / "workspace")
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((out / "report.json").read_text())
    aggregate = {
        "averageScore": report["average_score"],
        "successRate": report["success_rate"],
        "meanStamina": report["mean_stamina"],
    }
    status = json.loads(state.read_text())
    # What says why, should the loss go unseen.
    status |= {"stoppedAt": stopped_at, "resumedOutput": resumed.stderr}
    return after_a_loss(aggregate, status), status.get("checkpoint") or {}


def lose_workspace_on_cluster(
    docs: list[dict[str, Any]], start: Start, secret: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator's run, the scenario's PVC deleted in turn 2."""
    cluster = start(isolate_ports=(8000,))
    cluster.kube.create("v1/secrets", secret)
    cluster.apply(*docs)

    def in_turn_2() -> bool:
        found = cluster.kube.list(SCENARIO_RUNS)
        return bool(found) and lost_in_turn_2(found[0].get("status") or {})

    cluster.kube.wait_for("turn 2 to start", in_turn_2, timeout=120)
    cluster.kube.delete(PVCS, "run-s000-workspace")
    run = cluster.wait_for_run("run", timeout=300)
    [scenario] = cluster.kube.list(SCENARIO_RUNS)
    status = scenario["status"]
    return after_a_loss(run["status"], status), status.get("checkpoint") or {}


def test_a_lost_workspace_resumes_the_same_way_in_both_runtimes(
    tmp_path: pathlib.Path,
    start_cluster: Start,
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workspace goes in turn 2, once turn 1 is scored: on the cluster its PVC is
    deleted, locally the run is stopped and resumed with an empty workspace folder. The
    instant differs (the cluster may lose it in turn 2's agent or test step, the local run
    while any of its steps runs), so the comparison is on what the engine decides either
    way: turn 2 starts again from attempt 1 as one infrastructure retry, from turn 1's
    checkpoint, and every turn scores as in an undisturbed run. Both runs keep their
    artifacts in S3 (moto; each under its own prefix), and each `status.checkpoint` names
    the last turn and the digest of its tarball in the bucket (the workspaces may differ
    between the runtimes, so the digests are not compared with each other)."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    bucket = "enduro-parity"
    moto.client().create_bucket(  # type: ignore[attr-defined]
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )

    def docs(prefix: str) -> list[dict[str, Any]]:
        s3 = {"bucket": bucket, "prefix": prefix, "region": REGION, "endpoint": moto.endpoint,
              "credentialsSecret": {"name": "s3-keys"}}  # fmt: skip
        return documents({"harness": "oracle"}, turns=3, artifacts={"s3": s3})

    local, local_checkpoint = lose_workspace_locally(docs("local"), tmp_path)
    cluster, cluster_checkpoint = lose_workspace_on_cluster(
        docs("cluster"), start_cluster, aws_secret(moto)
    )

    assert local == cluster, json.dumps({"local": local, "cluster": cluster}, indent=1)
    [scenario] = local["scenarios"]
    assert scenario["phase"] == "Succeeded" and local["run"]["averageScore"] == 1.0
    assert [t["attempts"] for t in scenario["turns"]] == [1, 1, 1]  # no attempt spent
    assert [t["infraRetries"] for t in scenario["turns"]] == [None, 1, None]
    assert local["workspaceRestores"] == 1
    assert local["restored"] == ["True", "ResumedFromCheckpoint"]
    for prefix, checkpoint in (("local", local_checkpoint), ("cluster", cluster_checkpoint)):
        key = f"{prefix}/run/scenario_0/checkpoints/turn_003.tar.gz"
        tarball = moto.client().get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
        assert checkpoint == {"turn": 3, "sha256": hashlib.sha256(tarball).hexdigest()}, prefix


def aws_secret(moto: MotoServer) -> dict[str, Any]:
    """The Secret `credentialsSecret` names on the cluster (locally the environment's
    keys are used)."""
    data = {"AWS_ACCESS_KEY_ID": moto.access_key, "AWS_SECRET_ACCESS_KEY": moto.secret_key}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s3-keys"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
