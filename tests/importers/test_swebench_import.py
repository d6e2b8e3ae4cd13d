"""`enduro import swebench` on the shipped sample: three instances against a tiny
repository made here with git, imported, then scored untouched and with the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imported import documents, enduro_import, scenarios, score, seeded, solve
from sample_repo import INSTANCES, make_repo

TEMPLATE = "registry.example/swebench/{repo_slug}:{version}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo, commits = make_repo(tmp_path_factory.mktemp("sample"))
    named = {json.loads(line)["base_commit"] for line in INSTANCES.read_text().splitlines()}
    assert named == set(commits), "instances.jsonl names commits sample_repo does not make"
    return repo


def import_sample(clone: Path, *extra: str) -> list[dict[str, object]]:
    code, out, err = enduro_import(
        "swebench", str(INSTANCES), "--image-template", TEMPLATE,
        "--repo-dir", f"calc/calc={clone}", *extra,
    )  # fmt: skip
    assert code == 0, err
    assert "imported 3 scenario(s)" in err
    return documents(out)


def test_each_instance_scores_below_1_untouched_and_1_with_its_patch(
    clone: Path, tmp_path: Path
) -> None:
    docs = import_sample(clone, "--partial-credit", "0.5", "--benchmark", "calc-sample")
    benchmark = docs[0]
    assert benchmark["kind"] == "Benchmark"
    assert benchmark["spec"]["scenarios"] == {
        "matchLabels": {"enduro.dev/benchmark": "calc-sample"}
    }
    played = scenarios(docs)
    assert sorted(played) == ["calc-calc-1", "calc-calc-2", "calc-calc-3"]
    for name, scenario in played.items():
        workspace = seeded(scenario, tmp_path / name)
        before = score(scenario, 1, workspace)
        assert before.contract_score < 1.0, f"{name} is solved before its patch"
        resolved, partial = before.functions
        assert (resolved.name, resolved.score, partial.name) == ("resolved", 0.0, "partial")
        # Every PASS_TO_PASS test passes, the FAIL_TO_PASS one does not: 2 of 3.
        assert partial.score == pytest.approx(2 / 3, abs=1e-3), partial.output
        solve(scenario, 1, workspace)
        after = score(scenario, 1, workspace)
        assert after.contract_score == 1.0, [f.output for f in after.functions]


def test_seed_files_are_the_repository_at_the_base_commit(clone: Path) -> None:
    played = scenarios(import_sample(clone))
    first, third = played["calc-calc-1"].spec.environment, played["calc-calc-3"].spec.environment
    assert "calc/stats.py" not in first.files  # added by the second commit
    assert "calc/stats.py" in third.files
    assert first.image == "registry.example/swebench/calc__calc:0.1"
    assert third.image == "registry.example/swebench/calc__calc:0.2"
    assert not first.setup_commands
    assert first.working_dir == "calc"  # the repository's folder, TASK.md beside it


def test_without_a_local_clone_setup_commands_fetch_the_base_commit() -> None:
    code, out, err = enduro_import("swebench", str(INSTANCES), "--image-template", TEMPLATE)
    assert code == 0, err
    environment = scenarios(documents(out))["calc-calc-3"].spec.environment
    assert not environment.files
    assert environment.setup_commands == [
        "git init -q .",
        "git fetch -q --depth 1 https://github.com/calc/calc.git "
        "06c8d931fb5c204df93024fc97d1fd40ae6f3a59",
        "git checkout -q FETCH_HEAD",
    ]


def test_out_writes_one_file_per_document(clone: Path, tmp_path: Path) -> None:
    code, _, err = enduro_import(
        "swebench", str(INSTANCES), "--image-template", TEMPLATE,
        "--repo-dir", f"calc/calc={clone}", "--out", str(tmp_path / "out"), "--namespace", "team-a",
    )  # fmt: skip
    assert code == 0, err
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [
        "benchmark-instances.yaml",
        "scenario-calc-calc-1.yaml",
        "scenario-calc-calc-2.yaml",
        "scenario-calc-calc-3.yaml",
    ]
    doc = documents((tmp_path / "out" / "scenario-calc-calc-2.yaml").read_text())[0]
    assert doc["metadata"]["namespace"] == "team-a"
    assert doc["metadata"]["annotations"] == {"enduro.dev/instance-id": "calc__calc-2"}
