"""Exporting and loading scenario sets: layout, digests, atomicity, clear errors."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import ScenarioTurn, generate_scenario
from enduro.scenarios.store import (
    MANIFEST,
    RENDERERS,
    StoreError,
    core_files,
    export_set,
    load_set,
    set_digest,
)

SPEC = GeneratorSpec(seed=7, scenarios=2, turns=3)
CORE = {"": core_files}


def exported(tmp_path: Path) -> Path:
    out = tmp_path / "set"
    export_set(SPEC, out, renderers=CORE)
    return out


def rewrite(out: Path, rel: str, text: str) -> None:
    """Replace a file and fix the manifest, as a bad pre-generated set would look."""
    (out / rel).write_text(text)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"][rel] = hashlib.sha256(text.encode()).hexdigest()
    manifest["digest"] = set_digest(manifest["files"])
    (out / MANIFEST).write_text(json.dumps(manifest))


def test_export_writes_the_documented_layout(tmp_path: Path) -> None:
    out = tmp_path / "set"
    manifest = export_set(SPEC, out, renderers=RENDERERS)
    turn = out / "scenario_001" / "turn_002"
    for name in ("schema.yaml", "changes.yaml", "CHANGES.md", "SPEC.md", "openapi.yaml"):
        assert (turn / name).is_file(), name
    assert (turn / "tests" / "conftest.py").is_file()
    assert (turn / "ground_truth" / "run.sh").is_file()
    data = json.loads((out / MANIFEST).read_text())
    assert data["generator"]["changesPerTurn"] == 5
    assert data["format"] == "enduro-scenarios/v1"
    assert set(data["files"]) == {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST
    }
    assert manifest.digest == set_digest(manifest.files)


def test_a_loaded_set_equals_the_generated_one(tmp_path: Path) -> None:
    loaded = load_set(exported(tmp_path), deep=True)
    assert loaded.spec == SPEC
    for scenario in range(SPEC.scenarios):
        for turn in generate_scenario(SPEC, scenario):
            again: ScenarioTurn = loaded.turn(scenario, turn.turn)
            assert again.schema == turn.schema
            assert again.changes == turn.changes
            assert again.previous == turn.previous


def test_export_is_byte_identical_for_any_number_of_workers(tmp_path: Path) -> None:
    first = export_set(SPEC, tmp_path / "a", renderers=CORE, workers=1)
    second = export_set(SPEC, tmp_path / "b", renderers=CORE, workers=2)
    assert first.files == second.files and first.digest == second.digest


# Exports the whole set (suite and ground truth included) in a fresh process.
EXPORT = """
import sys
from pathlib import Path
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.store import export_set
spec = GeneratorSpec(seed=11, scenarios=3, turns=12)
print(export_set(spec, Path(sys.argv[1]), workers=int(sys.argv[2])).digest)
"""

# Renders the suite and ground truth of the turns in argv[1] only, in a fresh process:
# nothing rendered before, so nothing is reused from an earlier turn.
RENDER_TURNS = """
import hashlib, sys
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.store import ground_truth_files, suite_files
spec = GeneratorSpec(seed=5, scenarios=2, turns=40)
for scenario in range(2):
    turns = generate_scenario(spec, scenario)
    for number in map(int, sys.argv[1].split(",")):
        files = {**suite_files(turns[number - 1]), **ground_truth_files(turns[number - 1])}
        text = "".join(f"{rel}\\n{files[rel]}" for rel in sorted(files))
        print(scenario, number, hashlib.sha256(text.encode()).hexdigest())
