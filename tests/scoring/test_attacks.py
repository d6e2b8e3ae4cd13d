"""A hostile agent's code, imported or run by a scorer, cannot change its score.

Each test plants code in the workspace that a scorer then runs, the way a test-based
scorer imports the agent's module, and checks that the attack got nowhere.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from scoring_session import bash, function, only, scenario, score

from enduro.api.scenario import ExplicitScenario
from enduro.artifacts import Artifacts
from enduro.sandbox.policy import Isolation
from enduro.scoring.result import FunctionState
from enduro.steps.context import StepContext

RUN_AGENT_CODE = "python -c 'import evil'\n"  # what a scorer importing agent code does


def _plant(workspace: Path, code: str) -> None:
    (workspace / "calc" / "evil.py").write_text(textwrap.dedent(code))


def test_agent_code_cannot_write_to_the_workspace_while_it_is_scored(workspace: Path) -> None:
    _plant(
        workspace,
        """
        import os
        for attempt in (lambda: open("lib.py", "w").write("def add(a, b): return 3\\n"),
                        lambda: open("planted.txt", "w").write("x"),
                        lambda: os.remove("lib.py")):
            try:
                attempt()
                print("changed the workspace")
            except OSError as exc:
                print("refused:", exc.strerror)
        """,
    )
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    result = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=1")), workspace))
    assert result.output.count("refused: Read-only file system") == 3, result.output
    assert {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()} == before


SEARCH_FOR_SECRETS = """
import glob, os, pathlib
found = []
for pattern in ("/proc/*/cmdline", "/proc/*/environ", "/tmp/**", "/root/**", "/work/**"):
    for name in glob.glob(pattern, recursive=True):
        try:
            if "SECRET-OF-" + "TURN-2" in pathlib.Path(name).read_text(errors="replace"):
                found.append(name)
        except OSError:
            pass
print("found:", found)
print("environment:", sorted(os.environ))
try:
    print("artifacts:", os.listdir(os.path.join(os.getcwd(), "..", "..", "artifacts")))
except OSError:
    print("artifacts: unreachable")
"""


def test_agent_code_finds_no_hidden_tests_no_context_and_no_artifacts(
    workspace: Path, tmp_path: Path
) -> None:
    """Scored through `enduro score`, whose command line carries the whole scenario
    (turn 2's hidden tests included): none of it is in reach of the agent's code."""
    _plant(workspace, SEARCH_FOR_SECRETS)
    hidden = {"tests/test_next.py": "# SECRET-OF-TURN-2\ndef test_it():\n    pass\n"}
    turn = {"inputContext": {"problemStatement": "Next."}}
    run_it = bash(RUN_AGENT_CODE + "echo score=1")
    hidden_tests = function("hidden", {"testBased": {"files": hidden, "command": "true"}})
    definition = ExplicitScenario.model_validate(
        {
            "name": "calc-add",
            "spec": {
                "inputContext": {"problemStatement": "Make add() add."},
                "environment": {"workingDir": "calc"},
                "turns": [
                    {**turn, "scoringContract": {"functions": [run_it]}},
                    {**turn, "scoringContract": {"functions": [hidden_tests]}},
                ],
            },
        }
    )
    artifacts = tmp_path / "artifacts"
    context = StepContext(
        definition=definition, scenario=0, turn=1, attempt=1, isolation=Isolation.BWRAP
    )
    done = subprocess.run(
        [sys.executable, "-m", "enduro", "score", "--context", context.to_json(),
         "--workspace", str(workspace), "--artifacts", str(artifacts)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ENDURO_SECRET_TOKEN": "SECRET-OF-TURN-2"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    full = json.loads(Artifacts(artifacts).test_result(1, 1).read_text())
    output = full["functions"][0]["output"]
    assert "found: []" in output, output
    assert "ENDURO_SECRET_TOKEN" not in output  # the step's environment stays outside
    assert "artifacts: unreachable" in output


def test_agent_code_sees_neither_the_checkout_nor_what_is_beside_the_workspace(
    workspace: Path,
) -> None:
    (workspace.parent / "artifacts").mkdir()  # where a local run keeps results and logs
    checkout = Path(__file__).resolve().parents[2]
    _plant(
        workspace,
        f"""
        import os
        try:
            print(os.listdir({str(checkout)!r}))
        except OSError:
            print("no checkout")
        print("beside the workspace:", os.listdir({str(workspace.parent)!r}))
        try:
            import enduro
            print("imported enduro")
        except ImportError:
            print("no enduro")
        """,
    )
    output = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=1")), workspace)).output
    assert output.split("\n")[:3] == [
        "no checkout",
        "beside the workspace: ['workspace']",
        "no enduro",
    ], output


def test_agent_code_has_no_network(workspace: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    _plant(
        workspace,
        f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("reached the host")
        except OSError:
            print("no network")
        """,
    )
    with listener:
        output = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=1")), workspace)).output
    assert output.startswith("no network"), output


