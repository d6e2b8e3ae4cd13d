"""Malformed run files: every one is refused with exit 2 before anything runs, with a
message that names the field (and the likely intended key for a misspelling)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from enduro.runtime.launch import run_file

QUICKSTART = (Path(__file__).parents[2] / "examples" / "quickstart.yaml").read_text()
RUN = "  name: quickstart\n"


def edit(old: str, new: str) -> str:
    assert old in QUICKSTART, old
    return QUICKSTART.replace(old, new)


CASES = {
    "name over 63 characters": (edit(RUN, f"  name: {'a' * 64}\n"), "metadata.name", "at most 63"),
    "capitals in a name": (edit(RUN, "  name: QuickStart\n"), "metadata.name", "lowercase"),
    "a relative path as a name": (edit(RUN, "  name: ../../x\n"), "metadata.name", "not a valid"),
    "an absolute path as a name": (edit(RUN, "  name: /tmp/x\n"), "metadata.name", "not a valid"),
    "snake_case key": (
        edit("attemptLimit: 2", "attempt_limit: 2"),
        "spec.attempt_limit",
        "did you mean `attemptLimit`?",
    ),
    "a string for an integer": (
        edit("parallelism: 2", 'parallelism: "1"'),
        "spec.parallelism",
        "valid integer",
    ),
    "a string for a boolean": (
        edit("feedbackLevel: detailed", 'feedbackLevel: detailed\n  suspend: "yes"'),
        "spec.suspend",
        "valid boolean",
    ),
    "a key given twice": (
        edit("parallelism: 2", "parallelism: 2\n  parallelism: 3"),
        "not valid YAML",
        "'parallelism' appears twice",
    ),
    "a seed of 2^70": (edit("seed: 1", f"seed: {2**70}"), "spec.generator.seed", "64-bit"),
    "cancel: true": (
        edit("parallelism: 2", "parallelism: 2\n  cancel: true"),
        "spec.cancel",
        "scores 0",
    ),
    "testSeconds: 1e20": (
        edit("testSeconds: 120", "testSeconds: 1e20"),
        "spec.timeouts.testSeconds",
        "valid integer",
    ),
    "testSeconds: 1.0e+20": (
        edit("testSeconds: 120", "testSeconds: 1.0e+20"),
        "spec.timeouts.testSeconds",
        "valid integer",
    ),
    "testSeconds beyond any limit": (
        edit("testSeconds: 120", "testSeconds: 100000000000"),
        "spec.timeouts.testSeconds",
        "less than or equal",
    ),
    "an unknown top-level key": (
        edit("spec:\n  benchmarkRef", "specs:\n  benchmarkRef"),
        "specs: unknown field",
        "did you mean `spec`?",
    ),
    "a misspelt key": (
        edit("parallelism: 2", "paralelism: 2"),
        "spec.paralelism: unknown field",
        "did you mean `parallelism`?",
    ),
    "a misspelt nested key": (
        edit("agentSeconds: 120", "agentSecond: 120"),
        "spec.timeouts.agentSecond: unknown field",
        "did you mean `agentSeconds`?",
    ),
    "a variable twice in env": (
        edit("  harness: oracle\n", "  harness: oracle\n  env: [{name: A, value: x}, {name: A}]\n"),
        "spec.env",
        "duplicate variable names: A",
    ),
    "env and secretEnv sharing a name": (
        edit(
            "  harness: oracle\n",
            "  harness: oracle\n  env: [{name: A, value: x}]\n"
            "  secretEnv: [{name: A, secretKeyRef: {name: s, key: k}}]\n",
        ),
        "spec",
        "env or secretEnv, not both",
    ),
    "scenario indices beyond the benchmark": (
        edit("parallelism: 2", "parallelism: 2\n  scenarios: [0, 5]"),
        "spec.scenarios",
        "the benchmark has 2 scenarios",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_malformed_file_exits_2_naming_the_field(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, field, reason = CASES[case]
    path = tmp_path / "run.yaml"
    path.write_text(text)
    assert run_file(path, tmp_path / "out", resume=False) == 2
    stderr = capsys.readouterr().err
    assert field in stderr and reason in stderr, stderr
    assert not (tmp_path / "out").exists()  # nothing ran


def test_a_binary_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run(
        ["enduro", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a text file" in proc.stderr and "Traceback" not in proc.stderr
