"""The `enduro` image, built and run: what the chart and the step pods assume of it holds.

`images/build.sh --base local` builds it with buildah on a Debian base made with mmdebstrap
(no registry needed; both are installed first when missing and we are root). Then, from
the image's own root filesystem (`buildah mount`), never from this checkout:

* the operator runs as the chart's Deployment says (its args, env, uid 10001, read-only
  root, an emptyDir on /tmp) against the emulated cluster, answers its liveness probe,
  and drives `examples/quickstart.yaml` to Succeeded (the step pods run as processes, by
  the emulated kubelet);
* one test step's pod, as the operator built it, runs again the way a node would run it:
  the agent's server as a sidecar and `enduro test-runner` as the main container, with
  the pod's command, env, volume mounts (subPaths, the workspace read-only), uid 1000 and
  fsGroup, a read-only root, in one network namespace, and scores what the emulated
  kubelet's run scored.

The base root filesystem (.cache/images) and the wheelhouse (images/wheelhouse) are
cached, and buildah reuses its layers, so a re-run rebuilds only what changed. Timings are
printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from container import (
    Container,
    ImageConfig,
    Mount,
    container_command,
    from_pod,
    fs_group,
    pod_command,
    stop_container,
)

from cluster.enduro_cluster import EnduroCluster
from enduro.devtools import kubebins

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart.yaml"
TAG = "test"
IMAGE = f"localhost/enduro:{TAG}"
STEP_UID = 1000  # enduro.operator.pods.RUN_AS
TOOLS = {"buildah": "buildah", "mmdebstrap": "mmdebstrap"}


@pytest.fixture(scope="module")
def say(pytestconfig: pytest.Config) -> Iterator[Any]:
    """Print past pytest's capture (timings belong in CI's log even when all passes)."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n[enduro image] {message}", file=sys.stderr, flush=True)

    yield say


