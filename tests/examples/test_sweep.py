"""examples/sweep renders one BenchmarkRun per agent x model x setting with the real helm."""

from __future__ import annotations

import json
import re
import subprocess
from itertools import product
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from enduro.devtools import kubebins

REPO = Path(__file__).resolve().parents[2]
SWEEP = REPO / "examples" / "sweep"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubebins.helm()), *args], capture_output=True, text=True, check=False
    )


def render(*args: str) -> list[dict[str, Any]]:
    proc = helm("template", "sweep", str(SWEEP), *args)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def values() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SWEEP / "values.yaml").read_text())
    return data


def test_lints() -> None:
    proc = helm("lint", "--strict", str(SWEEP))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_run_per_agent_model_setting() -> None:
    v = values()
    docs = render()
    runs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "BenchmarkRun"}
    agents = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Agent"}
    expected_runs = {
        f"{v['namePrefix']}-{a['id']}-{m['id']}-{s['id']}"
        for a, m, s in product(v["agents"], v["models"], v["settings"])
    }
    assert set(runs) == expected_runs
    assert len(agents) == len(v["agents"]) * len(v["models"])
    for name in [*runs, *agents]:
        assert DNS_SUBDOMAIN.match(name) and len(name) <= 63, name
    for run in runs.values():
        assert run["apiVersion"] == "enduro.dev/v1alpha1"
        assert run["spec"]["benchmarkRef"] == {"name": v["benchmark"]}
        assert run["spec"]["agentRef"]["name"] in agents
        assert run["metadata"]["labels"]["enduro.dev/sweep"] == v["namePrefix"]


def test_settings_override_the_shared_run_spec() -> None:
    docs = render()
    runs = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "BenchmarkRun"}
    blind = runs["sweep-mswe-gpt-oss-blind"]
    assert blind["feedbackLevel"] == "none" and blind["attemptLimit"] == 1
    assert blind["parallelism"] == 2 and blind["timeouts"] == {"agentSeconds": 1800}
    assert runs["sweep-mswe-gpt-oss-feedback"]["attemptLimit"] == 3


def test_agents_combine_harness_and_model() -> None:
    docs = render()
    agent = next(d for d in docs if d["metadata"]["name"] == "sweep-opencode-qwen3-coder")
    assert agent["spec"]["harness"] == "opencode"
    assert agent["spec"]["model"]["name"] == "Qwen/Qwen3-Coder-30B-A3B-Instruct"
    assert "id" not in agent["spec"] and "id" not in agent["spec"]["model"]


def test_values_from_the_command_line_reshape_the_sweep() -> None:
    docs = render(
        "--set-json", json.dumps({"agents": [{"id": "oracle", "harness": "oracle"}]}),
        "--set-json", json.dumps({"models": [{"id": "none", "provider": "none"}]}),
        "--set", "namePrefix=smoke",
    )  # fmt: skip
    names = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "BenchmarkRun")
    assert names == ["smoke-oracle-none-blind", "smoke-oracle-none-feedback"]


def test_duplicate_ids_and_refs_in_run_are_refused() -> None:
    dup = json.dumps({"settings": [{"id": "a"}, {"id": "a"}]})
    proc = helm("template", "sweep", str(SWEEP), "--set-json", dup)
    assert proc.returncode != 0 and "make the ids unique" in proc.stderr
    proc = helm("template", "sweep", str(SWEEP), "--set", "run.agentRef.name=x")
    assert proc.returncode != 0 and "at '/run'" in proc.stderr, proc.stderr
    proc = helm("template", "sweep", str(SWEEP), "--set", "namePrefix=Not_DNS")
    assert proc.returncode != 0 and "at '/namePrefix'" in proc.stderr, proc.stderr


def test_every_rendered_object_is_accepted_by_the_chart_crds_and_the_models() -> None:
    from enduro.api.crd import KINDS, as_json_schema, openapi_schema

    crds = [
        doc
        for path in (REPO / "charts/enduro/crds").glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
    ]
    schemas = {c["spec"]["names"]["kind"]: as_json_schema(openapi_schema(c)) for c in crds}
    specs = {k.resource.kind: k.spec for k in KINDS}
    docs = render()
    assert {d["kind"] for d in docs} == {"Agent", "BenchmarkRun"}
    for doc in docs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            jsonschema.validate(doc, schemas[doc["kind"]])
        except jsonschema.ValidationError as err:
            raise AssertionError(f"{where}: {err.json_path}: {err.message}") from err
        specs[doc["kind"]].model_validate(doc["spec"])


def test_a_setting_the_crd_refuses_is_caught() -> None:
    # The validation above is not vacuous: a bad feedback level fails it.
    from enduro.api.crd import as_json_schema, openapi_schema

    crd = yaml.safe_load((REPO / "charts/enduro/crds/benchmarkruns.enduro.dev.yaml").read_text())
    bad = render("--set-json", json.dumps({"settings": [{"id": "x", "feedbackLevel": "loud"}]}))
    run = next(d for d in bad if d["kind"] == "BenchmarkRun")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(run, as_json_schema(openapi_schema(crd)))
