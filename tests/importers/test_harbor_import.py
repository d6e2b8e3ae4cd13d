"""`enduro import harbor` on the two shipped tasks, imported and scored: untouched below
1, with the reference (solve.sh, run as the oracle would) 1.0, step by step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imported import documents, enduro_import, scenarios, score, seeded, solve
from sample_repo import HARBOR

from enduro.api.scenario import ExplicitScenario
from enduro.importers.harbor_scripts import VERIFIER_PATHS, rewrite_paths


@pytest.fixture(scope="module")
def imported() -> dict[str, ExplicitScenario]:
    code, out, err = enduro_import(
        "harbor", str(HARBOR), "--image-template", "registry.example/harbor/{task}:v1"
    )
    assert code == 0, err
    assert "imported 2 scenario(s)" in err
    return scenarios(documents(out))


def test_a_single_step_task_scores_its_reward(
    imported: dict[str, ExplicitScenario], tmp_path: Path
) -> None:
    scenario = imported["word-count"]
    workspace = seeded(scenario, tmp_path)
    assert (workspace / "app" / "notes.txt").is_file()  # environment/ seeds WORKDIR /app
    untouched = score(scenario, 1, workspace)
    assert untouched.contract_score == 0.0, untouched.functions[0].output
    solve(scenario, 1, workspace)
    solved = score(scenario, 1, workspace)
    assert solved.contract_score == 1.0, solved.functions[0].output


def test_half_a_solution_scores_half_the_checks(
    imported: dict[str, ExplicitScenario], tmp_path: Path
) -> None:
    scenario = imported["word-count"]
    workspace = seeded(scenario, tmp_path)
    (workspace / "app" / "count.py").write_text(
        "import sys\nprint(len(open(sys.argv[-1]).read().split()))\n"
    )
    result = score(scenario, 1, workspace)
    assert result.contract_score == 0.5, result.functions[0].output
    assert "not ok: count.py --lines" in result.functions[0].output


def test_a_multi_step_task_plays_one_turn_per_step(
    imported: dict[str, ExplicitScenario], tmp_path: Path
) -> None:
    scenario = imported["todo-list"]
    add, done = scenario.spec.turn_list()
    assert (add.scoring_contract.pass_score, done.scoring_contract.pass_score) == (0.5, 1.0)
    workspace = seeded(scenario, tmp_path)
    assert score(scenario, 1, workspace).contract_score == 0.0
    solve(scenario, 1, workspace)
    assert score(scenario, 1, workspace).contract_score == 1.0
    # Step 2's own test.sh replaces the task's; helpers.sh still comes from tests/.
    before = score(scenario, 2, workspace)
    assert before.contract_score == pytest.approx(1 / 3, abs=1e-3), before.functions[0].output
    solve(scenario, 2, workspace)
    after = score(scenario, 2, workspace)
    assert after.contract_score == 1.0, after.functions[0].output


def test_timeouts_resources_and_image_come_from_task_toml(
    imported: dict[str, ExplicitScenario],
) -> None:
    word_count, todo = imported["word-count"].spec, imported["todo-list"].spec
    assert word_count.environment.image == "python:3.12-slim"  # docker_image wins
    assert todo.environment.image == "registry.example/harbor/todo-list:v1"
    # The Dockerfiles' WORKDIR (/app, /workspace/todo) by its last name.
    assert (word_count.environment.working_dir, todo.environment.working_dir) == ("app", "todo")
    assert word_count.environment.resources.requests == {
        "cpu": "1",
        "memory": "2048Mi",  # the legacy `memory = "2G"`
        "ephemeral-storage": "4096Mi",
    }
    assert word_count.turn(1).scoring_contract.functions[0].timeout_seconds == 120
    assert [t.scoring_contract.functions[0].timeout_seconds for t in todo.turn_list()] == [60, 90]


def test_names_keywords_metadata_and_agent_limits_are_kept_as_annotations() -> None:
    code, out, err = enduro_import("harbor", str(HARBOR / "todo-list"), str(HARBOR / "word-count"))
    assert code == 0, err
    assert "warning: " in err and "todo-list: no image" in err  # no --image-template
    todo, word_count = documents(out)[1:]
    assert todo["metadata"]["annotations"] == {
        "enduro.dev/harbor-task": "enduro/todo-list",
        "enduro.dev/agent-timeout-seconds": "add=300,done=600",
        "enduro.dev/keywords": "python,multi-step",
    }
    metadata = word_count["metadata"]["annotations"]["enduro.dev/harbor-metadata"]
    assert json.loads(metadata)["difficulty"] == "easy"
    assert word_count["metadata"]["labels"] == {
        "enduro.dev/source": "harbor",
        "enduro.dev/benchmark": "harbor",
    }


@pytest.mark.parametrize(
    ("line", "rewritten"),
    [
        ("cd /tests && bash /tests/run.sh", "cd @ENDURO_TESTS@ && bash @ENDURO_TESTS@/run.sh"),
        ("echo 1 > /logs/verifier/reward.txt", "echo 1 > @ENDURO_LOGS@/verifier/reward.txt"),
        ('python3 "/app/main.py" /app', 'python3 "@ENDURO_WORKDIR@/main.py" @ENDURO_WORKDIR@'),
        ("ls /testsuite ./tests $HOME/tests /application", None),
    ],
)
def test_only_whole_harbor_paths_are_rewritten(line: str, rewritten: str | None) -> None:
    assert rewrite_paths(line, VERIFIER_PATHS, "/app") == (rewritten or line)
