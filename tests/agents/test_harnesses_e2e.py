"""Real harness CLIs, driven by the scripted model, through `enduro run`, end to end.

The CLIs are the real ones from PyPI, installed once into `.cache/harnesses/` by
`enduro.devtools.harnessbins`; only the language model is a test double. A run that
cannot install them fails (it is not skipped): the registry is part of the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from enduro.agents import atif
from enduro.agents.harnesses.aider import Aider
from enduro.agents.harnesses.mini_swe_agent import MiniSweAgent
from enduro.devtools.harnessbins import ensure_harness
from enduro.testing.scripted_model import (
    ScriptedModel,
    ScriptedModelServer,
    benchmark_generator,
    solutions_from_generator,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "sk-enduro-e2e-7f3c9a1d"
TURNS = 3
RUN_FILE = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {{name: bench}}
spec:
  generator: {{seed: 1, scenarios: 1, turns: {turns}, changesPerTurn: 2}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: agent}}
spec:
  harness: {harness}
{model}
  args: {args}
  limits: {{steps: 10}}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: e2e}}
spec:
  benchmarkRef: {{name: bench}}
  agentRef: {{name: agent}}
  parallelism: 1
  attemptLimit: 2
  feedbackLevel: detailed
  timeouts: {{agentSeconds: 180, testSeconds: 120, serverStartSeconds: 20}}
"""
SCRIPTED = """\
  model: {provider: scripted, name: scripted, baseUrl: "{url}"}
  secretEnv:
  - name: OPENAI_API_KEY
    secretKeyRef: {name: scripted-model, key: apiKey}"""
# Bedrock through the scripted model's Converse API: the CLI's LiteLLM signs every request
# with SigV4 (botocore) from these AWS variables, as it would for bedrock-runtime itself.
# A real Bedrock id the scripted model also answers (`bedrock_models`): LiteLLM decides from
# the id whether the model takes tools, and drops them for an id it does not know.
BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
AWS_REGION = "eu-west-3"
AWS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAENDUROE2E0000000", "AWS_SECRET_ACCESS_KEY": SECRET}
BEDROCK = f"""\
  model: {{provider: bedrock, name: "{BEDROCK_MODEL}", baseUrl: "{{root}}"}}
  env:
  - {{name: AWS_REGION, value: {AWS_REGION}}}
  secretEnv:
  - name: AWS_ACCESS_KEY_ID
    secretKeyRef: {{name: aws, key: accessKeyId}}
  - name: AWS_SECRET_ACCESS_KEY
    secretKeyRef: {{name: aws, key: secretAccessKey}}"""


@dataclass
class Run:
    out: Path
    report: dict[str, Any]
    requests: list[dict[str, Any]]

    def artifact(self, *parts: str) -> Path:
        return self.out.joinpath("scenario_0", *parts)

    def test_result(self, turn: int, attempt: int) -> dict[str, Any]:
        path = self.artifact("test_results", f"turn_{turn:03d}_attempt_{attempt}.json")
        data: dict[str, Any] = json.loads(path.read_text())
        return data


@pytest.fixture(scope="session")
def mini_swe_agent_bin() -> Path:
    return ensure_harness(MiniSweAgent.package)


@pytest.fixture(scope="session")
def aider_bin() -> Path:
    return ensure_harness(Aider.package)


