"""SPEC.md, CHANGES.md and openapi.yaml of generated turns."""

from __future__ import annotations

import pytest
import yaml
from catalogue_fixture import bookshop
from openapi_spec_validator import validate

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import ScenarioTurn, scenario_turn
from enduro.scenarios.render.changes import render_changes
from enduro.scenarios.render.openapi import openapi_document, render_openapi
from enduro.scenarios.render.spec import render_spec

SPEC = GeneratorSpec(seed=5, scenarios=3, turns=60)


@pytest.mark.parametrize(("scenario", "turn"), [(0, 1), (1, 20), (2, 60)])
def test_openapi_is_valid_and_matches_its_data(scenario: int, turn: int) -> None:
    schema = scenario_turn(SPEC, scenario, turn).schema
    loaded = yaml.safe_load(render_openapi(schema))
    validate(loaded)
    assert loaded == openapi_document(schema)
    for ent in schema.entities:
        assert f"/{ent.plural}" in loaded["paths"]
        for action in ent.actions:
            assert f"/{ent.plural}/{{id}}/{action.name}" in loaded["paths"]
    for an in schema.analytics:
        assert f"/analytics/{an.name}" in loaded["paths"]


def test_openapi_carries_field_constraints() -> None:
    doc = openapi_document(bookshop())
    book = doc["components"]["schemas"]["book"]["properties"]
    assert book["pages"]["minimum"] == 1
    assert book["title"]["maxLength"] == 200
    assert book["genre"]["enum"] == ["fiction", "poetry", None]
    assert book["status"]["readOnly"] is True
    create = doc["components"]["schemas"]["book.create"]
    assert create["required"] == ["title", "price"]
    assert "status" not in create["properties"]


@pytest.mark.parametrize(("scenario", "turn"), [(0, 1), (1, 30), (2, 60)])
def test_spec_mentions_everything_in_the_schema(scenario: int, turn: int) -> None:
    found = scenario_turn(SPEC, scenario, turn)
    text = render_spec(found)
    for ent in found.schema.entities:
        assert f"`/{ent.plural}`" in text
        for spec in ent.fields:
            assert f"`{spec.name}`" in text
        for action in ent.actions:
            assert f"`{action.name}`" in text
    for an in found.schema.analytics:
        assert f"/analytics/{an.name}" in text


def test_spec_states_constraints_references_and_listing() -> None:
    text = render_spec(ScenarioTurn(scenario=0, turn=1, domain="library", schema_=bookshop()))
    assert "`pages`: integer; optional; minimum 1" in text
    assert "`review.book_id` (`/reviews`): restrict" in text
    assert '`publish`: moves `status` from "draft" to "published"' in text
    assert "`GET /analytics/mean_sale_amount`" in text


def test_changes_md_asks_for_the_initial_api_then_lists_the_changes() -> None:
    first = scenario_turn(SPEC, 0, 1)
    assert "Implement the initial API" in render_changes(first)
    later = scenario_turn(SPEC, 0, 2)
    text = render_changes(later)
    for number, change in enumerate(later.changes, 1):
        assert f"{number}. {change.describe()}" in text


def test_openapi_datetime_pattern_is_the_generators() -> None:
    import re

    from enduro.scenarios.render import values
    from enduro.scenarios.render.openapi import DATETIME_PATTERN
    from enduro.scenarios.render.server import render_server

    assert f"^{values.DATETIME.pattern}$" == DATETIME_PATTERN
    assert values.DATETIME.pattern in render_server(bookshop())["app.py"]
    assert re.fullmatch(DATETIME_PATTERN, "2024-06-30T12:00:00.123456+02:00")
    assert not re.fullmatch(DATETIME_PATTERN, "2024-06-30T12:00:00.1234567")


def test_openapi_marks_only_fields_that_can_be_null_as_nullable() -> None:
    schema = bookshop()
    doc = yaml.safe_load(render_openapi(schema))
    assert doc == openapi_document(schema)
    for ent in schema.entities:
        props = doc["components"]["schemas"][ent.name]["properties"]
        for spec in ent.fields:
            kind = props[spec.name]["type"]
            nullable = isinstance(kind, list) and "null" in kind
            if spec.computed is None and not spec.read_only:
                assert nullable == (not spec.required), (ent.name, spec.name)
            elif spec.computed is None:
                assert not nullable, (ent.name, spec.name)  # a state field has a default
    book = doc["components"]["schemas"]["book"]["properties"]
    assert book["title"]["type"] == "string"
    assert book["status"]["type"] == "string"
    assert None not in book["status"]["enum"]


def test_spec_and_conventions_state_the_rules_the_suite_relies_on() -> None:
    from pathlib import Path

    spec = render_spec(ScenarioTurn(scenario=0, turn=1, domain="library", schema_=bookshop()))
    docs = (Path(__file__).parents[2] / "docs" / "rest-conventions.md").read_text()
    spec_rules = [
        "an\n  enum's order of choices plays no part",
        "`false` before `true`",
        "offsets applied",
        "`null` in a `_min`/`_max` bound are `422` naming the\n  query parameter",
        "(cascade\n  wins)",
        "the first failure in the order above",
        "A field\n  that CHANGES.md adds goes last",
        "deleted objects never do",
        "`offset` 0: the first page",
    ]
    for rule in spec_rules:
        assert rule in spec, rule
    doc_rules = [
        "an enum's order of choices plays no part",
        "offsets applied",
        '`"field"` naming the query parameter',
        "(cascade\nwins)",
        "The `422` names the first failure in this order",
        "A field\n  a change adds goes last",
        "a deleted object never does",
        "Without `offset` a page starts at the first object",
    ]
    for rule in doc_rules:
        assert rule in docs, rule