"""


def _python(code: str, *args: str, hash_seed: str = "0") -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


@pytest.mark.slow
def test_a_whole_export_is_identical_across_processes_hash_seeds_and_workers(
    tmp_path: Path,
) -> None:
    digests = {
        _python(EXPORT, str(tmp_path / f"set{workers}"), str(workers), hash_seed=hash_seed)
        for hash_seed, workers in (("1", 1), ("4242", 2), ("7", 3))
    }
    assert len(digests) == 1, "the set's bytes depend on the process or the worker count"


@pytest.mark.slow
def test_tests_reused_from_earlier_turns_render_as_a_fresh_process_does() -> None:
    """Every turn rendered in order (unchanged fields, actions and analytics reuse the
    tests of the turn before) gives the bytes of the same turns rendered alone."""
    picked = (9, 23, 40)
    alone = _python(RENDER_TURNS, ",".join(map(str, picked))).splitlines()
    in_order = _python(RENDER_TURNS, ",".join(map(str, range(1, 41)))).splitlines()
    assert alone == [line for line in in_order if int(line.split()[1]) in picked]


def test_each_distinct_file_is_written_once(tmp_path: Path) -> None:
    manifest = export_set(SPEC, tmp_path / "set", renderers=RENDERERS, workers=1)
    inodes: dict[str, set[int]] = {}
    for rel, digest in manifest.files.items():
        inodes.setdefault(digest, set()).add((tmp_path / "set" / rel).stat().st_ino)
    assert all(len(found) == 1 for found in inodes.values()), "equal bytes written twice"
    assert len(inodes) < len(manifest.files), "no file of the set was shared"
    loaded = load_set(tmp_path / "set", deep=True)  # every path still checks out
    assert set(loaded.manifest.files) == set(manifest.files)


def test_an_edited_file_is_named(tmp_path: Path) -> None:
    out = exported(tmp_path)
    (out / "scenario_000/turn_002/SPEC.md").write_text("tampered")
    with pytest.raises(StoreError, match=r"scenario_000/turn_002/SPEC\.md: content does not"):
        load_set(out)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    out = exported(tmp_path)
    (out / "scenario_001/turn_003/openapi.yaml").unlink()
    with pytest.raises(StoreError, match=r"turn_003/openapi\.yaml: listed in manifest\.json"):
        load_set(out)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "other/v9"}', "unknown format"),
        ('{"format": "enduro-scenarios/v1", "generator": {"seed": -1}}', "invalid"),
    ],
)
def test_a_bad_manifest_is_named(tmp_path: Path, text: str, phrase: str) -> None:
    out = exported(tmp_path)
    (out / MANIFEST).write_text(text)
    with pytest.raises(StoreError, match=f"manifest.json: .*{phrase}"):
        load_set(out)


def test_an_unknown_change_kind_is_named_with_its_file(tmp_path: Path) -> None:
    out = exported(tmp_path)
    rewrite(out, "scenario_000/turn_003/changes.yaml", "- kind: make_coffee\n  entity: x\n")
    with pytest.raises(StoreError, match=r"turn_003/changes\.yaml: invalid: .*make_coffee"):
        load_set(out)


def test_an_invalid_schema_is_named_when_parsed(tmp_path: Path) -> None:
    out = exported(tmp_path)
    rewrite(out, "scenario_001/turn_001/schema.yaml", "domain: x\nentities: 5\n")
    loaded = load_set(out)
    with pytest.raises(StoreError, match=r"scenario_001/turn_001/schema\.yaml: invalid"):
        loaded.turn(1, 1)
    with pytest.raises(StoreError, match=r"scenario_001/turn_001/schema\.yaml"):
        load_set(out, deep=True)


def test_a_non_empty_target_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "set"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty"):
        export_set(SPEC, out, renderers=CORE)
    assert (out / "keep.txt").read_text() == "mine"
    export_set(SPEC, out, renderers=CORE, force=True)
    assert not (out / "keep.txt").exists()
    assert load_set(out).spec == SPEC


def test_a_failing_renderer_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(turn: ScenarioTurn) -> dict[str, str]:
        if turn.turn == 3:
            raise RuntimeError("renderer broke")
        return {"x.txt": "x"}

    with pytest.raises(RuntimeError, match="renderer broke"):
        export_set(SPEC, tmp_path / "set", renderers={"": broken})
    assert list(tmp_path.iterdir()) == []


def test_an_export_in_this_process_turns_the_garbage_collector_back_on(
    tmp_path: Path,
) -> None:
    seen: list[bool] = []

    def recording(turn: ScenarioTurn) -> dict[str, str]:
        seen.append(gc.isenabled())
        if turn.turn == 3:
            raise RuntimeError("renderer broke")
        return {"x.txt": "x"}

    with pytest.raises(RuntimeError, match="renderer broke"):
        export_set(SPEC, tmp_path / "set", renderers={"": recording}, workers=1)
    assert seen and not any(seen), "rendered with the cyclic collector on"
    assert gc.isenabled()


def test_a_failed_forced_export_keeps_the_old_set(tmp_path: Path) -> None:
    out = exported(tmp_path)
    before = (out / MANIFEST).read_text()

    def broken(turn: ScenarioTurn) -> dict[str, str]:
        raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError):
        export_set(SPEC, out, renderers={"": broken}, force=True)
    assert (out / MANIFEST).read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