@contextlib.contextmanager
def timed(say: Any, what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    say(f"{what}: {time.monotonic() - start:.1f} s")


def ensure_tools(say: Any) -> None:
    missing = [package for tool, package in TOOLS.items() if not shutil.which(tool)]
    if not missing:
        return
    if not shutil.which("apt-get"):
        pytest.fail(
            f"needs {', '.join(missing)}: install them (Debian: apt-get install "
            f"{' '.join(missing)}); there is no apt-get here to do it",
            pytrace=False,
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with timed(say, f"apt-get install {' '.join(missing)}"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def image(say: Any) -> Iterator[tuple[pathlib.Path, ImageConfig]]:
    """The built image's root filesystem (a buildah working container, mounted) and config."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.fail(
            "building an image and running its root filesystem needs root on Linux: run "
            "this test as root (CI does), or deselect it with -m 'not slow'",
            pytrace=False,
        )
    ensure_tools(say)
    env = {**os.environ, "BUILDER": "buildah", "UV_PYTHON_DOWNLOADS": "never"}
    with timed(say, "images/build.sh --base local enduro (base, wheelhouse, build)"):
        built = subprocess.run(
            [str(REPO / "images" / "build.sh"), "--base", "local", "--tag", TAG, "enduro"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert built.returncode == 0, f"images/build.sh failed:\n{built.stdout}\n{built.stderr}"
    config = ImageConfig.from_inspect(
        json.loads(run("buildah", "inspect", "--type", "image", IMAGE))
    )
    working = run("buildah", "from", "--pull-never", IMAGE)
    try:
        yield pathlib.Path(run("buildah", "mount", working)), config
    finally:
        subprocess.run(["buildah", "umount", working], check=False, capture_output=True)
        subprocess.run(["buildah", "rm", working], check=False, capture_output=True)


def chart_operator_pod(health_port: int, metrics_port: int) -> dict[str, Any]:
    """The operator's pod as the chart renders it, watching the `default` namespace (on
    free ports: it shares this host's network)."""
    rendered = subprocess.run(
        [
            str(kubebins.helm()), "template", "enduro", str(REPO / "charts" / "enduro"),
            "--namespace", "enduro-system",
            "--set", "operator.scope=namespaced",
            "--set", "operator.watchNamespaces={default}",
            "--set", f"operator.healthPort={health_port}",
            "--set", f"metrics.port={metrics_port}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    deployment = next(
        doc for doc in yaml.safe_load_all(rendered) if doc and doc["kind"] == "Deployment"
    )
    template = deployment["spec"]["template"]
    return {
        "metadata": {"name": "enduro-7d9f-x2x4q", "namespace": "enduro-system"},
        "spec": template["spec"],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_image_is_what_the_chart_and_the_step_pods_assume(
    image: tuple[pathlib.Path, ImageConfig],
) -> None:
    rootfs, config = image
    # The chart passes `operator ...` as args, step pods set their whole command.
    assert config.entrypoint == ["enduro"]
    assert config.cmd == ["operator"]
    assert config.user == "10001:10001"  # numeric: runAsNonRoot is checkable
    assert config.env["PATH"].split(":")[0] == "/opt/enduro/bin"
    assert config.env["PYTHONDONTWRITEBYTECODE"] == "1"  # a read-only root filesystem
    # `enduro` resolves from PATH to the environment's entry point, runnable by any uid.
    entry = rootfs / "opt" / "enduro" / "bin" / "enduro"
    assert entry.stat().st_mode & stat.S_IXOTH
    interpreter = entry.read_text().splitlines()[0].removeprefix("#!")
    assert (rootfs / interpreter.lstrip("/")).exists(), f"{interpreter} is not in the image"
    assert (rootfs / "bin" / "sh").exists()  # agent steps and servers run under `sh -c`
    assert (rootfs / "tmp").is_dir()  # the emptyDir's mount point
    # Step pods run as uid 1000, which owns nothing here: all must be readable by others,
    # nothing writable by them, no set-id bits.
    unreadable, writable, set_id = [], [], []
    for path in (rootfs / "opt" / "enduro").rglob("*"):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
            unreadable.append(path)
        if mode & stat.S_IWOTH:
            writable.append(path)
        if mode & (stat.S_ISUID | stat.S_ISGID):
            set_id.append(path)
    assert not unreadable, f"not readable by the step pods' uid: {unreadable[:5]}"
    assert not writable, f"writable by anyone: {writable[:5]}"
    assert not set_id, f"set-id files: {set_id[:5]}"
    # No bytecode left to write at run time: every module was compiled at build time.
    site = next((rootfs / "opt" / "enduro" / "lib").glob("python3*/site-packages"))
    missing = [
        p
        for p in (site / "enduro").rglob("*.py")
        if not list(p.parent.glob(f"__pycache__/{p.stem}.*.pyc"))
    ]
    assert not missing, f"not compiled at build time: {missing[:5]}"
    # As a step pod's container: uid 1000 (no account, so HOME=/), read-only root.
    version = Container(
        rootfs, ["enduro", "--version"], {**config.env, "HOME": "/"}, STEP_UID, STEP_UID,
        scratch=("/tmp",),
    )  # fmt: skip
    done = subprocess.run(container_command(version), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "enduro 0.1.0"


def test_the_operator_from_the_image_runs_the_quickstart_and_a_test_step_reruns_in_it(
    image: tuple[pathlib.Path, ImageConfig], tmp_path: pathlib.Path, say: Any
) -> None:
    rootfs, config = image
    health = free_port()
    pod = chart_operator_pod(health, free_port())
    operator = pod["spec"]["containers"][0]
    assert pod["spec"]["securityContext"]["runAsUser"] == 10001
    assert operator["securityContext"]["readOnlyRootFilesystem"] is True
    log_path = tmp_path / "operator.log"
    (tmp_path / "cluster").mkdir()
    with EnduroCluster(tmp_path / "cluster", isolate_ports=(8000,)) as cluster:
        # In a cluster the service account's token is mounted; here, the kubeconfig.
        kube = tmp_path / "kube"
        kube.mkdir()
        shutil.copy(cluster.cluster.kubeconfig, kube / "config")
        (kube / "config").chmod(0o644)
        container = from_pod(
            rootfs, config, pod, operator, {},
            extra_mounts=(Mount(kube, "/etc/enduro-kube", read_only=True),),
            extra_env={"KUBECONFIG": "/etc/enduro-kube/config"},
        )  # fmt: skip
        assert container.argv[:2] == ["enduro", "operator"]  # the entry point + the chart's args
        assert "--namespace=default" in container.argv
        start = time.monotonic()
        with log_path.open("wb") as log:
            process = subprocess.Popen(container_command(container), stdout=log, stderr=log)
        try:
            healthy = wait_until(lambda: probe(f"http://127.0.0.1:{health}/healthz"), 60)
            assert healthy, f"no answer on /healthz:\n{log_path.read_text()[-3000:]}"
            say(f"operator from the image live: {time.monotonic() - start:.1f} s")
            cluster.apply(*(doc for doc in yaml.safe_load_all(QUICKSTART.read_text()) if doc))
            with timed(say, "quickstart to Succeeded (operator from the image)"):
                try:
                    benchmark_run = cluster.wait_for_run("quickstart", timeout=600)
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{log_path.read_text()[-5000:]}") from exc
        finally:
            stop_container(process)
        assert benchmark_run["status"]["phase"] == "Succeeded"
        text = log_path.read_text()
        assert "Traceback" not in text, text[-5000:]
        assert "Permission denied" not in text and "Read-only file system" not in text, text

        step = cluster.kube.get("v1/pods", "quickstart-s000-t005-a1-test")
        node = tmp_path / "cluster" / "node" / "pvc" / "default"
        with timed(say, "a test step's pod rerun in the image"):
            summary, output = rerun_test_pod(rootfs, config, step, node, tmp_path / "rerun")
    recorded = json.loads(terminated(step, "test-runner")["message"])
    assert (summary["passed"], summary["total"]) == (recorded["passed"], recorded["total"])
    assert summary["passed"] == summary["total"] > 0, output


def rerun_test_pod(
    rootfs: pathlib.Path,
    config: ImageConfig,
    pod: dict[str, Any],
    claims: pathlib.Path,
    work: pathlib.Path,
) -> tuple[dict[str, Any], str]:
    """Run the test step's pod again as a node would, on a copy of its claim; return the
    summary its test runner wrote to the termination log, and what it printed."""
    spec = pod["spec"]
    (claim,) = (v for v in spec["volumes"] if "persistentVolumeClaim" in v)
    folder = work / "claim"
    shutil.copytree(claims / claim["persistentVolumeClaim"]["claimName"], folder, symlinks=True)
    fs_group(folder, spec["securityContext"]["fsGroup"])
    volumes = {claim["name"]: folder}
    # The sidecar's image is the agent's (the baseline image: this image's Python and
    # Enduro, plus git), so it runs here too.
    sidecars = [c for c in spec["initContainers"] if c.get("restartPolicy") == "Always"]
    assert [c["name"] for c in sidecars] == ["server"]
    (main,) = spec["containers"]
    assert main["name"] == "test-runner" and main["command"][:2] == ["enduro", "test-runner"]
    termination = work / "termination-log"
    termination.write_text("")
    termination.chmod(0o666)  # the kubelet's file, written by the container's uid
    containers = [
        from_pod(rootfs, config, pod, c, volumes, termination_log=work / f"{c['name']}.log")
        for c in sidecars
    ]
    for c in sidecars:
        (work / f"{c['name']}.log").write_text("")
    runner = from_pod(rootfs, config, pod, main, volumes, termination_log=termination)
    assert runner.uid == STEP_UID and runner.read_only_root
    assert any(m.target == "/workspace" and m.read_only for m in runner.mounts)
    done = subprocess.run(
        pod_command(runner, containers), capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"the test runner failed in the image:\n{output[-5000:]}"
    summary: dict[str, Any] = json.loads(termination.read_text())
    return summary, output


def terminated(pod: dict[str, Any], name: str) -> dict[str, Any]:
    (status,) = (s for s in pod["status"]["containerStatuses"] if s["name"] == name)
    state: dict[str, Any] = status["state"]["terminated"]
    return state


def probe(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
