"""Reading the YAML a user applies: every problem names the document, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from enduro.runtime.manifest import ManifestError, load_plan

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = (REPO / "examples" / "quickstart.yaml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ManifestError) as info:
        load_plan(path)
    return str(info.value)


def test_quickstart_is_a_valid_plan() -> None:
    plan = load_plan(REPO / "examples" / "quickstart.yaml")
    assert plan.name == "quickstart"
    assert plan.agent.harness.value == "oracle"
    assert plan.scenarios() == [0, 1]
    spec = plan.scenario_spec(1)
    assert spec.scenario == 1 and spec.generator.turns == 5
    assert spec.attempt_limit == 2 and spec.benchmark_run == "quickstart"


def test_field_errors_name_the_document_and_field_path(tmp_path: Path) -> None:
    text = QUICKSTART.replace("parallelism: 2", "parallelism: 0").replace("turns: 5", "turns: -1")
    problems = _problems(_write(tmp_path, text))
    assert "document 3 (BenchmarkRun quickstart): spec.parallelism:" in problems
    assert "greater than or equal to 1" in problems
    assert "document 1 (Benchmark rest-quickstart): spec.generator.turns:" in problems


def test_unknown_field_is_an_error_not_ignored(tmp_path: Path) -> None:
    text = QUICKSTART.replace("parallelism: 2", "paralelism: 2")
    problems = _problems(_write(tmp_path, text))
    assert "spec.paralelism: unknown field (did you mean `parallelism`?)" in problems


def test_dangling_references_are_named(tmp_path: Path) -> None:
    text = QUICKSTART.replace("  agentRef:\n    name: oracle", "  agentRef:\n    name: claude")
    problems = _problems(_write(tmp_path, text))
    assert "spec.agentRef.name: no Agent named 'claude'" in problems
    assert "found: oracle" in problems


def test_scenario_subset_outside_the_benchmark(tmp_path: Path) -> None:
    text = QUICKSTART.replace("parallelism: 2", "parallelism: 2\n  scenarios: [0, 5]")
    assert "spec.scenarios lists [5]" in _problems(_write(tmp_path, text))


def test_not_yaml_and_wrong_kinds(tmp_path: Path) -> None:
    assert "not valid YAML" in _problems(_write(tmp_path, "a: [1,\n"))
    problems = _problems(_write(tmp_path, "apiVersion: enduro.dev/v1alpha1\nkind: Pod\n"))
    assert "kind: 'Pod' is not one of Benchmark, Agent, BenchmarkRun" in problems


def test_exactly_one_benchmark_run(tmp_path: Path) -> None:
    run = QUICKSTART[QUICKSTART.index("apiVersion: enduro.dev/v1alpha1\nkind: BenchmarkRun") :]
    doubled = QUICKSTART + "---\n" + run.replace("name: quickstart", "name: second")
    assert "expected exactly one BenchmarkRun, found 2" in _problems(_write(tmp_path, doubled))


def test_bare_null_harness_gets_a_quoting_hint(tmp_path: Path) -> None:
    text = QUICKSTART.replace("harness: oracle", "harness: null")
    assert 'write "null" in quotes' in _problems(_write(tmp_path, text))


def test_a_benchmark_in_another_namespace_is_refused_locally(tmp_path: Path) -> None:
    text = QUICKSTART.replace(
        "benchmarkRef:\n    name: rest-quickstart",
        "benchmarkRef:\n    namespace: enduro-catalogue\n    name: rest-quickstart",
    )
    assert text != QUICKSTART
    problems = _problems(_write(tmp_path, text))
    assert "spec.benchmarkRef.namespace: `enduro run` reads one file" in problems
    assert "put the Benchmark in the file" in problems
