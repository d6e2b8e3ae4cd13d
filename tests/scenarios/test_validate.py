"""Validation of turns: own suites pass, and each behaviour change is caught by the new
suite running against the previous ground truth (hand-made pairs and generated turns)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "render"))

from library import small

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    CompareOp,
    Computed,
    ComputedKind,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    ListFilter,
    OnDelete,
    Pagination,
    Schema,
)
from enduro.scenarios.validate import (
    TurnPair,
    load_schemas,
    pairs,
    report_lines,
    validate_turns,
)


def _book(s: Schema):  # type: ignore[no-untyped-def]
    return s.entity("book")


CHANGES: dict[str, Callable[[Schema], None]] = {
    "field_added": lambda s: _book(s).fields.insert(
        4, FieldSpec(name="subtitle", type=FieldType.STRING)
    ),
    "field_removed": lambda s: _book(s).fields.remove(_book(s).field("price")),
    "maximum_tightened": lambda s: setattr(_book(s).field("pages"), "maximum", 4000),
    "minimum_relaxed": lambda s: setattr(_book(s).field("pages"), "minimum", 0),
    "made_optional": lambda s: setattr(_book(s).field("pages"), "required", False),
    "made_required": lambda s: setattr(_book(s).field("price"), "required", True),
    "default_changed": lambda s: setattr(_book(s).field("genre"), "default", "science"),
    "choice_removed": lambda s: _book(s).field("genre").choices.remove("history"),
    "choice_added": lambda s: _book(s).field("genre").choices.append("poetry"),
    "unique_dropped": lambda s: setattr(_book(s).field("isbn"), "unique", False),
    "unique_added": lambda s: setattr(_book(s).field("price"), "unique", True),
    "pattern_dropped": lambda s: setattr(_book(s).field("isbn"), "pattern", None),
    "max_length_added": lambda s: setattr(s.entity("author").field("email"), "max_length", 30),
    "cascade_to_restrict": lambda s: setattr(
        _book(s).field("author_id"), "on_delete", OnDelete.RESTRICT
    ),
    "filter_added": lambda s: _book(s).listing.filters.append(
        ListFilter(field="price", op=FilterOp.LTE)
    ),
    "filter_removed": lambda s: _book(s).listing.filters.pop(0),
    "sort_added": lambda s: _book(s).listing.sort_fields.append("price"),
    "sort_removed": lambda s: _book(s).listing.sort_fields.clear(),
    "pagination_added": lambda s: setattr(
        _book(s).listing, "pagination", Pagination(default_limit=3, max_limit=5)
    ),
    "guard_added": lambda s: (
        _book(s).actions[0].guards.append(FieldGuard(field="price", op=CompareOp.IS_SET))
    ),
    "guard_removed": lambda s: _book(s).actions[0].guards.clear(),
    "action_added": lambda s: _book(s).actions.append(
        Action(name="publish", field="status", from_states=["review"], to_state="published")
    ),
    "target_state_changed": lambda s: setattr(_book(s).actions[0], "to_state", "published"),
    "computed_added": lambda s: _book(s).fields.append(
        FieldSpec(
            name="title_length",
            type=FieldType.INTEGER,
            read_only=True,
            computed=Computed(kind=ComputedKind.LENGTH, inputs=["title"]),
        )
    ),
    "analytics_added": lambda s: s.analytics.append(
        Analytics(name="book_count", entity="book", op=AggregateOp.COUNT)
    ),
    "analytics_op_changed": lambda s: setattr(s.analytics[0], "op", AggregateOp.MAX),
    "analytics_removed": lambda s: s.analytics.clear(),
    "plural_renamed": lambda s: setattr(s.entity("author"), "plural", "writers"),
}


def _pair(change: Callable[[Schema], None]) -> TurnPair:
    after = small()
    change(after)
    assert after.check() == []
    return TurnPair(schema=after, previous=small())


@pytest.mark.slow
def test_every_hand_made_change_is_caught_by_the_new_suite() -> None:
    turns = [_pair(change) for change in CHANGES.values()]
    result = validate_turns(turns, sensitivity=True)
    assert result.all_pass, [(r.turn, r.failures[:2], r.error) for r in result.runs if not r.ok]
    missed = [
        name
        for name, run in zip(CHANGES, result.sensitivity, strict=True)
        if run.error is not None or run.passed == run.tests
    ]
    assert missed == []
    assert result.detected() == (len(CHANGES), len(CHANGES))


def test_an_unchanged_turn_is_not_counted_for_sensitivity(tmp_path: Path) -> None:
    schemas = [small(), small()]
    for index, schema in enumerate(schemas):
        (tmp_path / f"turn-{index + 1:03d}.yaml").write_text(schema.to_yaml())
    loaded = load_schemas(tmp_path)
    assert loaded == schemas
    result = validate_turns(pairs(loaded), sensitivity=True)
    assert [run.ok for run in result.runs] == [True, True]
    assert result.sensitivity == []
    lines = list(report_lines(result))
    assert lines[-2] == "turns passing their own suite: 2/2"


def test_a_broken_turn_is_reported_not_raised() -> None:
    schema = small()
    schema.entity("book").field("isbn").pattern = "(?!)"  # matches nothing: unrenderable
    result = validate_turns([TurnPair(schema=schema, previous=None)])
    assert not result.all_pass
    assert result.runs[0].error is not None and "isbn" in result.runs[0].error


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_turns_pass_their_own_suites(seed: int) -> None:
    spec = GeneratorSpec(seed=seed, scenarios=1, turns=30)
    result = validate_turns(generate_scenario(spec, 0))
    failing = [(r.turn, r.error, r.failures[:2]) for r in result.runs if not r.ok]
    assert failing == []


@pytest.mark.slow
def test_generated_changes_are_caught_by_the_next_suite() -> None:
    spec = GeneratorSpec(seed=3, scenarios=1, turns=12)
    result = validate_turns(generate_scenario(spec, 0), sensitivity=True)
    assert result.all_pass
    detected, checked = result.detected()
    assert checked == 11
    assert detected == checked


def test_the_cli_validates_a_directory_of_turn_schemas(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from enduro.cli import app

    before, after = small(), small()
    CHANGES["maximum_tightened"](after)
    (tmp_path / "turn-001.yaml").write_text(before.to_yaml())
    (tmp_path / "turn-002.yaml").write_text(after.to_yaml())
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "turns passing their own suite: 2/2" in result.output
    assert "changed turns whose suite fails the previous ground truth: 1/1" in result.output


def test_the_cli_names_a_missing_source(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from enduro.cli import app

    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "nowhere" in result.output


def test_ground_truth_is_compiled_like_python_app_py_compiles_it() -> None:
    """The validator's own ``from __future__ import annotations`` must not leak into the
    ground truth: an annotation naming nothing fails at import under ``sh run.sh``."""
    from suite_runs import run_suites

    from enduro.scenarios.render.server import render_server
    from enduro.scenarios.render.suite import render_suite

    schema = small()
    source = render_server(schema)["app.py"]
    suite = render_suite(TurnPair(schema=schema, previous=None))
    hint = "def lazy_hint() -> NotDefinedAnywhere:\n    return None\n\n\n"
    relying = source.replace("\ndef next_id(", "\n" + hint + "def next_id(")
    assert relying != source
    explicit = "from __future__ import annotations\n" + relying
    broken, fine = run_suites([(relying, suite, "create"), (explicit, suite, "create")])
    assert broken.error is not None and "did not start" in broken.error
    assert fine.error is None and fine.tests > 0 and fine.passed == fine.tests, fine.failures[:2]
