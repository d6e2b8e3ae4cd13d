"""Running an attempt: env, redaction, process group, records, and every bad ending."""

from __future__ import annotations

import http.server
import json
import os
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from enduro.agents import atif
from enduro.agents.harnesses.base import (
    CliPackage,
    Command,
    Harness,
    HarnessConfig,
    HarnessReport,
    ModelEndpoint,
    ProcessResult,
)
from enduro.agents.harnesses.runner import AttemptFiles, child_env, run_attempt
from enduro.engine.results import FailureClass

SECRET = "sk-test-0123456789"

# A stand-in CLI: behaves as told by its first argument.
FAKE_CLI = r"""
import json, os, subprocess, sys, time
mode = sys.argv[1]
if mode == "ok":
    print("using key", os.environ["OPENAI_API_KEY"])
    with open(sys.argv[2], "w") as f:
        json.dump({"steps": 4, "tokens": [100, 20], "key": os.environ["OPENAI_API_KEY"]}, f)
    open("edited.txt", "w").write("done")
elif mode == "fail":
    print("Traceback ...", file=sys.stderr)
    print("RuntimeError: model said no", file=sys.stderr)
    sys.exit(3)
elif mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(child.pid, flush=True)
    time.sleep(60)
elif mode == "leave":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(child.pid, flush=True)
elif mode == "garbage":
    sys.stdout.buffer.write(bytes(range(256)))
elif mode == "refused":
    print("openai.APIConnectionError: Connection refused", file=sys.stderr)
    sys.exit(1)
"""


