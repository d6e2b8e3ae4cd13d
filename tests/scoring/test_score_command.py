"""`enduro score`: the scoring step of an explicit scenario, from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scoring_session import bash, function, scenario

from enduro.artifacts import Artifacts
from enduro.engine.results import TestSummary, summary_problem
from enduro.sandbox.policy import Isolation
from enduro.steps.context import StepContext


def test_enduro_score_writes_the_full_result_and_prints_a_trusted_summary(
    workspace: Path, tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    definition = scenario(
        function("has-lib", {"command": {"command": "test -f lib.py"}}, weight=3),
        bash("echo score=0", weight=1),
        pass_score=0.75,
    )
    context = StepContext(
        definition=definition, scenario=0, turn=1, attempt=2, isolation=Isolation.BWRAP
    )
    artifacts, summary_file = tmp_path / "artifacts", tmp_path / "summary.json"
    done = subprocess.run(
        [
            sys.executable, "-m", "enduro", "score",
            "--context", context.to_json(),
            "--workspace", str(workspace),
            "--artifacts", str(artifacts),
            "--summary-file", str(summary_file),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = TestSummary.model_validate_json(summary_file.read_text())
    assert done.stdout.strip() == summary_file.read_text()
    assert (summary.score, summary.all_passed) == (0.75, True)
    assert (summary.passed, summary.failed, summary.total) == (1, 1, 2)
    assert summary.failing == ["script"]
    store = Artifacts(artifacts)
    full = store.test_result(1, 2).read_bytes()
    assert summary_problem(summary, full) == ""
    assert json.loads(full)["functions"][0]["name"] == "has-lib"
    assert (store.agent_code(1, 2) / "calc" / "lib.py").is_file()  # the workspace snapshot
    report = conforms("ctrf", store.test_result_ctrf(1, 2))["results"]
    assert [(t["name"], t["status"]) for t in report["tests"]] == [
        ("has-lib", "passed"),
        ("script", "failed"),
    ]
    assert report["tests"][0]["extra"] == {"score": 1.0, "weight": 0.75}
    assert report["extra"] == {"contractScore": 0.75, "passScore": 0.75}
