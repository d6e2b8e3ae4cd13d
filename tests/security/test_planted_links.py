"""Trusted steps read and write folders the agent (or, on Kubernetes, its server while
the runner works) can change: each test plants what a hostile agent would, a link to a
file only the trusted step can reach, a FIFO, a folder, and checks that nothing is
written or read through it (`enduro.untrusted`)."""

from __future__ import annotations

import functools
import http.server
import io
import os
import secrets
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.api.settings import FeedbackLevel
from enduro.artifacts import Artifacts, write_text_atomic
from enduro.steps.context import StepContext
from enduro.storage import LocalStore, sync
from enduro.storage.checkpoints import pack
from enduro.storage.sync import RunUploader
from enduro.testrunner.result import Outcome, TestCase, TestResult
from enduro.testrunner.runner import run_tests
from enduro.testrunner.server import NOT_A_LOG, log_tail
from enduro.workspace.prepare import prepare_workspace
from enduro.workspace.snapshot import snapshot

GENERATOR = GeneratorSpec(seed=2, scenarios=1, turns=3, changes_per_turn=2)
SECRET = "the ground truth only trusted steps may read"
WORKSPACE_FILES = ("SPEC.md", "CHANGES.md", "openapi.yaml", "FEEDBACK.md")


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file the trusted step can read and write and the agent must never reach."""
    path = tmp_path / "hidden" / "ground_truth.py"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def _failed_attempt(store: Artifacts, turn: int, attempt: int) -> None:
    case = TestCase(id="tests/test_a.py::test_a", outcome=Outcome.FAILED, message="boom")
    path = store.test_result(turn, attempt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TestResult.from_cases([case], server_log_tail="log").to_json())


def test_links_the_agent_plants_in_its_workspace_redirect_no_write_of_the_next_attempt(
    tmp_path: Path, secret: Path
) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    context = StepContext(
        generator=GENERATOR, scenario=0, turn=1, attempt=1, feedback_level=FeedbackLevel.DETAILED
    )
    prepare_workspace(context, ws, art)
    _failed_attempt(Artifacts(art), 1, 1)
    # The agent's attempt: every name the next preparation writes, and the temporary
    # file a write through a rename would use, is a link to the hidden file.
    for name in WORKSPACE_FILES:
        (ws / name).unlink(missing_ok=True)
        (ws / name).symlink_to(secret)
        (ws / f".{name}.tmp").symlink_to(secret)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.py").write_text("kept")
    for path in (ws / "tests").iterdir():
        path.unlink()
    (ws / "tests").rmdir()
    (ws / "tests").symlink_to(outside)

    prepare_workspace(context.model_copy(update={"attempt": 2}), ws, art)

    assert secret.read_text() == SECRET
    assert [p.name for p in outside.iterdir()] == ["keep.py"]
    for name in WORKSPACE_FILES:
        assert (ws / name).is_file() and not (ws / name).is_symlink(), name
        assert SECRET not in (ws / name).read_text()
    assert "test_a" in (ws / "FEEDBACK.md").read_text()
    assert (ws / "tests").is_dir() and not (ws / "tests").is_symlink()


def test_folders_and_fifos_the_agent_leaves_at_the_workspace_files_are_replaced(
    tmp_path: Path,
) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    context = StepContext(generator=GENERATOR, scenario=0, turn=1, attempt=1)
    (ws / "SPEC.md" / "deep").mkdir(parents=True)
    (ws / "SPEC.md" / "deep" / "notes.txt").write_text("x")
    os.mkfifo(ws / "CHANGES.md")
    (ws / "FEEDBACK.md").mkdir()  # attempt 1 removes the feedback
    os.mkfifo(ws / "tests")

    prepare_workspace(context, ws, art)

    assert (ws / "SPEC.md").is_file() and (ws / "CHANGES.md").is_file()
    assert not (ws / "FEEDBACK.md").exists()
    assert (ws / "tests").is_dir()


def test_a_temporary_file_is_never_opened_through_a_link_at_its_name(
    tmp_path: Path, secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["guessed", "fresh"])
    monkeypatch.setattr(secrets, "token_hex", lambda _: next(names))
    (tmp_path / ".SPEC.md.guessed.tmp").symlink_to(secret)

    write_text_atomic(tmp_path / "SPEC.md", "the spec")

    assert secret.read_text() == SECRET
    assert (tmp_path / "SPEC.md").read_text() == "the spec"


def _suite(tmp_path: Path) -> Path:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_up.py").write_text(
        "import os, urllib.request\n\n"
        "def test_health():\n"
        "    url = os.environ['BASE_URL'] + '/health'\n"
        "    assert urllib.request.urlopen(url).status == 200\n"
    )
    return suite


@pytest.fixture
def sidecar_server() -> Iterator[str]:
    """The agent's server as a pod's sidecar runs it: already up, beside the runner."""

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_server_log_the_server_replaced_by_a_link_is_not_read_into_the_agents_feedback(
    tmp_path: Path, secret: Path, sidecar_server: str
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "run.sh").write_text("python app.py\n")
    log = tmp_path / "server_logs" / "turn_001_attempt_1.log"
    log.parent.mkdir()
    log.symlink_to(secret)  # what the sidecar does to its log: remove it, link the name

    result = run_tests(_suite(tmp_path), workspace=ws, server_log=log, server_url=sidecar_server)

    assert result.passed == 1
    assert result.server_log_tail == NOT_A_LOG


def test_a_server_log_the_server_replaced_by_a_fifo_does_not_block_the_runner(
    tmp_path: Path,
) -> None:
    log = tmp_path / "turn_001_attempt_1.log"
    os.mkfifo(log)  # no one writes it: a runner that opens it waits for good
    assert _within(30, lambda: log_tail(log)) == NOT_A_LOG


def _flipper(path: Path, secret: Path, seconds: float) -> subprocess.Popen[bytes]:
    """The server beside the runner: turns ``path`` into a link to ``secret``, a FIFO and
    back into a small file, as fast as it can, for ``seconds``."""
    code = f"""
