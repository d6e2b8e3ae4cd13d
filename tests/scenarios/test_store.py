"""Exporting and loading scenario sets: layout, digests, atomicity, clear errors."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.scenarios import packs
from enduro.scenarios.generator import ScenarioTurn, generate_scenario
from enduro.scenarios.store import (
    MANIFEST,
    RENDERERS,
    StoreError,
    core_files,
    export_set,
    ground_truth_files,
    load_set,
    set_digest,
    suite_files,
    write_file_tree,
)
from setfiles import edit

SPEC = GeneratorSpec(seed=7, scenarios=2, turns=3)
CORE = {"": core_files}


def exported(tmp_path: Path) -> Path:
    out = tmp_path / "set"
    export_set(SPEC, out, renderers=CORE)
    return out


def rewrite(out: Path, rel: str, text: str) -> None:
    """Replace a file and fix the manifest, as a bad pre-generated set would look."""
    edit(out, rel, text.encode(), listed=True)


def test_export_writes_the_documented_layout(tmp_path: Path) -> None:
    out = tmp_path / "set"
    manifest = export_set(SPEC, out, renderers=RENDERERS)
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST,
        "scenario_000.zip",
        "scenario_001.zip",
    ]
    with zipfile.ZipFile(out / "scenario_001.zip") as pack:
        assert pack.testzip() is None  # every member's CRC checks out
        names = pack.namelist()
        for name in ("schema.yaml", "changes.yaml", "CHANGES.md", "SPEC.md", "openapi.yaml"):
            assert f"turn_002/{name}" in names, name
        assert "turn_002/tests/conftest.py" in names
        assert "turn_002/ground_truth/run.sh" in names
        turn = generate_scenario(SPEC, 1)[1]
        expected = {
            **core_files(turn),
            **{f"tests/{rel}": text for rel, text in suite_files(turn).items()},
            **{f"ground_truth/{rel}": text for rel, text in ground_truth_files(turn).items()},
        }
        for rel, text in expected.items():
            assert pack.read(f"turn_002/{rel}").decode() == text, rel
    data = json.loads((out / MANIFEST).read_text())
    assert data["generator"]["changesPerTurn"] == 5
    assert data["format"] == "enduro-scenarios/v2"
    listed = set()
    for name in ("scenario_000.zip", "scenario_001.zip"):
        pack_bytes = (out / name).read_bytes()
        assert data["packs"][name] == hashlib.sha256(pack_bytes).hexdigest()
        with zipfile.ZipFile(out / name) as pack:
            listed |= {f"{name.removesuffix('.zip')}/{member}" for member in pack.namelist()}
    assert set(data["files"]) == listed
    assert manifest.digest == set_digest(manifest.files)


def test_a_pack_keeps_each_content_compressed_once_and_far_smaller(tmp_path: Path) -> None:
    manifest = export_set(SPEC, tmp_path / "set", renderers=RENDERERS, workers=1)
    with zipfile.ZipFile(tmp_path / "set" / "scenario_000.zip") as pack:
        infos = pack.infolist()
        assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
        by_digest: dict[str, set[tuple[int, int]]] = {}
        for info in infos:
            digest = manifest.files[f"scenario_000/{info.filename}"]
            by_digest.setdefault(digest, set()).add((info.CRC, info.compress_size))
        logical = sum(info.file_size for info in infos)
        stored = sum(info.compress_size for info in infos)
    assert all(len(found) == 1 for found in by_digest.values())
    assert len(by_digest) < len(infos), "no file of the scenario repeats an earlier one"
    assert stored * 3 < logical, f"{stored} bytes stored for {logical}"


def test_a_scenario_too_big_for_a_pack_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "_MEMBERS", 4)
    with pytest.raises(StoreError, match=r"scenario_000\.zip: .*at most 4 members"):
        export_set(SPEC, tmp_path / "set", renderers=CORE, workers=1)
    assert list(tmp_path.iterdir()) == []


def test_a_set_of_the_first_format_a_file_per_path_still_loads(tmp_path: Path) -> None:
    out = exported(tmp_path)
    old = tmp_path / "v1"
    write_file_tree(load_set(out), old)
    first_format = json.loads((old / MANIFEST).read_text())
    assert first_format["format"] == "enduro-scenarios/v1" and "packs" not in first_format
    with zipfile.ZipFile(out / "scenario_001.zip") as pack:
        for member in pack.namelist():
            assert (old / "scenario_001" / member).read_bytes() == pack.read(member)
    loaded = load_set(old, deep=True)
    assert [t.schema for t in loaded.turns()] == [t.schema for t in load_set(out).turns()]
    (old / "scenario_000/turn_002/SPEC.md").write_text("tampered")
    with pytest.raises(StoreError, match=r"scenario_000/turn_002/SPEC\.md: content does not"):
        load_set(old)


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
    assert first.packs == second.packs


# Exports the whole set (suite and ground truth included) in a fresh process.
EXPORT = """
import sys
from pathlib import Path
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.store import export_set
spec = GeneratorSpec(seed=11, scenarios=3, turns=12)
manifest = export_set(spec, Path(sys.argv[1]), workers=int(sys.argv[2]))
print(manifest.digest, sorted(manifest.packs.items()))
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


