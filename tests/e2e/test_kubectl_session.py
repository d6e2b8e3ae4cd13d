"""A user's session with the real `kubectl` 1.37 against the emulated cluster.

The operator runs for real (kopf, in a thread), pods run as local processes (the process
kubelet), and each assertion is on what the user reads in kubectl's output: the
quickstart applied client-side and server-side, `get enduro`, the printer columns of
`get br -o wide`, `wait --for=condition=Succeeded`, `describe`, events, pods, volumes,
the server's error for an invalid spec, and `delete` cascading to pods and claims.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from cluster.cluster import EmulatedCluster
from cluster.enduro_cluster import EnduroCluster
from enduro.devtools import kubebins

pytestmark = pytest.mark.e2e

REPO = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart.yaml"

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


def kubectl_for(kubeconfig: pathlib.Path, home: pathlib.Path) -> Kubectl:
    binary = str(kubebins.kubectl())
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}

    def kubectl(
        *args: str, ok: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [binary, *args], capture_output=True, text=True, env=env, input=stdin, timeout=660,
            check=False,
        )  # fmt: skip
        if ok:
            assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stderr}"
        return done

    return kubectl


@pytest.fixture
def enduro(tmp_path: pathlib.Path) -> Iterator[tuple[EnduroCluster, Kubectl]]:
    """The playground of `enduro dev cluster`: API server, process kubelet, operator."""
    with EnduroCluster(tmp_path, isolate_ports=(8000,)) as cluster:
        cluster.start_operator()
        yield cluster, kubectl_for(cluster.cluster.kubeconfig, tmp_path)


def rows(output: str) -> list[list[str]]:
    """kubectl's table output as cells (columns are separated by two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.strip().splitlines()]


def column(output: str, name: str) -> list[str]:
    table = rows(output)
    index = table[0].index(name)
    return [row[index] for row in table[1:]]


