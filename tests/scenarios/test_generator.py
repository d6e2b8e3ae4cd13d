"""The generator: spec validation, turn structure, memoisation, determinism."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.changes import changes_from_yaml, changes_to_yaml
from enduro.scenarios.generator import generate_scenario, scenario_seed, scenario_turn
from enduro.scenarios.schema import Schema

DIGEST_SCRIPT = """
import hashlib
from enduro.scenarios.changes import changes_to_yaml
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.render.openapi import render_openapi
from enduro.scenarios.render.spec import render_spec
spec = GeneratorSpec(seed=11, scenarios=2, turns=30)
h = hashlib.sha256()
for scenario in range(2):
    for turn in generate_scenario(spec, scenario):
        for text in (turn.schema.to_yaml(), changes_to_yaml(turn.changes),
                     render_spec(turn), render_openapi(turn.schema)):
            h.update(text.encode())
print(h.hexdigest())
"""


def test_spec_speaks_camel_case_and_rejects_bad_values() -> None:
    spec = GeneratorSpec.model_validate(
        {"seed": 1, "scenarios": 2, "turns": 3, "changesPerTurn": 4}
    )
    assert spec.changes_per_turn == 4
    assert spec.model_dump(by_alias=True) == {
        "kind": "iterative-rest", "seed": 1, "scenarios": 2, "turns": 3, "changesPerTurn": 4,
        "sampler": "weighted",
    }  # fmt: skip
    for bad in ({"seed": -1}, {"scenarios": 0}, {"turns": 1001}, {"changesPerTurn": 21}):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            GeneratorSpec.model_validate({"seed": 0, "scenarios": 1, "turns": 1, **bad})
    with pytest.raises(ValidationError, match="extra"):
        GeneratorSpec.model_validate({"seed": 0, "scenarios": 1, "turns": 1, "colour": "red"})


def test_turn_one_is_the_initial_schema_and_later_turns_apply_their_changes() -> None:
    spec = GeneratorSpec(seed=3, scenarios=1, turns=12, changes_per_turn=4)
    turns = generate_scenario(spec, 0)
    assert [t.turn for t in turns] == list(range(1, 13))
    assert turns[0].changes == [] and turns[0].previous is None
    for before, after in itertools.pairwise(turns):
        assert after.previous is before.schema
        assert len(after.changes) == 4
        schema = before.schema
        for change in after.changes:
            schema = change.apply(schema)
        assert schema == after.schema
        assert after.domain == turns[0].domain == after.schema.domain


def test_scenario_turn_is_memoised_and_bounds_are_checked() -> None:
    spec = GeneratorSpec(seed=4, scenarios=2, turns=10)
    assert scenario_turn(spec, 1, 7) is scenario_turn(spec, 1, 7)
    assert scenario_turn(spec, 1, 7) is generate_scenario(spec, 1)[6]
    with pytest.raises(ValueError, match="turn 11"):
        scenario_turn(spec, 0, 11)
    with pytest.raises(ValueError, match="scenario 2"):
        scenario_turn(spec, 2, 1)


def test_early_turns_do_not_depend_on_the_number_of_turns() -> None:
    short = generate_scenario(GeneratorSpec(seed=9, scenarios=1, turns=5), 0)
    long = generate_scenario(GeneratorSpec(seed=9, scenarios=1, turns=20), 0)
    assert [t.schema for t in short] == [t.schema for t in long[:5]]


def test_scenarios_differ_and_seeds_are_stable_digests() -> None:
    spec = GeneratorSpec(seed=1, scenarios=3, turns=1)
    assert len({scenario_turn(spec, s, 1).schema.to_yaml() for s in range(3)}) == 3
    assert scenario_seed(1, 0) == scenario_seed(1, 0) != scenario_seed(1, 1)


@pytest.mark.slow
def test_output_is_identical_across_processes_and_hash_seeds() -> None:
    digests = set()
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT], env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        digests.add(proc.stdout.strip())
    assert len(digests) == 1


@pytest.mark.slow
def test_schemas_and_changes_round_trip_through_yaml_at_turn_100() -> None:
    spec = GeneratorSpec(seed=2, scenarios=2, turns=100)
    for scenario in range(2):
        turn = scenario_turn(spec, scenario, 100)
        text = turn.schema.to_yaml()
        assert Schema.from_yaml(text) == turn.schema
        assert Schema.from_yaml(text).to_yaml() == text
        assert changes_from_yaml(changes_to_yaml(turn.changes)) == turn.changes