class FakeHarness(Harness):
    name = "fake"
    package = CliPackage("pypi", "fake-cli", "1.0", "fake")
    credentials: ClassVar[dict[str, tuple[str, ...]]] = {"openai": ("OPENAI_API_KEY",)}

    def __init__(self, mode: str, executable: str = sys.executable) -> None:
        self.mode = mode
        self.executable = executable

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        native = scratch / "native.json"
        return Command(
            argv=(self.executable, str(scratch / "cli.py"), self.mode, str(native)),
            cwd=workspace,
            env={"FAKE_MODE": self.mode},
            native_logs=(native,),
            files={scratch / "cli.py": FAKE_CLI},
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        data = json.loads(result.native["native.json"])  # KeyError on garbage: must not escape
        return HarnessReport(
            steps=data["steps"],
            tokens_in=data["tokens"][0],
            tokens_out=data["tokens"][1],
            exit_status="done",
            trajectory=[atif.Step(step_id=1, source="agent", message=f"key {data['key']}")],
        )


CONFIG = HarnessConfig(
    harness="fake", model=ModelEndpoint("openai", "gpt-x"), secret_env=("OPENAI_API_KEY",)
)


def _run(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    harness: Harness,
    *,
    timeout: float = 60,
    config: HarnessConfig = CONFIG,
    **env: str,
):
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    files = AttemptFiles(
        log=tmp_path / "A/agent_logs/turn_001_attempt_1.log",
        trajectory=tmp_path / "A/trajectory/turn_001_attempt_1.json",
    )
    parent = {"PATH": os.environ["PATH"], "OPENAI_API_KEY": SECRET, **env}
    result = run_attempt(
        harness,
        config,
        workspace=workspace,
        prompt=f"# Turn 1, attempt 1\nnever print {SECRET}",
        scratch=tmp_path / "scratch",
        files=files,
        timeout_seconds=timeout,
        parent_env=parent,
    )
    return result, files, workspace


def _everything_written(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_successful_attempt_reports_parsed_numbers_and_writes_records(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    result, files, workspace = _run(tmp_path, FakeHarness("ok"))
    outcome = result.outcome
    assert (outcome.failure, outcome.exit_code, outcome.reason) == (
        FailureClass.NONE,
        0,
        "completed: done",
    )
    assert (outcome.steps, outcome.tokens_in, outcome.tokens_out) == (4, 100, 20)
    assert (workspace / "edited.txt").read_text() == "done"
    conforms("atif", files.trajectory)  # Harbor's own model reads it
    trajectory = atif.read(files.trajectory)
    assert trajectory.agent.name == "fake"
    assert [s.source for s in trajectory.steps] == ["user", "agent"]
    assert trajectory.steps[1].model_name == "gpt-x"
    assert trajectory.final_metrics is not None
    assert trajectory.final_metrics.total_prompt_tokens == 100
    assert (files.native_dir / "native.json").is_file()
    assert "using key" in files.log.read_text()


def test_secret_values_never_reach_any_record(tmp_path: Path) -> None:
    result, _, _ = _run(tmp_path, FakeHarness("ok"))
    written = _everything_written(tmp_path / "A")
    assert "using key ***" in written
    assert SECRET not in written
    assert SECRET not in result.outcome.model_dump_json()
    assert SECRET not in atif.to_json(result.trajectory)


def test_child_env_is_allow_listed_and_home_is_private(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="fake",
        model=ModelEndpoint("openai", "m"),
        env={"TZ": "UTC"},
        secret_env=("OPENAI_API_KEY",),
    )
    parent = {
        "PATH": "/bin",
        "OPENAI_API_KEY": "k",
        "AWS_SECRET_ACCESS_KEY": "other",
        "HOME": "/root",
    }
    assert child_env(config, parent, tmp_path) == {
        "PATH": "/bin",
        "TZ": "UTC",
        "OPENAI_API_KEY": "k",
        "HOME": str(tmp_path),
    }


def test_non_zero_exit_is_an_agent_failure_with_the_error_line(tmp_path: Path) -> None:
    outcome = _run(tmp_path, FakeHarness("fail"))[0].outcome
    assert (outcome.failure, outcome.exit_code) == (FailureClass.AGENT, 3)
    assert outcome.reason == "exited with code 3: RuntimeError: model said no"


@pytest.mark.slow
def test_a_hanging_harness_is_killed_with_its_children(tmp_path: Path) -> None:
    result, files, _ = _run(tmp_path, FakeHarness("hang"), timeout=2)
    assert (result.outcome.failure, result.outcome.exit_code) == (FailureClass.AGENT, -9)
    assert result.outcome.reason.startswith("timeout: the harness was stopped after")
    child_pid = int(files.log.read_text().split("--- stdout ---\n")[1].split()[0])
    # The signal reaches the grandchild asynchronously: give it a moment to die.
    deadline = time.monotonic() + 10
    while _running(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child_pid)


def test_processes_the_agent_leaves_behind_do_not_outlive_the_attempt(tmp_path: Path) -> None:
    result, files, _ = _run(tmp_path, FakeHarness("leave"))
    child_pid = int(files.log.read_text().split("--- stdout ---\n")[1].split()[0])
    deadline = time.monotonic() + 10
    while _running(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child_pid)
    assert result.outcome.exit_code == 0


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait for a reaper in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_garbage_output_gives_a_clear_reason_not_a_crash(tmp_path: Path) -> None:
    outcome = _run(tmp_path, FakeHarness("garbage"))[0].outcome
    assert outcome.failure is FailureClass.AGENT
    assert outcome.reason == (
        "the harness reported an error: could not parse the harness output: KeyError"
    )


def at(base_url: str) -> HarnessConfig:
    return replace(CONFIG, model=ModelEndpoint("openai", "gpt-x", base_url))


def test_an_unreachable_model_endpoint_the_step_cannot_reach_either_is_infrastructure(
    tmp_path: Path,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    outcome = _run(tmp_path, FakeHarness("refused"), config=at(closed))[0].outcome
    assert outcome.failure is FailureClass.INFRASTRUCTURE
    assert outcome.reason == (
        "cannot reach the model endpoint: openai.APIConnectionError: Connection refused"
    )


def test_a_cli_that_blames_an_endpoint_the_step_reaches_gets_no_free_retry(
    tmp_path: Path,
) -> None:
    """A hostile CLI prints a connection error to have its attempt re-run at no cost: the
    step asks the endpoint itself, which answers, so the attempt is the agent's."""
    with socketserver.TCPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        outcome = _run(tmp_path, FakeHarness("refused"), config=at(url))[0].outcome
        server.shutdown()
    assert outcome.failure is FailureClass.AGENT
    assert outcome.reason == (
        "the harness said it cannot reach the model endpoint, but this step reaches it: "
        "openai.APIConnectionError: Connection refused"
    )


def test_cli_not_installed_is_infrastructure_and_says_what_to_install(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    result, files, _ = _run(tmp_path, FakeHarness("ok", executable="no-such-cli-xyz"))
    outcome = result.outcome
    assert outcome.failure is FailureClass.INFRASTRUCTURE
    assert outcome.exit_code == 127
    assert outcome.reason == (
        "harness CLI 'no-such-cli-xyz' is not installed (not on PATH): "
        "install pypi package fake-cli==1.0"
    )
    conforms("atif", files.trajectory)  # a failed attempt's trajectory is valid too


def test_missing_credentials_are_infrastructure_and_nothing_runs(tmp_path: Path) -> None:
    result, _, workspace = _run(tmp_path, FakeHarness("ok"), OPENAI_API_KEY="")
    assert result.outcome.failure is FailureClass.INFRASTRUCTURE
    assert "missing credentials" in result.outcome.reason
    assert not (workspace / "edited.txt").exists()


# A hostile CLI: everything the runner reads of its scratch folder after it exits is
# made a link to a file the trusted runner can read (the ground truth, a key), a FIFO, or
# a sparse file of nearly the CLI's whole file-size cap.
PLANTING_CLI = r"""
import os, sys
scratch, truth = os.path.dirname(os.path.abspath(__file__)), sys.argv[1]
print("planting")
for name in ("stdout.log", "stderr.log", "native.json"):
    path = os.path.join(scratch, name)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(truth, path)
os.makedirs(os.path.join(scratch, "home"), exist_ok=True)
os.symlink(os.path.dirname(truth), os.path.join(scratch, "home", "sessions"))
os.mkfifo(os.path.join(scratch, "fifo.json"))
with open(os.path.join(scratch, "big.json"), "wb") as f:
    f.truncate(1024 * 1024 * 1024 - 1)
"""


class PlantingHarness(FakeHarness):
    def __init__(self, truth: Path) -> None:
        super().__init__("plant")
        self.truth = truth

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        return Command(
            argv=(self.executable, str(scratch / "cli.py"), str(self.truth)),
            cwd=workspace,
            native_logs=tuple(scratch / name for name in ("native.json", "fifo.json", "big.json")),
            native_globs=("home/sessions/*",),
            files={scratch / "cli.py": PLANTING_CLI},
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        return HarnessReport(exit_status=f"kept {sorted(result.native)}")


def test_links_fifos_and_sparse_files_the_cli_plants_give_the_runner_nothing(
    tmp_path: Path,
) -> None:
    truth = tmp_path / "ground-truth" / "app.py"
    truth.parent.mkdir()
    truth.write_text("SECRET_GROUND_TRUTH = 42\n")
    result, files, _ = _run(tmp_path, PlantingHarness(truth))
    assert result.outcome.failure is FailureClass.NONE, result.outcome.reason
    assert result.outcome.reason == "completed: kept ['big.json']"
    written = _everything_written(tmp_path / "A")
    assert "planting" in written  # the CLI's real output, whatever it did to a log
    assert "SECRET_GROUND_TRUTH" not in written + result.outcome.model_dump_json()
    kept = (files.native_dir / "big.json").stat().st_size
    assert kept < 9 * 1024 * 1024  # cut at the log cap, not a gigabyte read and written
