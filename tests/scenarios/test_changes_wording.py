"""CHANGES.md reads as one document (issue #16): no change of a turn names what another
change of the same turn renames or removes, no guard repeats another, no identifier is
cut short, and analytics names keep saying what they aggregate."""

from __future__ import annotations

import itertools

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.scenarios import turn_rules
from enduro.scenarios import vocabulary as vocab
from enduro.scenarios.changes import (
    AddField,
    AddFieldGuard,
    AddFilter,
    RemoveField,
    RenameEntity,
    RenameField,
)
from enduro.scenarios.changes.actions import redundant
from enduro.scenarios.generator import ScenarioTurn, generate_scenario
from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    CompareOp,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    Schema,
)

SEEDS = [21, 22]
SPEC_TURNS = 40


@pytest.fixture(scope="module")
def turns() -> list[ScenarioTurn]:
    found: list[ScenarioTurn] = []
    for seed in SEEDS:
        spec = GeneratorSpec(seed=seed, scenarios=3, turns=SPEC_TURNS)
        for scenario in range(3):
            found += generate_scenario(spec, scenario)
    return found


def test_a_rename_or_removal_keeps_the_rest_of_its_turn_off_the_name() -> None:
    price = FieldSpec(name="price", type=FieldType.NUMBER)
    rename = RenameField(entity="book", field="price", new_name="cost")

    def filter_on(entity: str, field: str) -> AddFilter:
        return AddFilter(entity=entity, field=field, op=FilterOp.EQ, plural=entity + "s")

    added = AddField(entity="book", field=price)
    assert turn_rules.clash(filter_on("book", "price"), rename)
    assert turn_rules.clash(rename, filter_on("book", "cost"))
    assert turn_rules.clash(added, RemoveField(entity="book", field="price"))
    assert not turn_rules.clash(added, filter_on("book", "price"))
    assert not turn_rules.clash(rename, filter_on("author", "price"))
    moved = RenameEntity(entity="book", new_name="volume", new_plural="volumes")
    assert turn_rules.clash(added, moved)


def test_generated_turns_never_name_what_the_same_turn_renames_or_removes(
    turns: list[ScenarioTurn],
) -> None:
    clashes = [
        (turn.scenario, turn.turn, a.kind, b.kind)
        for turn in turns
        for a, b in itertools.combinations(turn.changes, 2)
        if turn_rules.clash(a, b)
    ]
    assert clashes == []


def test_a_guard_implied_by_or_implying_another_is_refused() -> None:
    at_most = FieldGuard(field="pages", op=CompareOp.LTE, value=2)
    less = FieldGuard(field="pages", op=CompareOp.LT, value=2)
    assert redundant([at_most], less)
    assert redundant([less], at_most)
    assert redundant([FieldGuard(field="pages", op=CompareOp.GTE, value=10)],
                     FieldGuard(field="pages", op=CompareOp.GT, value=5))  # fmt: skip
    range_top = FieldGuard(field="pages", op=CompareOp.LTE, value=4000)
    assert not redundant([FieldGuard(field="pages", op=CompareOp.GT, value=20)], range_top)
    assert not redundant([FieldGuard(field="price", op=CompareOp.LT, value=2)], at_most)
    book = Entity(
        name="book", plural="books", title_field="title",
        fields=[
            FieldSpec(name="title", type=FieldType.STRING, required=True),
            FieldSpec(name="pages", type=FieldType.INTEGER),
            FieldSpec(name="status", type=FieldType.ENUM, read_only=True, default="draft",
                      choices=["draft", "done"]),
        ],
        actions=[Action(name="finish", field="status", from_states=["draft"], to_state="done",
                        guards=[at_most])],
    )  # fmt: skip
    schema = Schema(domain="library", entities=[book])
    reason = AddFieldGuard(entity="book", action="finish", guard=less).precondition(schema)
    assert reason is not None and "same thing" in reason


def test_generated_actions_never_repeat_a_guard(turns: list[ScenarioTurn]) -> None:
    repeated = [
        (turn.scenario, turn.turn, ent.name, action.name)
        for turn in turns
        for ent in turn.schema.entities
        for action in ent.actions
        for index, guard in enumerate(action.guards)
        if redundant(list(action.guards[:index]), guard)
    ]
    assert repeated == []


def test_renaming_what_an_analytics_endpoint_is_named_after_is_refused() -> None:
    book = Entity(
        name="book", plural="books", title_field="title",
        fields=[FieldSpec(name="title", type=FieldType.STRING, required=True),
                FieldSpec(name="pages", type=FieldType.INTEGER)],
    )  # fmt: skip
    schema = Schema(
        domain="library",
        entities=[book],
        analytics=[Analytics(name="total_pages", entity="book", op=AggregateOp.SUM,
                             field="pages")],
    )  # fmt: skip
    assert RenameField(entity="book", field="pages", new_name="leaves").precondition(schema)
    moved = RenameEntity(entity="book", new_name="volume", new_plural="volumes")
    assert moved.precondition(schema) is None  # "total_pages" does not name books
    counted = schema.model_copy(
        update={"analytics": [Analytics(name="count_books", entity="book", op=AggregateOp.COUNT)]}
    )
    assert moved.precondition(counted) is not None


def test_generated_names_are_whole_and_say_what_they_aggregate(
    turns: list[ScenarioTurn],
) -> None:
    wrong = []
    for turn in turns:
        for an in turn.schema.analytics:
            ent = turn.schema.entity(an.entity)
            stem = f"{vocab.ANALYTICS_PREFIX[an.op.value]}_{an.field or ent.plural}"
            if an.group_by is not None:
                stem += f"_by_{an.group_by}"
            if not an.name.startswith(stem):
                wrong.append((turn.scenario, turn.turn, an.name, stem))
        for ent in turn.schema.entities:
            for spec in ent.fields:
                computed = spec.computed
                counts = computed is not None and computed.kind.value == "related_count"
                if counts and not spec.name.endswith("_count"):
                    wrong.append((turn.scenario, turn.turn, spec.name, "..._count"))
    assert wrong == []
