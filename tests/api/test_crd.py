"""The CRDs in crds/ are what the models generate, valid and structural for Kubernetes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from enduro.api.crd import (
    KINDS,
    Schema,
    SchemaError,
    as_json_schema,
    crd,
    crds,
    file_name,
    openapi_schema,
    render,
    structural_problems,
    structural_schema,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
BY_KIND = {d["spec"]["names"]["kind"]: d for d in crds()}
KUBERNETES = "1.33.0"


@pytest.mark.parametrize("definition", crds(), ids=file_name)
def test_committed_crds_match_the_models(definition: dict[str, Any]) -> None:
    path = ROOT / "crds" / file_name(definition)
    assert path.exists(), f"{path} is missing: run `uv run enduro crds`"
    assert path.read_text(encoding="utf-8") == render(definition), (
        f"{path.name} is out of date with enduro.api: run `uv run enduro crds`"
    )


def test_no_stray_files_in_crds() -> None:
    expected = {file_name(d) for d in crds()}
    assert {p.name for p in (ROOT / "crds").glob("*.yaml")} == expected


def test_write_creates_one_file_per_kind(tmp_path: Path) -> None:
    paths = write(tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(file_name(d) for d in crds())
    assert yaml.safe_load(paths[0].read_text())["kind"] == "CustomResourceDefinition"


@pytest.mark.parametrize("version", [KUBERNETES, kubernetes_validate.latest_version()])
@pytest.mark.parametrize("definition", crds(), ids=file_name)
def test_crd_is_a_valid_kubernetes_object(definition: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(definition, version, strict=True)


@pytest.mark.parametrize("definition", crds(), ids=file_name)
def test_schema_is_structural_and_documented(definition: dict[str, Any]) -> None:
    assert structural_problems(openapi_schema(definition)) == []


def test_structural_checker_catches_what_kubernetes_rejects() -> None:
    bad: Schema = {
        "type": "object",
        "properties": {
            "a": {"description": "x", "anyOf": [{"type": "string"}, {"type": "null"}]},
            "b": {"type": "object", "properties": {"c": {"type": "string"}}},
            "d": {
                "type": "object",
                "description": "m",
                "properties": {},
                "additionalProperties": {},
            },
        },
    }
    problems = structural_problems(bad)
    assert ".a: anyOf is not allowed" in problems
    assert ".a: no type" in problems
    assert ".b: no description" not in problems  # top level: apiVersion, kind, metadata
    assert ".b.c: no description" in problems
    assert ".d: properties and additionalProperties together" in problems


def test_names_and_subresources() -> None:
    sr = BY_KIND["ScenarioRun"]
    names = sr["spec"]["names"]
    assert (names["plural"], names["shortNames"], names["categories"]) == (
        "scenarioruns",
        ["sr"],
        ["enduro"],
    )
    assert sr["metadata"]["name"] == "scenarioruns.enduro.dev"
    short_names = {d["spec"]["names"]["kind"]: d["spec"]["names"]["shortNames"] for d in crds()}
    assert short_names == {
        "Benchmark": ["bm"],
        "Agent": ["ag"],
        "BenchmarkRun": ["br"],
        "ScenarioRun": ["sr"],
        "Scenario": ["sc"],
        "Scorer": [],
    }
    for definition in crds():
        version = definition["spec"]["versions"][0]
        assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}


def lookup(schema: Schema, json_path: str) -> Schema:
    node = schema
    for part in json_path.strip(".").split("."):
        node = node["properties"][part]
    return node


@pytest.mark.parametrize("definition", crds(), ids=file_name)
def test_printer_columns_point_at_fields_of_their_type(definition: dict[str, Any]) -> None:
    schema = openapi_schema(definition)
    for column in definition["spec"]["versions"][0]["additionalPrinterColumns"]:
        if column["jsonPath"].startswith(".metadata."):
            continue
        field = lookup(schema, column["jsonPath"])
        assert field["type"] == column["type"], column


def test_printer_columns_show_phase_progress_score_and_age() -> None:
    def columns(kind: str) -> list[str]:
        version = BY_KIND[kind]["spec"]["versions"][0]
        return [c["name"] for c in version["additionalPrinterColumns"]]

    assert {"Phase", "Progress", "Score", "Success", "Age"} <= set(columns("BenchmarkRun"))
    assert {"Phase", "Progress", "Turn", "Score", "Stamina", "Age"} <= set(columns("ScenarioRun"))


def test_validation_carries_over_enums_bounds_defaults_and_nullability() -> None:
    spec = lookup(openapi_schema(BY_KIND["BenchmarkRun"]), ".spec")
    attempts = spec["properties"]["attemptLimit"]
    assert (attempts["minimum"], attempts["maximum"], attempts["default"]) == (1, 20, 3)
    assert spec["properties"]["feedbackLevel"]["enum"] == ["detailed", "medium", "minimal", "none"]
    assert spec["properties"]["scenarios"]["nullable"] is True
    assert spec["properties"]["scenarios"]["x-kubernetes-list-type"] == "set"
    assert spec["required"] == ["benchmarkRef"]  # agentRef, or agent: {external: true}
    resources = lookup(openapi_schema(BY_KIND["Agent"]), ".spec.resources.requests")
    assert resources == {
        "type": "object",
        "description": "Resource requests, e.g. {cpu: 500m, memory: 1Gi}.",
        "additionalProperties": {"type": "string"},
    }
    status = lookup(openapi_schema(BY_KIND["ScenarioRun"]), ".status")
    assert "default" not in status["properties"]["phase"]
    conditions = status["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]


def test_cel_rules_mirror_the_model_validators() -> None:
    def rules(kind: str, path: str) -> list[str]:
        node = lookup(openapi_schema(BY_KIND[kind]), path)
        return [v["rule"] for v in node.get("x-kubernetes-validations", [])]

    assert rules("ScenarioRun", ".spec") == [
        "has(self.generator) != has(self.definition)",
        "!has(self.generator) || self.scenario < self.generator.scenarios",
        "has(self.agent) != has(self.externalAgent)",
        "!has(self.externalAgent) || has(self.definition)",
        "has(self.externalAgent) || ((!has(self.score) || !self.score) "
        "&& (!has(self.complete) || !self.complete))",
    ]
    assert rules("BenchmarkRun", ".spec") == [
        "has(self.agentRef) != has(self.agent)",
        "has(self.agent) || !has(self.complete) || !self.complete",
    ]
    assert rules("Benchmark", ".spec")[0] == "has(self.generator) != has(self.scenarios)"
    assert "has(self.baseUrl)" in rules("Agent", ".spec.model")[0]
    env_rule = lookup(openapi_schema(BY_KIND["Agent"]), ".spec.env")["items"]
    assert "self.name.matches('(?i)(API_?KEY|" in env_rule["x-kubernetes-validations"][0]["rule"]


def test_unions_other_than_optional_are_refused() -> None:
    from pydantic import BaseModel

    class Mixed(BaseModel):
        value: int | str = 0

    with pytest.raises(SchemaError, match=r"Mixed\.value: unions other than"):
        structural_schema(Mixed, keep_defaults=True)


SAMPLES: dict[str, dict[str, Any]] = {
    "Benchmark": {"spec": {"generator": {"seed": 1, "scenarios": 2, "turns": 5}}},
    "Agent": {
        "spec": {
            "harness": "codex",
            "model": {"provider": "openai", "name": "gpt"},
            "secretEnv": [{"name": "OPENAI_API_KEY", "secretKeyRef": {"name": "k", "key": "v"}}],
        }
    },
    "BenchmarkRun": {
        "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, "scenarios": None},
        "status": {"phase": "Running", "averageScore": None, "counts": {"total": 2}},
    },
    "ScenarioRun": {
        "spec": {
            "generator": {"seed": 1, "scenarios": 2, "turns": 5},
            "scenario": 1,
            "agent": {"harness": "oracle"},
        },
        "status": {
            "phase": "Running",
            "turns": [
                {"turn": 1, "attempts": 1, "passed": 3, "total": 3, "score": 1, "passedTurn": True}
            ],
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ],
        },
    },
}

SAMPLES["Scenario"] = {
    "spec": {
        "inputContext": {"problemStatement": "Fix the off-by-one in mean()."},
        "environment": {"files": {"stats.py": "def mean(xs): ..."}},
        "scoringContract": {
            "functions": [
                {"name": "tests", "weight": 3, "scorer": {"command": {"command": "pytest"}}},
                {
                    "name": "style",
                    "weight": 1,
                    "scorer": {"bashScript": {"script": "echo score=1"}},
                },
            ]
        },
        "referenceOutput": {"commands": ["sed -i s/1/0/ stats.py"]},
    }
}
SAMPLES["Scorer"] = {"spec": {"bashScript": "echo score=1", "description": "always 1"}}

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("Benchmark", {"spec": {"generator": {"seed": 1, "scenarios": 0, "turns": 5}}}, "scenarios"),
    ("Agent", {"spec": {"harness": "gpt-engineer"}}, "harness"),
    (
        "BenchmarkRun",
        {"spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, "attemptLimit": 50}},
        "attemptLimit",
    ),
    ("ScenarioRun", {"spec": {**SAMPLES["ScenarioRun"]["spec"], "scenario": -1}}, "scenario"),
    (
        "ScenarioRun",
        {"spec": SAMPLES["ScenarioRun"]["spec"], "status": {"phase": "Done"}},
        "phase",
    ),
    (
        "Scenario",
        {
            "spec": {
                **SAMPLES["Scenario"]["spec"],
                "scoringContract": {
                    "functions": [
                        {"name": "t", "weight": 0, "scorer": {"command": {"command": "true"}}}
                    ]
                },
            }
        },
        "weight",
    ),
    (
        "Scenario",
        {"spec": {**SAMPLES["Scenario"]["spec"], "inputContext": {}}},
        "inputContext",
    ),
]


def full(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "enduro.dev/v1alpha1", "kind": kind, "metadata": {"name": "x"}, **body}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_sample_of_each_kind_validates(kind: str) -> None:
    schema = as_json_schema(openapi_schema(BY_KIND[kind]))
    jsonschema.validate(full(kind, SAMPLES[kind]), schema)


@pytest.mark.parametrize(("kind", "body", "field"), INVALID)
def test_an_invalid_object_fails_naming_the_field(
    kind: str, body: dict[str, Any], field: str
) -> None:
    schema = as_json_schema(openapi_schema(BY_KIND[kind]))
    with pytest.raises(jsonschema.ValidationError) as err:
        jsonschema.validate(full(kind, body), schema)
    assert field in err.value.json_path, err.value.json_path


def test_every_kind_is_generated() -> None:
    assert [crd(k)["spec"]["names"]["kind"] for k in KINDS] == [
        "Benchmark",
        "Agent",
        "BenchmarkRun",
        "ScenarioRun",
        "Scenario",
        "Scorer",
    ]


def test_the_crds_command_writes_and_checks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from enduro.cli import app

    def enduro(*args: str) -> Any:
        return CliRunner().invoke(app, list(args))

    out = tmp_path / "crds"
    assert enduro("crds", "--out", str(out), "--check").exit_code == 1
    written = enduro("crds", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert f"wrote {out}/scenarioruns.enduro.dev.yaml" in written.stdout
    assert enduro("crds", "--out", str(out), "--check").exit_code == 0
    (out / "agents.enduro.dev.yaml").write_text("stale\n")
    checked = enduro("crds", "--out", str(out), "--check")
    assert checked.exit_code == 1
    assert "agents.enduro.dev.yaml is out of date: run `uv run enduro crds`" in checked.stderr


@pytest.mark.parametrize("definition", crds(), ids=file_name)
def test_names_that_cannot_be_label_values_are_refused_at_apply(definition: dict[str, Any]) -> None:
    rules = [v["rule"] for v in openapi_schema(definition)["x-kubernetes-validations"]]
    assert "self.metadata.name.size() <= 63" in rules
    assert any(r.startswith("self.metadata.name.matches(") for r in rules)


def test_single_object_rules_of_an_agent_are_in_its_schema() -> None:
    spec = openapi_schema(BY_KIND["Agent"])["properties"]["spec"]
    for key in ("env", "secretEnv"):  # a name twice: the API server refuses the list
        assert spec["properties"][key]["x-kubernetes-list-type"] == "map"
        assert spec["properties"][key]["x-kubernetes-list-map-keys"] == ["name"]
    messages = [v["message"] for v in spec["x-kubernetes-validations"]]
    assert "set a variable in env or secretEnv, not both" in messages


def test_time_limits_have_a_maximum_in_the_schema() -> None:
    spec = openapi_schema(BY_KIND["BenchmarkRun"])["properties"]["spec"]
    timeouts = spec["properties"]["timeouts"]["properties"]
    assert all("maximum" in timeouts[key] for key in timeouts), timeouts