def test_an_edited_file_is_named(tmp_path: Path) -> None:
    out = exported(tmp_path)
    edit(out, "scenario_000/turn_002/SPEC.md", b"tampered")
    with pytest.raises(StoreError, match=r"scenario_000/turn_002/SPEC\.md: content does not"):
        load_set(out)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    out = exported(tmp_path)
    edit(out, "scenario_001/turn_003/openapi.yaml", None)
    with pytest.raises(
        StoreError,
        match=r"turn_003/openapi\.yaml: listed in manifest\.json but not in scenario_001",
    ):
        load_set(out)


def test_a_step_checks_the_packs_at_load_and_each_file_when_it_reads_it(tmp_path: Path) -> None:
    out = exported(tmp_path)
    edit(out, "scenario_001/turn_002/schema.yaml", b"domain: edited\n")  # pack re-listed
    loaded = load_set(out, every_file=False)
    assert loaded.turn(0, 2).schema == generate_scenario(SPEC, 0)[1].schema
    with pytest.raises(StoreError, match=r"scenario_001/turn_002/schema\.yaml: content does not"):
        loaded.turn(1, 2)
    with pytest.raises(StoreError, match=r"scenario_001/turn_002/schema\.yaml: content does not"):
        load_set(out)  # file by file: refused at load
    pack = out / "scenario_000.zip"
    pack.write_bytes(pack.read_bytes() + b"\0")  # the bytes no longer match the manifest
    with pytest.raises(StoreError, match=r"scenario_000\.zip: missing, or its content does not"):
        load_set(out, every_file=False)
    pack.unlink()
    with pytest.raises(StoreError, match=r"scenario_000\.zip: missing, or its content does not"):
        load_set(out, every_file=False)


def test_a_damaged_missing_or_unlisted_pack_is_named(tmp_path: Path) -> None:
    out = exported(tmp_path)
    pack = out / "scenario_001.zip"
    whole = pack.read_bytes()
    pack.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(StoreError, match=r"scenario_001\.zip: not a readable zip"):
        load_set(out)
    flipped = bytearray(whole)
    flipped[100] ^= 0xFF  # inside the first member's compressed bytes
    pack.write_bytes(bytes(flipped))
    with pytest.raises(StoreError, match=r"scenario_001/turn_001/\S+: "):
        load_set(out)
    pack.unlink()
    with pytest.raises(
        StoreError, match=r"scenario_001\.zip: listed in manifest\.json but missing"
    ):
        load_set(out)
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["packs"]["scenario_001.zip"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=r"scenario_001\.zip: holds listed files but is not in"):
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


@pytest.mark.parametrize(
    ("field", "name", "phrase"),
    [("packs", "../x.zip", "not a pack's name"), ("files", "../../etc/x", "stay inside it")],
)
def test_a_manifest_naming_a_file_outside_the_set_is_refused(
    tmp_path: Path, field: str, name: str, phrase: str
) -> None:
    out = exported(tmp_path)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest[field][name] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=f"manifest.json: invalid: {field}: .*{phrase}"):
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