def test_an_early_fake_score_line_loses_to_the_scripts_own(workspace: Path) -> None:
    _plant(workspace, "print('score=1')\n")
    result = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=0.2")), workspace))
    assert result.score == 0.2
    assert result.output == "score=1\nscore=0.2\n"


def test_a_background_process_printing_after_the_scorer_exits_is_not_heard(
    workspace: Path,
) -> None:
    _plant(
        workspace,
        """
        import subprocess
        # Its own session, out of the scorer's process group: only the sandbox's PID
        # namespace stops it.
        subprocess.Popen(["sh", "-c", "sleep 1; echo score=1"], start_new_session=True)
        """,
    )
    started = time.monotonic()
    result = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=0.2")), workspace))
    assert result.score == 0.2, result.output
    assert time.monotonic() - started < 5


def test_a_scorer_that_hangs_is_stopped_at_its_timeout(workspace: Path) -> None:
    _plant(workspace, "import time\ntime.sleep(3600)\n")
    started = time.monotonic()
    result = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=1", timeout=2)), workspace))
    assert (result.state, result.score) == (FunctionState.ERROR, 0.0)
    assert result.reason == "timed out after 2 s"
    assert time.monotonic() - started < 15


@pytest.mark.slow
def test_a_scorer_printing_100_mb_keeps_64_kib_and_its_score(workspace: Path) -> None:
    _plant(
        workspace,
        """
        import sys
        line = "x" * 1023 + "\\n"
        for _ in range(100 * 1024):
            sys.stdout.write(line)
        """,
    )
    result = only(score(scenario(bash(RUN_AGENT_CODE + "echo score=0.5")), workspace))
    assert result.score == 0.5
    assert len(result.output.encode()) <= 64 * 1024
    assert result.output.startswith("[... cut: only the last")
    assert result.output.endswith("score=0.5\n")


def test_a_junit_report_linked_to_a_file_outside_the_sandbox_is_not_read(
    workspace: Path, tmp_path: Path
) -> None:
    """The scorer's folder is writable inside; what a link there names is resolved by the
    trusted side, which can see more than the sandbox could."""
    passing = tmp_path / "all-passed.xml"  # a file only the trusted side can see
    passing.write_text('<testsuite><testcase name="everything"/></testsuite>')
    _plant(
        workspace,
        f"""
        import os
        os.symlink({str(passing)!r}, os.path.join(os.environ["ENDURO_SCORER_DIR"], "junit.xml"))
        """,
    )
    tests = {"files": {"t.py": ""}, "command": RUN_AGENT_CODE, "junitXml": "junit.xml"}
    result = only(score(scenario(function("tests", {"testBased": tests})), workspace))
    assert (result.state, result.score) == (FunctionState.ERROR, 0.0)
    assert result.reason.startswith("no JUnit report at $ENDURO_SCORER_DIR/junit.xml")