@pytest.mark.slow
def test_quickstart_applied_client_side_runs_to_succeeded_and_deletes_in_cascade(
    enduro: tuple[EnduroCluster, Kubectl],
) -> None:
    _, kubectl = enduro

    applied = kubectl("apply", "-f", str(QUICKSTART))
    assert applied.stdout.splitlines() == [
        "benchmark.enduro.dev/rest-quickstart created",
        "agent.enduro.dev/oracle created",
        "benchmarkrun.enduro.dev/quickstart created",
    ]
    assert applied.stderr == ""

    everything = kubectl("get", "enduro").stdout
    assert "agent.enduro.dev/oracle" in everything
    assert "benchmark.enduro.dev/rest-quickstart" in everything
    assert "benchmarkrun.enduro.dev/quickstart" in everything

    waited = kubectl("wait", "br/quickstart", "--for=condition=Succeeded", "--timeout=600s")
    assert waited.stdout.strip() == "benchmarkrun.enduro.dev/quickstart condition met"

    wide = kubectl("get", "br", "-o", "wide").stdout
    assert rows(wide)[0] == [
        "NAME", "PHASE", "PROGRESS", "SUCCEEDED", "SCORE", "SUCCESS", "STAMINA", "COST", "AGE"
    ]  # fmt: skip
    assert rows(wide)[1][:6] == ["quickstart", "Succeeded", "2/2", "2", "1", "1"]
    narrow = kubectl("get", "br").stdout
    assert rows(narrow)[0] == ["NAME", "PHASE", "PROGRESS", "SCORE", "SUCCESS", "AGE"]

    scenarios = kubectl("get", "sr")
    assert scenarios.stderr == ""  # no "sr also matches scenarioruns/status" warning
    assert column(scenarios.stdout, "PHASE") == ["Succeeded", "Succeeded"]
    assert column(scenarios.stdout, "PROGRESS") == ["5/5", "5/5"]

    described = kubectl("describe", "sr", "quickstart-s000").stdout
    assert "Kind:         ScenarioRun" in described
    assert re.search(r"Phase:\s+Succeeded", described)
    events_section = described.split("Events:")[1]
    assert "ScenarioSucceeded" in events_section and "kopf" in events_section

    events = kubectl("get", "events").stdout
    assert rows(events)[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "scenariorun/quickstart-s000" in events and "ScenarioCreated" in events

    pods = kubectl("get", "pods").stdout
    assert rows(pods)[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    statuses = dict(zip(column(pods, "NAME"), column(pods, "STATUS"), strict=True))
    # 2 scenarios x 5 turns x (agent + test); a re-run step's reason is in its run's
    # status, read only when the count is off.
    assert len(statuses) == 2 * 5 * 2, (
        f"pods {statuses}; scenario runs "
        + kubectl("get", "sr", "-o", "jsonpath={.items[*].status}").stdout
    )
    assert statuses["quickstart-s000-t001-a1-agent"] == "Completed"
    assert set(statuses.values()) == {"Completed"}

    logs = kubectl("logs", "quickstart-s000-t001-a1-agent")
    assert logs.stderr == (
        'Defaulted container "agent" out of: agent, prepare-workspace (init), warm-suite (init)\n'
    )
    assert '"failure":"none"' in logs.stdout.splitlines()[-1]  # the agent's outcome

    claims = kubectl("get", "pvc").stdout
    assert column(claims, "NAME") == ["quickstart-s000-workspace", "quickstart-s001-workspace"]
    assert column(claims, "STATUS") == ["Bound", "Bound"]

    deleted = kubectl("delete", "br", "quickstart")
    assert deleted.stdout.startswith('benchmarkrun.enduro.dev "quickstart" deleted')
    gone = kubectl("get", "sr,pods,pvc")
    assert gone.stdout == "" and "No resources found in default namespace." in gone.stderr


@pytest.mark.slow
def test_quickstart_applied_server_side_runs_to_succeeded(
    enduro: tuple[EnduroCluster, Kubectl],
) -> None:
    _, kubectl = enduro

    applied = kubectl("apply", "--server-side", "-f", str(QUICKSTART))
    assert applied.stdout.splitlines() == [
        "benchmark.enduro.dev/rest-quickstart serverside-applied",
        "agent.enduro.dev/oracle serverside-applied",
        "benchmarkrun.enduro.dev/quickstart serverside-applied",
    ]
    waited = kubectl("wait", "br/quickstart", "--for=condition=Succeeded", "--timeout=600s")
    assert "condition met" in waited.stdout

    managers = kubectl(
        "get", "br", "quickstart", "--show-managed-fields", "-o",
        "jsonpath={range .metadata.managedFields[*]}{.manager}:{.operation}{'\\n'}{end}",
    ).stdout.split()  # fmt: skip
    assert "kubectl:Apply" in managers
    assert any(m.endswith(":Update") and not m.startswith("kubectl") for m in managers)

    # Applying again changes nothing; changing the spec is applied by the server.
    again = kubectl("apply", "--server-side", "-f", str(QUICKSTART))
    assert "benchmarkrun.enduro.dev/quickstart serverside-applied" in again.stdout
    edited = QUICKSTART.read_text().replace("feedbackLevel: detailed", "feedbackLevel: minimal")
    kubectl("apply", "--server-side", "-f", "-", stdin=edited)
    level = kubectl("get", "br", "quickstart", "-o", "jsonpath={.spec.feedbackLevel}").stdout
    assert level == "minimal"


# -- what the API server refuses (no operator needed) ------------------------------------


@pytest.fixture
def plain(tmp_path: pathlib.Path) -> Iterator[Kubectl]:
    with EmulatedCluster(tmp_path) as cluster:
        yield kubectl_for(cluster.kubeconfig, tmp_path)


RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata:
  name: quickstart
spec:
  benchmarkRef: {name: rest-quickstart}
  agentRef: {name: oracle}
"""


def test_an_invalid_spec_is_refused_with_the_servers_message(plain: Kubectl) -> None:
    typo = plain("apply", "-f", "-", stdin=RUN + "  parallelism: two\n", ok=False)
    assert typo.returncode == 1
    assert typo.stderr.strip() == (
        'The BenchmarkRun "quickstart" is invalid: spec.parallelism: Invalid value: "two": '
        'spec.parallelism in body must be of type integer: "two"'
    )

    unknown = plain("apply", "-f", "-", stdin=RUN + "  colour: blue\n", ok=False)
    assert 'strict decoding error: unknown field "spec.colour"' in unknown.stderr

    too_long = RUN.replace("name: quickstart", f"name: quickstart\n  labels: {{team: {'x' * 64}}}")
    label = plain("apply", "-f", "-", stdin=too_long, ok=False)
    assert "must be no more than 63 characters" in label.stderr

    server_side = plain(
        "apply", "--server-side", "-f", "-", stdin=RUN + "  parallelism: 0\n", ok=False
    )
    assert "spec.parallelism in body should be greater than or equal to 1" in server_side.stderr

    assert "No resources found" in plain("get", "br").stderr


def test_a_cel_rule_of_the_crd_refuses_an_inlined_api_key(plain: Kubectl) -> None:
    agent = """\
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata:
  name: leaky
spec:
  harness: oracle
  env:
  - {name: OPENAI_API_KEY, value: sk-123}
"""
    refused = plain("apply", "-f", "-", stdin=agent, ok=False)
    assert refused.stderr.startswith('The Agent "leaky" is invalid: spec.env[0]: Invalid value')


def test_short_names_and_core_kinds_resolve_like_on_a_cluster(plain: Kubectl) -> None:
    resources = plain("api-resources", "--api-group=enduro.dev").stdout
    assert rows(resources)[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert "scenarioruns/status" not in resources
    assert plain("get", "sr").stderr == "No resources found in default namespace.\n"
    for kind in ("events", "pods", "pvc"):
        assert plain("get", kind).stderr == "No resources found in default namespace.\n"
    assert "benchmarkruns.enduro.dev" in plain("get", "crd").stdout


# -- enduro dev cluster ----------------------------------------------------------------


def test_enduro_dev_cluster_prints_how_to_use_it_and_stops_on_ctrl_c(
    tmp_path: pathlib.Path,
) -> None:
    enduro_bin = pathlib.Path(sys.executable).with_name("enduro")
    process = subprocess.Popen(
        [str(enduro_bin), "dev", "cluster", "--workdir", str(tmp_path / "dev")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            lines.append(process.stdout.readline())
        said = "".join(lines)
        assert f"export KUBECONFIG={tmp_path / 'dev' / 'kubeconfig'}" in said, said
        assert "kubectl apply -f examples/quickstart.yaml" in said

        kubectl = kubectl_for(tmp_path / "dev" / "kubeconfig", tmp_path)
        crds = column(kubectl("get", "crd").stdout, "NAME")
        assert crds == [
            "agents.enduro.dev", "benchmarkruns.enduro.dev", "benchmarks.enduro.dev",
            "scenarioruns.enduro.dev", "scenarios.enduro.dev", "scorers.enduro.dev",
        ]  # fmt: skip

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, rest
        assert rest.strip().endswith("Stopped.")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