import os, time
path, secret, end = {str(path)!r}, {str(secret)!r}, time.monotonic() + {seconds}
spare = path + ".next"
while time.monotonic() < end:
    for make in (lambda p: os.symlink(secret, p), os.mkfifo, lambda p: open(p, "w").write("ok")):
        try:
            os.unlink(spare)
        except FileNotFoundError:
            pass
        make(spare)
        os.replace(spare, path)
"""
    return subprocess.Popen([sys.executable, "-c", code])


def _leaks(ws: Path, out: Path) -> list[str]:
    """Where the hidden file's content ended up in a snapshot and a checkpoint of ``ws``."""
    snapshot(ws, out)
    found = [f"snapshot: {p}" for p in out.rglob("*") if p.is_file() and SECRET in p.read_text()]
    with tarfile.open(fileobj=io.BytesIO(pack(ws)), mode="r:gz") as tar:
        for member in tar.getmembers():
            file = tar.extractfile(member) if member.isfile() else None
            if file is not None and SECRET.encode() in file.read():
                found.append(f"checkpoint: {member.name}")
    return found


def _within[T](seconds: float, func: Callable[[], T]) -> T:
    """``func()``, which must end within ``seconds`` (a FIFO opened blocks it for good)."""
    results: list[T] = []
    worker = threading.Thread(target=lambda: results.append(func()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert results, "blocked on a FIFO the server put in the workspace"
    return results[0]


def test_the_snapshot_and_the_checkpoint_never_copy_what_a_racing_server_links(
    tmp_path: Path, secret: Path
) -> None:
    ws = tmp_path / "ws"
    (ws / "pkg").mkdir(parents=True)
    (ws / "app.py").write_text("print('hi')\n")
    flipper = _flipper(ws / "pkg" / "data.txt", secret, seconds=3)
    leaked: list[str] = []
    rounds = 0
    try:
        time.sleep(0.2)  # the flipping has started
        while flipper.poll() is None:
            rounds += 1
            leaked += _within(30, functools.partial(_leaks, ws, tmp_path / "snapshot"))
    finally:
        flipper.kill()
    assert rounds > 10
    assert not leaked


def test_the_uploader_uploads_no_file_a_link_in_the_agents_folders_names(
    tmp_path: Path, secret: Path
) -> None:
    out, bucket = tmp_path / "out", tmp_path / "bucket"
    scenario = out / "scenario_0"
    logs = scenario / "agent_logs"
    logs.mkdir(parents=True)
    (logs / "turn_001_attempt_1.log").write_text("the agent's log")
    (logs / "environ.log").symlink_to(secret)
    (logs / "linked").symlink_to(secret.parent, target_is_directory=True)

    RunUploader(LocalStore(bucket), "run", out).scenario(scenario)

    uploaded = sorted(str(p.relative_to(bucket)) for p in bucket.rglob("*") if p.is_file())
    assert uploaded == ["run/scenario_0/agent_logs/turn_001_attempt_1.log"]


def test_a_sparse_terabyte_or_a_crowd_of_files_in_the_agents_folders_is_not_uploaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a cluster the agent's container writes its log folders: what it piles there is
    uploaded within caps, and the trusted steps' folders are not capped."""
    monkeypatch.setattr(sync, "UNTRUSTED_FILES", 3)
    out, bucket = tmp_path / "out", tmp_path / "bucket"
    scenario = out / "scenario_0"
    logs = scenario / "trajectory"
    logs.mkdir(parents=True)
    with (logs / "a-sparse.json").open("wb") as handle:
        handle.truncate(1 << 40)
    for i in range(5):
        (logs / f"crowd{i}.json").write_text("{}")
        (scenario / "test_results").mkdir(exist_ok=True)
        (scenario / "test_results" / f"turn_00{i}.json").write_text("{}")

    sync.RunUploader(LocalStore(bucket), "run", out).scenario(scenario)

    uploaded = sorted(p.name for p in bucket.rglob("*") if p.is_file())
    assert uploaded == [
        "crowd0.json", "crowd1.json", "crowd2.json", *(f"turn_00{i}.json" for i in range(5)),
    ]  # fmt: skip
