"""The pod executor runs pods the way the kubelet would, on local processes."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from cluster.cluster import EmulatedCluster, KubeClient
from cluster.kubelet import Canned, ContainerResult, Fault, PodExecutor

PODS = "v1/pods"


@pytest.fixture
def node(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "node"


def start(cluster: EmulatedCluster, node: pathlib.Path, **options: Any) -> PodExecutor:
    return cluster.start_executor(PodExecutor(cluster.emulator, node, **options))


def sh(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "command": ["sh", "-c", script], **extra}


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"restartPolicy": "Never", "containers": containers, **spec},
    }


def claim(kube: KubeClient, name: str = "data") -> None:
    kube.create("v1/persistentvolumeclaims", {"metadata": {"name": name}, "spec": {}})


def finished(kube: KubeClient, name: str, timeout: float = 20) -> dict[str, Any]:
    def phase() -> dict[str, Any] | None:
        status: dict[str, Any] = kube.get(PODS, name).get("status", {})
        return status if status.get("phase") in ("Succeeded", "Failed") else None

    return kube.wait_for(f"pod {name} to finish", phase, timeout=timeout)


def terminated(status: dict[str, Any], container: str, key: str = "containerStatuses") -> Any:
    [found] = [s for s in status.get(key, []) if s["name"] == container]
    return found["state"]["terminated"]


VOLUME = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]


def test_init_then_main_share_the_claim_through_sub_paths(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    claim(kube)
    mounts = [{"name": "data", "mountPath": "/workspace", "subPath": "workspace"}]
    init = sh("prepare", "echo spec > /workspace/SPEC.md", volumeMounts=mounts)
    main = sh(
        "agent",
        "cat /workspace/SPEC.md > /dev/termination-log; echo $(GREETING) $POD >> /workspace/out",
        volumeMounts=mounts,
        env=[
            {"name": "GREETING", "value": "hello"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
    )
    kube.create(PODS, pod("p1", [main], initContainers=[init], volumes=VOLUME))

    status = finished(kube, "p1")

    assert status["phase"] == "Succeeded"
    assert terminated(status, "prepare", "initContainerStatuses")["exitCode"] == 0
    assert terminated(status, "agent")["message"] == "spec\n"
    workspace = node / "pvc" / "default" / "data" / "workspace"
    assert (workspace / "out").read_text() == "hello p1\n"


def test_a_folder_holding_only_mounts_is_each_pods_own_not_the_nodes(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    """A process told the folder above its mounts (`--artifacts /artifacts`, mounts at
    `/artifacts/trajectory`) writes through it into its own pod's volume, as in a real
    pod; two pods at once never meet in a folder of the node's."""
    start(cluster, node)
    above = "/enduro-kubelet-test-artifacts"
    script = 'root="$1"; echo "$HOSTNAME" > "$root/trajectory/who" && ls "$root"'
    for name in ("p1", "p2"):
        claim(kube, f"data-{name}")
        mounts = [
            {"name": "data", "mountPath": f"{above}/{sub}", "subPath": f"artifacts/{sub}"}
            for sub in ("trajectory", "logs")
        ]
        main = {**sh("agent", script, volumeMounts=mounts), "args": ["sh", above]}
        volume = [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{name}"}}]
        kube.create(PODS, pod(name, [main], volumes=volume))

    for name in ("p1", "p2"):
        status = finished(kube, name)
        assert status["phase"] == "Succeeded", status
        artifacts = node / "pvc" / "default" / f"data-{name}" / "artifacts"
        assert (artifacts / "trajectory" / "who").read_text() == f"{name}\n"
    assert not pathlib.Path(above).exists()


def test_a_failing_main_container_fails_the_pod_with_its_exit_code_and_message(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    kube.create(PODS, pod("p1", [sh("main", "echo broken > /dev/termination-log; exit 3")]))
    status = finished(kube, "p1")
    assert status["phase"] == "Failed"
    assert terminated(status, "main") | {"startedAt": "", "finishedAt": ""} == {
        "exitCode": 3,
        "reason": "Error",
        "message": "broken\n",
        "startedAt": "",
        "finishedAt": "",
    }


def test_fallback_to_logs_on_error(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    main = sh("main", "echo from-the-log; exit 1", terminationMessagePolicy="FallbackToLogsOnError")
    kube.create(PODS, pod("p1", [main]))
    assert terminated(finished(kube, "p1"), "main")["message"] == "from-the-log"


def test_a_failing_init_container_stops_the_pod(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    marker = node / "main-ran"
    kube.create(
        PODS,
        pod("p1", [sh("main", f"touch {marker}")], initContainers=[sh("init", "exit 2")]),
    )
    status = finished(kube, "p1")
    assert status["phase"] == "Failed"
    assert terminated(status, "init", "initContainerStatuses")["exitCode"] == 2
    assert not marker.exists()


def test_a_native_sidecar_runs_beside_the_main_container_and_is_stopped_after_it(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    claim(kube)
    mounts = [{"name": "data", "mountPath": "/shared"}]
    server = sh(
        "server",
        "echo up > /shared/ready; exec sleep 60",
        restartPolicy="Always",
        volumeMounts=mounts,
    )
    runner = sh(
        "runner",
        "for i in $(seq 100); do [ -f /shared/ready ] && exit 0; sleep 0.1; done; exit 1",
        volumeMounts=mounts,
    )
    kube.create(PODS, pod("p1", [runner], initContainers=[server], volumes=VOLUME))

    status = finished(kube, "p1")

    assert status["phase"] == "Succeeded"
    assert terminated(status, "runner")["exitCode"] == 0
    assert terminated(status, "server", "initContainerStatuses")["exitCode"] == 143  # SIGTERM


def test_the_active_deadline_is_enforced(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    kube.create(PODS, pod("p1", [sh("main", "exec sleep 60")], activeDeadlineSeconds=1))
    status = finished(kube, "p1")
    assert (status["phase"], status["reason"]) == ("Failed", "DeadlineExceeded")


def test_a_pod_waits_for_its_claim(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    main = sh("main", "true", volumeMounts=[{"name": "data", "mountPath": "/d"}])
    kube.create(PODS, pod("p1", [main], volumes=VOLUME))

    def unschedulable() -> dict[str, Any] | None:
        conditions = kube.get(PODS, "p1").get("status", {}).get("conditions", [])
        return next((c for c in conditions if c.get("reason") == "Unschedulable"), None)

    condition = kube.wait_for("the Unschedulable condition", unschedulable)
    assert 'persistentvolumeclaim "data" not found' in condition["message"]
    claim(kube)
    assert finished(kube, "p1")["phase"] == "Succeeded"


def test_config_maps_are_mounted_as_files(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node)
    kube.create("v1/configmaps", {"metadata": {"name": "suite"}, "data": {"t.py": "x = 1\n"}})
    main = sh(
        "main",
        "cat /suite/t.py > /dev/termination-log",
        volumeMounts=[{"name": "suite", "mountPath": "/suite", "readOnly": True}],
    )
    volumes = [{"name": "suite", "configMap": {"name": "suite"}}]
    kube.create(PODS, pod("p1", [main], volumes=volumes))
    assert terminated(finished(kube, "p1"), "main")["message"] == "x = 1\n"


def test_deleting_a_running_pod_kills_its_processes(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    executor = start(cluster, node)
    marker, pid_file = node / "survived", node / "pid"
    script = f"echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; sleep 30; touch {marker}"
    kube.create(PODS, pod("p1", [sh("main", script)]))
    kube.wait_for("the pod to run", pid_file.exists)
    pid = int(pid_file.read_text())
    kube.delete(PODS, "p1")
    kube.wait_for("the executor to forget the pod", lambda: not executor.tasks)
    # Event-driven: the shell that would touch the marker is gone (or a reaped zombie).
    kube.wait_for("the pod's process to be killed", lambda: not _alive(pid))
    assert not marker.exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return not fh.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return False


def test_fault_unschedulable(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node, faults=[Fault("unschedulable", pods="p1")])
    kube.create(PODS, pod("p1", [sh("main", "true")]))

    def reason() -> str | None:
        status = kube.get(PODS, "p1")["status"]
        return next((c.get("reason") for c in status.get("conditions", [])), None)

    assert kube.wait_for("Unschedulable", reason) == "Unschedulable"
    assert kube.get(PODS, "p1")["status"]["phase"] == "Pending"


def test_fault_image_pull(cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path) -> None:
    start(cluster, node, faults=[Fault("image_pull")])
    kube.create(PODS, pod("p1", [sh("main", "true")]))

    def waiting() -> str | None:
        statuses = kube.get(PODS, "p1")["status"].get("containerStatuses", [])
        reason = statuses[0]["state"]["waiting"]["reason"] if statuses else None
        return reason if reason == "ImagePullBackOff" else None

    kube.wait_for("ImagePullBackOff", waiting)
    assert kube.get(PODS, "p1")["status"]["phase"] == "Pending"


def test_fault_eviction_only_hits_as_many_pods_as_asked(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node, faults=[Fault("evict", pods="p*", times=1)])
    kube.create(PODS, pod("p1", [sh("main", "exec sleep 30")]))
    evicted = finished(kube, "p1")
    assert (evicted["phase"], evicted["reason"]) == ("Failed", "Evicted")
    kube.create(PODS, pod("p2", [sh("main", "true")]))
    assert finished(kube, "p2")["phase"] == "Succeeded"


def test_canned_mode_completes_pods_with_the_given_results(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    def results(pod: dict[str, Any]) -> dict[str, ContainerResult]:
        return {"test": ContainerResult(0, '{"passed": 3}'), "other": ContainerResult(1)}

    executor = start(cluster, node, canned=Canned(results))
    kube.create(PODS, pod("p1", [sh("test", "exit 9")]))
    status = finished(kube, "p1")
    assert status["phase"] == "Succeeded"
    assert terminated(status, "test")["message"] == '{"passed": 3}'
    assert executor.started == ["p1"] and "p1" in executor.finished_at


def test_each_pod_gets_its_own_port_in_place_of_an_isolated_one(
    cluster: EmulatedCluster, kube: KubeClient, node: pathlib.Path
) -> None:
    start(cluster, node, isolate_ports=(8000,))
    main = sh(
        "main",
        'echo "$PORT $0" > /dev/termination-log',
        args=["http://127.0.0.1:8000/health"],
        env=[{"name": "PORT", "value": "8000"}],
    )
    for name in ("p1", "p2"):
        kube.create(PODS, pod(name, [main]))
    seen = [terminated(finished(kube, n), "main")["message"].split() for n in ("p1", "p2")]
    ports = [port for port, _ in seen]
    assert "8000" not in ports and ports[0] != ports[1]
    for port, url in seen:
        assert url == f"http://127.0.0.1:{port}/health"