def _enduro_run(
    tmp_path: Path,
    harness: str,
    bin_dir: Path,
    script: str,
    args: list[str],
    *,
    model_block: str = SCRIPTED,
) -> Iterator[Run]:
    run_file = tmp_path / "run.yaml"
    run_file.write_text(RUN_FILE.format(turns=TURNS, harness=harness, model=model_block, args=args))
    model = ScriptedModel(
        solver=solutions_from_generator(benchmark_generator(run_file), scenario=0), script=script
    )
    with ScriptedModelServer(model, bedrock_models=(BEDROCK_MODEL,)) as server:
        text = run_file.read_text().replace("{url}", server.url).replace("{root}", server.root)
        run_file.write_text(text)
        out = tmp_path / "out"
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "OPENAI_API_KEY": SECRET,
            **AWS_KEYS,
        }
        proc = subprocess.run(
            ["enduro", "run", str(run_file), "--out", str(out)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        report = json.loads((out / "report.json").read_text())
        yield Run(out=out, report=report, requests=list(model.requests))


@pytest.fixture(scope="module")
def broken_mini_swe_agent_run(
    tmp_path_factory: pytest.TempPathFactory, mini_swe_agent_bin: Path
) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("mini")
    yield from _enduro_run(tmp, "mini-swe-agent", mini_swe_agent_bin, "broken", [])


def test_mini_swe_agent_passes_every_turn_after_retries(broken_mini_swe_agent_run: Run) -> None:
    run = broken_mini_swe_agent_run
    assert run.report["average_score"] == 1.0
    assert run.report["success_rate"] == 1.0
    for turn in range(1, TURNS + 1):
        first, retry = run.test_result(turn, 1), run.test_result(turn, 2)
        assert 0 < first["passed"] < first["total"], f"turn {turn}: the bug must cost tests"
        assert retry["passed"] == retry["total"]


def test_the_retry_prompt_carries_the_feedback_of_the_failed_attempt(
    broken_mini_swe_agent_run: Run,
) -> None:
    run = broken_mini_swe_agent_run
    failing = [t["id"] for t in run.test_result(1, 1)["tests"] if t["outcome"] != "passed"]
    header = "# Feedback on turn 1, attempt 1"
    prompts = [json.dumps(r["body"]["messages"]) for r in run.requests]
    with_feedback = [p for p in prompts if header in p]
    assert with_feedback, "no request carried the FEEDBACK.md of turn 1"
    assert failing[0] in with_feedback[0]
    assert not any(header in p for p in prompts[:2]), "feedback before the first attempt"


def test_every_attempt_has_an_atif_trajectory_and_the_native_log(
    broken_mini_swe_agent_run: Run,
) -> None:
    run = broken_mini_swe_agent_run
    for turn in range(1, TURNS + 1):
        for attempt in (1, 2):
            tag = f"turn_{turn:03d}_attempt_{attempt}"
            trajectory = atif.read(run.artifact("trajectory", f"{tag}.json"))
            assert trajectory.agent.name == "mini-swe-agent"
            assert trajectory.final_metrics is not None
            assert trajectory.final_metrics.total_steps == 2  # write the files, then submit
            assert (trajectory.final_metrics.total_prompt_tokens or 0) > 0
            assert any(step.tool_calls for step in trajectory.steps)
            assert run.artifact("trajectory", f"{tag}.native", "trajectory.json").is_file()


def test_the_api_key_is_in_no_artifact(broken_mini_swe_agent_run: Run) -> None:
    leaked = [
        path
        for path in broken_mini_swe_agent_run.out.rglob("*")
        if path.is_file() and SECRET in path.read_text(errors="replace")
    ]
    assert leaked == []


def test_aider_passes_every_turn(tmp_path: Path, aider_bin: Path) -> None:
    for run in _enduro_run(tmp_path, "aider", aider_bin, "oracle", ["--edit-format", "whole"]):
        assert run.report["average_score"] == 1.0
        for turn in range(1, TURNS + 1):
            result = run.test_result(turn, 1)
            assert result["passed"] == result["total"]
            trajectory = atif.read(run.artifact("trajectory", f"turn_{turn:03d}_attempt_1.json"))
            assert trajectory.agent.name == "aider"
            assert trajectory.final_metrics is not None
            assert trajectory.final_metrics.total_steps == 1


@pytest.fixture(scope="module")
def bedrock_mini_swe_agent_run(
    tmp_path_factory: pytest.TempPathFactory, mini_swe_agent_bin: Path
) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("mini-bedrock")
    yield from _enduro_run(
        tmp, "mini-swe-agent", mini_swe_agent_bin, "broken", [], model_block=BEDROCK
    )


def _assert_signed_bedrock_requests(run: Run, api: str) -> None:
    """Every model call went to the scripted model's Bedrock API (Converse or ConverseStream,
    `api` among them) for the Agent's model id, SigV4-signed for bedrock in the Agent's
    region; none went to the OpenAI routes."""
    assert run.requests, "the scripted model saw no request"
    paths = {r["path"] for r in run.requests}
    assert f"/model/{BEDROCK_MODEL}/{api}" in paths
    assert paths <= {f"/model/{BEDROCK_MODEL}/converse", f"/model/{BEDROCK_MODEL}/converse-stream"}
    for request in run.requests:
        signature = request["signature"]
        assert signature["algorithm"] == "AWS4-HMAC-SHA256"
        assert (signature["region"], signature["service"]) == (AWS_REGION, "bedrock")


def test_mini_swe_agent_with_bedrock_passes_every_turn_through_converse(
    bedrock_mini_swe_agent_run: Run,
) -> None:
    run = bedrock_mini_swe_agent_run
    _assert_signed_bedrock_requests(run, "converse")
    assert {r["path"] for r in run.requests} == {f"/model/{BEDROCK_MODEL}/converse"}
    assert run.report["average_score"] == 1.0
    assert run.report["success_rate"] == 1.0
    for turn in range(1, TURNS + 1):
        first, retry = run.test_result(turn, 1), run.test_result(turn, 2)
        assert 0 < first["passed"] < first["total"], f"turn {turn}: the bug must cost tests"
        assert retry["passed"] == retry["total"]
    trajectory = atif.read(run.artifact("trajectory", "turn_001_attempt_1.json"))
    assert trajectory.final_metrics is not None
    assert trajectory.final_metrics.total_steps == 2
    assert (trajectory.final_metrics.total_prompt_tokens or 0) > 0


def test_the_aws_secret_key_is_in_no_artifact(bedrock_mini_swe_agent_run: Run) -> None:
    leaked = [
        path
        for path in bedrock_mini_swe_agent_run.out.rglob("*")
        if path.is_file() and SECRET in path.read_text(errors="replace")
    ]
    assert leaked == []


def test_aider_with_bedrock_passes_every_turn_through_converse_stream(
    tmp_path: Path, aider_bin: Path
) -> None:
    # Aider streams the edit (ConverseStream) and summarises the chat afterwards (Converse).
    args = ["--edit-format", "whole"]
    for run in _enduro_run(tmp_path, "aider", aider_bin, "oracle", args, model_block=BEDROCK):
        _assert_signed_bedrock_requests(run, "converse-stream")
        assert run.report["average_score"] == 1.0
        for turn in range(1, TURNS + 1):
            result = run.test_result(turn, 1)
            assert result["passed"] == result["total"]
