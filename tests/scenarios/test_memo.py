"""Identity memoisation and the text reuse built on it stay exact across turns."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

from enduro.api.generator import GeneratorSpec
from enduro.scenarios import yamltext
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.memo import Generations, by_identity
from enduro.scenarios.render.openapi import openapi_document, render_openapi
from enduro.scenarios.schema import Schema


def test_hits_only_for_the_same_object() -> None:
    calls: list[object] = []

    @by_identity(size=2)
    def render(obj: list[int]) -> str:
        calls.append(obj)
        return str(obj)

    a, b = [1], [1]
    assert render(a) == render(a) == "[1]"
    assert len(calls) == 1
    assert render(b) == "[1]" and len(calls) == 2, "an equal but distinct object is recomputed"
    render([2])
    render(a)
    assert len(calls) == 4, "a full cache starts over"


@pytest.mark.slow
def test_reused_text_equals_fresh_rendering_at_every_turn() -> None:
    spec = GeneratorSpec(seed=8, scenarios=1, turns=60)
    for turn in generate_scenario(spec, 0):
        schema = turn.schema
        dumped = schema.model_dump(mode="json", exclude_defaults=True)
        assert schema.to_yaml() == yamltext.dump(dumped), f"schema.yaml at turn {turn.turn}"
        loaded = yaml.load(render_openapi(schema), Loader=yaml.CSafeLoader)
        assert loaded == openapi_document(schema), f"openapi.yaml at turn {turn.turn}"


def test_a_schema_edited_in_place_is_rendered_afresh() -> None:
    """Renderers reuse text by node identity; an assignment to a node must not."""
    from enduro.scenarios.render.server import render_server
    from enduro.scenarios.render.suite import render_suite
    from enduro.scenarios.schema import FieldType

    spec = GeneratorSpec(seed=8, scenarios=1, turns=3)
    turn = generate_scenario(spec, 0)[-1]
    schema = turn.schema.model_copy(deep=True)  # nodes of its own, safe to edit
    ent, field = next(
        (e, f)
        for e in schema.entities
        for f in e.fields
        if f.type is FieldType.INTEGER and not f.read_only and f.computed is None
    )
    before = render_suite(turn.model_copy(update={"schema_": schema}))
    server_before = render_server(schema)["app.py"]
    field.maximum = 987654
    after = render_suite(turn.model_copy(update={"schema_": schema}))
    assert "987654" not in before[f"tests/test_{ent.name}.py"]
    assert "987654" in after[f"tests/test_{ent.name}.py"], "the edited bound is tested"
    assert "987654" not in server_before and "987654" in render_server(schema)["app.py"]


@dataclass
class _Copied:
    """A turn whose schemas are copies: no node is one a renderer has seen."""

    schema: Schema
    previous: Schema | None


@pytest.mark.slow
def test_remembered_suite_equals_fresh_rendering_at_every_turn() -> None:
    """Suite tests and whole modules are remembered by the identity of what they read;
    every turn, rendered after all the turns before it, equals the same turn rendered
    from copies of its schemas. Seed 1's first scenario has a delete chain whose far end
    changes while the entity it starts from does not (turn 4)."""
    from enduro.scenarios.render.suite import render_suite

    spec = GeneratorSpec(seed=1, scenarios=1, turns=30)
    for turn in generate_scenario(spec, 0):
        remembered = render_suite(turn)
        previous = None if turn.previous is None else turn.previous.model_copy(deep=True)
        fresh = render_suite(_Copied(turn.schema.model_copy(deep=True), previous))
        for path, text in fresh.items():
            assert remembered[path] == text, f"{path} at turn {turn.turn}"
        assert remembered.keys() == fresh.keys()


def test_a_module_of_the_same_groups_is_the_same_text() -> None:
    """A module made of remembered groups only (an entity's, the analytics') is the very
    text rendered before from the same groups, so an export knows its bytes and digest
    without encoding and hashing it again; copies of the schema get texts of their own."""
    from enduro.scenarios.render.suite import render_suite

    turn = generate_scenario(GeneratorSpec(seed=1, scenarios=1, turns=6), 0)[-1]
    first, again = render_suite(turn), render_suite(turn)
    direct = {"tests/conftest.py", "tests/test_paths.py", "tests/test_removed.py"}
    modules = [path for path in first if path not in direct]
    assert "tests/test_analytics.py" in modules and len(modules) > 2
    assert all(again[path] is first[path] for path in modules)
    previous = None if turn.previous is None else turn.previous.model_copy(deep=True)
    copied = render_suite(_Copied(turn.schema.model_copy(deep=True), previous))
    assert all(copied[path] == first[path] for path in modules)
    assert not any(copied[path] is first[path] for path in modules)


def test_generations_keep_what_is_read_and_forget_the_rest() -> None:
    memo: Generations[str, int] = Generations(size=2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("c", 3)  # the young generation was full: a and b are the old one now
    assert memo.get("a") == 1  # read again: back in the young generation
    memo.put("d", 4)  # full again (c, a): b is forgotten, c and a are old
    assert memo.get("b") is None
    assert (memo.get("a"), memo.get("c"), memo.get("d")) == (1, 3, 4)
