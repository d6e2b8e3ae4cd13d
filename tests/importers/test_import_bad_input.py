"""Bad input: each invalid item is named with its line or file and the field, nothing is
written for it, and the import says how many it skipped; exit 2 when nothing was valid."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from imported import documents, enduro_import
from sample_repo import HARBOR, INSTANCES


def _instances(tmp_path: Path, edit: dict[int, dict[str, object]]) -> Path:
    """The sample with line N's instance changed (a None value removes the field)."""
    lines = []
    for number, line in enumerate(INSTANCES.read_text().splitlines(), start=1):
        instance = json.loads(line)
        for field, value in edit.get(number, {}).items():
            if value is None:
                del instance[field]
            else:
                instance[field] = value
        lines.append(json.dumps(instance))
    path = tmp_path / "instances.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_line_missing_a_field_is_skipped_naming_the_line_and_field(tmp_path: Path) -> None:
    jsonl = _instances(tmp_path, {2: {"FAIL_TO_PASS": None}})
    code, out, err = enduro_import("swebench", str(jsonl), "--image-template", "calc:{instance_id}")
    assert code == 0, err
    names = [d["metadata"]["name"] for d in documents(out) if d["kind"] == "Scenario"]
    assert names == ["calc-calc-1", "calc-calc-3"]
    assert "imported 2 scenario(s)" in err
    assert "skipped 1 invalid item(s)" in err
    assert "instances.jsonl line 2: FAIL_TO_PASS: Field required" in err


def test_nothing_valid_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    jsonl = tmp_path / "broken.jsonl"
    jsonl.write_text('{"instance_id": "a"\n\n["not", "an", "object"]\n')
    out_dir = tmp_path / "out"
    code, _, err = enduro_import(
        "swebench", str(jsonl), "--image-template", "x:{instance_id}", "--out", str(out_dir)
    )
    assert code == 2
    assert not out_dir.exists()
    assert "broken.jsonl line 1: (line): not JSON" in err
    assert "broken.jsonl line 3: (line): not a JSON object" in err
    assert "skipped 2 invalid item(s)" in err


def test_an_image_template_without_a_needed_placeholder_names_it(tmp_path: Path) -> None:
    # Lines 1 and 3 are versions 0.1 and 0.2 of calc/calc: one image cannot serve both.
    out = tmp_path / "out.yaml"
    code, _, err = enduro_import(
        "swebench", str(INSTANCES), "--image-template", "calc:{repo_slug}", "-o", str(out)
    )
    assert code == 2
    assert not out.exists()
    assert "--image-template: 'calc:{repo_slug}' needs {version}" in err
    assert "instances.jsonl line 1 (calc/calc 0.1) and instances.jsonl line 3" in err


def test_an_unknown_placeholder_is_refused() -> None:
    code, _, err = enduro_import("swebench", str(INSTANCES), "--image-template", "calc:{commit}")
    assert code == 2
    assert "uses {commit}; the placeholders are {instance_id}, {repo}, {version}" in err


def test_an_instance_without_the_version_the_template_uses_is_skipped(tmp_path: Path) -> None:
    jsonl = _instances(tmp_path, {3: {"version": None}})
    code, _, err = enduro_import("swebench", str(jsonl), "--image-template", "calc:{version}")
    assert code == 0, err
    assert "instances.jsonl line 3: version: missing, and the image template uses {version}" in err


def _task_copy(tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(HARBOR / "word-count", copy)
    return copy


def test_harbor_tasks_without_instruction_tests_or_a_known_schema_are_skipped(
    tmp_path: Path,
) -> None:
    (_task_copy(tmp_path, "no-instruction") / "instruction.md").unlink()
    shutil.rmtree(_task_copy(tmp_path, "no-tests") / "tests")
    toml = _task_copy(tmp_path, "future") / "task.toml"
    toml.write_text(toml.read_text().replace('version = "1.0"', 'schema_version = "9.0"'))
    _task_copy(tmp_path, "fine")
    code, out, err = enduro_import("harbor", str(tmp_path))
    assert code == 0, err
    assert [d["metadata"]["name"] for d in documents(out)[1:]] == ["fine"]
    assert "skipped 3 invalid item(s)" in err
    assert f"{tmp_path}/future: task.toml: schema_version: unknown schema version '9.0'" in err
    assert f"{tmp_path}/no-instruction: instruction.md: missing or empty" in err
    assert f"{tmp_path}/no-tests: tests/test.sh: missing: the task has no verifier" in err


def test_a_step_without_its_instruction_is_named(tmp_path: Path) -> None:
    task = tmp_path / "todo-list"
    shutil.copytree(HARBOR / "todo-list", task)
    (task / "steps" / "done" / "instruction.md").unlink()
    code, _, err = enduro_import("harbor", str(task))
    assert code == 2
    assert f"{task}: steps/done/instruction.md: missing or empty" in err


def test_a_harbor_image_template_without_task_is_refused(tmp_path: Path) -> None:
    for name in ("one", "two"):
        shutil.copytree(HARBOR / "todo-list", tmp_path / name)
        toml = tmp_path / name / "task.toml"
        toml.write_text(toml.read_text().replace("enduro/todo-list", f"enduro/{name}"))
    code, _, err = enduro_import("harbor", str(tmp_path), "--image-template", "todo:v1")
    assert code == 2
    assert "'todo:v1' needs {task}" in err


def test_two_instances_with_one_scenario_name_keep_the_first(tmp_path: Path) -> None:
    # `calc__calc-1` and `calc-calc-1` both make the Scenario name calc-calc-1.
    first = INSTANCES.read_text().splitlines()[0]
    jsonl = tmp_path / "twice.jsonl"
    jsonl.write_text(first + "\n" + first.replace("calc__calc-1", "calc-calc-1") + "\n")
    code, out, err = enduro_import("swebench", str(jsonl), "--image-template", "c:{instance_id}")
    assert code == 0, err
    assert len(documents(out)) == 2  # the Benchmark and one Scenario
    assert (
        "twice.jsonl line 2: name: gives the Scenario name 'calc-calc-1', already used by "
        "twice.jsonl line 1" in err
    )


def test_a_base_commit_missing_from_the_local_clone_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    code, _, err = enduro_import(
        "swebench", str(INSTANCES), "--image-template", "c:{instance_id}",
        "--repo-dir", f"calc/calc={empty}",
    )  # fmt: skip
    assert code == 2
    assert (
        "instances.jsonl line 1: base_commit: ce80b3a4d9818b520f674cb509398b36c12cc936 is not "
        in err
    )
    assert "skipped 3 invalid item(s)" in err


def test_seed_files_a_scenario_cannot_hold_skip_the_task(tmp_path: Path) -> None:
    big = _task_copy(tmp_path, "big") / "environment" / "data.csv"
    big.write_text("x,y\n" * 100_000)
    many = _task_copy(tmp_path, "many") / "environment" / "inputs"
    many.mkdir()
    for number in range(300):  # and notes.txt
        (many / f"{number}.txt").write_text(f"{number}\n")
    code, _, err = enduro_import("harbor", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}/big: environment/data.csv: 400000 bytes, more than a seed file" in err
    assert f"{tmp_path}/many: environment/: 301 files, more than environment.files holds" in err
