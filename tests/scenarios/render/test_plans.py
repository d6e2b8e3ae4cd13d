"""Action plans: the path to a state and the values and related objects guards need."""

from __future__ import annotations

from library import library

from enduro.scenarios.render.plans import _plan, path_to, plan, reachable
from enduro.scenarios.schema import CompareOp, FieldGuard, RelatedGuard


def test_the_shortest_path_reaches_each_state() -> None:
    book = library().entity("book")
    assert [a.name for a in path_to(book, "status", "published") or []] == ["submit", "publish"]
    assert path_to(book, "status", "draft") == []
    assert reachable(book, "status") == ["draft", "review", "published", "archived"]


def test_a_remembered_path_is_the_same_entity_s_and_a_fresh_list() -> None:
    book = library().entity("book")
    first = path_to(book, "status", "published")
    assert first is not None
    first.clear()  # a caller's edits do not reach the remembered path
    assert [a.name for a in path_to(book, "status", "published") or []] == ["submit", "publish"]
    other = book.model_copy(update={"actions": book.actions[:1]})  # same name, other object
    assert path_to(other, "status", "published") is None


def test_a_success_plan_meets_every_guard_on_the_way() -> None:
    schema = library()
    book = schema.entity("book")
    publish = next(a for a in book.actions if a.name == "publish")
    found = plan(schema, book, "status", "review", list(publish.guards), [])
    assert found is not None
    assert [a.name for a in found.path] == ["submit"]
    assert found.overrides["pages"] >= 10  # type: ignore[operator]
    assert found.overrides["price"] < 1000  # type: ignore[operator]
    assert found.overrides["genre"] != "history"
    assert [c.entity.name for c in found.children] == ["copy"]  # one available copy


def test_a_failing_plan_breaks_only_the_chosen_guard() -> None:
    schema = library()
    book = schema.entity("book")
    publish = next(a for a in book.actions if a.name == "publish")
    related = next(g for g in publish.guards if isinstance(g, RelatedGuard))
    others = [g for g in publish.guards if g is not related]
    found = plan(schema, book, "status", "review", others, [related])
    assert found is not None
    # At the bound: one copy, but not an available one, so the related guard fails.
    assert [c.plan.path[-1].to_state for c in found.children] == ["lent"]
    field_guard = next(g for g in publish.guards if isinstance(g, FieldGuard))
    found = plan(schema, book, "status", "review", [related], [field_guard])
    assert found is not None and found.overrides["genre"] == "history"


def test_children_are_moved_into_the_counted_states() -> None:
    schema = library()
    book = schema.entity("book")
    guard = RelatedGuard(
        entity="copy", via="book_id", op="gte", count=2, state_field="state", states=["lent"]
    )
    found = plan(schema, book, None, None, [guard], [])
    assert found is not None
    assert [[a.name for a in c.plan.path] for c in found.children] == [["lend"], ["lend"]]


def test_a_remembered_plan_equals_a_fresh_one_and_is_a_copy() -> None:
    schema = library()
    book = schema.entity("book")
    for action in book.actions:
        for start in reachable(book, action.field):
            for hold, fail in ((list(action.guards), []), ([], list(action.guards[:1]))):
                first = plan(schema, book, action.field, start, hold, fail)
                assert first == _plan(schema, book, action.field, start, hold, fail, 0)
                if first is not None:
                    first.overrides["pages"] = -1  # a caller's edit
                    first.children.clear()
                    first.path.clear()
                again = plan(schema, book, action.field, start, hold, fail)
                assert again == _plan(schema, book, action.field, start, hold, fail, 0)


def test_a_plan_is_remembered_by_the_guards_values_and_the_schema_s_entities() -> None:
    schema = library()
    book = schema.entity("book")
    at_least = [FieldGuard(field="pages", op=CompareOp.GTE, value=v) for v in (10, 20)]
    planned = [plan(schema, book, None, None, [guard], []) for guard in at_least]
    assert [p.overrides["pages"] for p in planned if p is not None] == [10, 20]
    lent = RelatedGuard(
        entity="copy", via="book_id", op="gte", count=2, state_field="state", states=["lent"]
    )
    assert plan(schema, book, None, None, [lent], []) is not None
    # The same book, but copies can no longer be lent: its plan is not the one before.
    stuck = schema.entity("copy").model_copy(update={"actions": []})
    entities = [stuck if e.name == "copy" else e for e in schema.entities]
    assert (
        plan(schema.model_copy(update={"entities": entities}), book, None, None, [lent], []) is None
    )
