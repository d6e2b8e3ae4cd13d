"""The change catalogue: every kind applies, stays pure and consistent, describes itself,
changes the API's observable surface, and refuses what it cannot do."""

from __future__ import annotations

import pytest
from catalogue_fixture import bookshop

from enduro.scenarios.changes import (
    CHANGE_KINDS,
    AddAction,
    AddAnalytics,
    AddComputedField,
    AddEntity,
    AddEnumField,
    AddEnumValue,
    AddField,
    AddFieldGuard,
    AddFilter,
    AddPagination,
    AddReference,
    AddRelatedGuard,
    AddSorting,
    AddUnique,
    Change,
    ChangeNotApplicableError,
    ChangeOnDelete,
    ExtendAction,
    MakeOptional,
    MakeRequired,
    RemoveAnalytics,
    RemoveEntity,
    RemoveField,
    RenameEntity,
    RenameField,
    SetDefault,
    SetLengthBounds,
    SetMaximum,
    SetMinimum,
    SetPattern,
    changes_from_yaml,
    changes_to_yaml,
)
from enduro.scenarios.render.openapi import openapi_document
from enduro.scenarios.schema import (
    AggregateOp,
    Analytics,
    CompareOp,
    Computed,
    ComputedKind,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    OnDelete,
    RelatedGuard,
)

# (change, a phrase its description must contain)
APPLICABLE: list[tuple[Change, str]] = [
    (
        AddEntity(
            entity=Entity(
                name="shelf",
                plural="shelves",
                title_field="label",
                fields=[FieldSpec(name="label", type=FieldType.STRING, required=True)],
            )
        ),
        "`/shelves`",
    ),
    (RenameEntity(entity="author", new_name="writer", new_plural="writers"), "`/writers`"),
    (RemoveEntity(entity="review", plural="reviews"), "`/reviews` must now answer 404"),
    (
        AddField(entity="book", field=FieldSpec(name="summary", type=FieldType.STRING)),
        "`summary`",
    ),
    (
        AddEnumField(
            entity="author",
            field=FieldSpec(name="tier", type=FieldType.ENUM, choices=["basic", "gold"]),
        ),
        '"gold"',
    ),
    (RenameField(entity="book", field="price", new_name="list_price"), "`list_price`"),
    (RemoveField(entity="book", field="isbn"), "rejected with 422"),
    (SetMinimum(entity="book", field="pages", value=10), "minimum of `pages`"),
    (SetMinimum(entity="book", field="pages", value=None), "Remove the minimum"),
    (SetMaximum(entity="book", field="price", value=99.5), "to 99.5"),
    (SetLengthBounds(entity="book", field="isbn", min_length=10, max_length=13), "at least 10"),
    (SetPattern(entity="book", field="isbn", pattern="[0-9]{5}"), "`[0-9]{5}`"),
    (MakeRequired(entity="book", field="isbn"), "required"),
    (MakeOptional(entity="book", field="price"), "optional"),
    (SetDefault(entity="book", field="genre", value="poetry"), '"poetry"'),
    (AddUnique(entity="book", field="isbn"), "409"),
    (AddEnumValue(entity="book", field="genre", value="history"), '"history"'),
    (
        AddReference(
            entity="review", field="author_id", target="author", on_delete=OnDelete.SET_NULL
        ),
        "this field becomes null",
    ),
    (
        ChangeOnDelete(
            entity="book", field="author_id", target="author", on_delete=OnDelete.RESTRICT
        ),
        "to restrict",
    ),
    (
        AddAction(
            entity="review", action="approve", field="moderation", initial="new", to_state="ok"
        ),
        "/approve",
    ),
    (
        ExtendAction(
            entity="book",
            field="status",
            action="archive",
            from_states=["published"],
            to_state="archived",
        ),
        '"archived"',
    ),
    (
        AddFieldGuard(
            entity="book",
            action="publish",
            guard=FieldGuard(field="pages", op=CompareOp.GTE, value=5),
        ),
        "`pages` is at least 5",
    ),
    (
        AddRelatedGuard(
            entity="book",
            action="publish",
            guard=RelatedGuard(entity="review", via="book_id", op=CompareOp.GTE, count=1),
            related_plural="reviews",
        ),
        '"field": "reviews"',
    ),
    (AddFilter(entity="book", field="pages", op=FilterOp.GTE, plural="books"), "`pages_min`"),
    (AddSorting(entity="book", field="price", plural="books"), "?sort=-price"),
    (AddPagination(entity="book", plural="books", default_limit=10, max_limit=50), "1 to 50"),
    (
        AddAnalytics(
            analytics=Analytics(
                name="books_by_genre", entity="book", op=AggregateOp.COUNT, group_by="genre"
            )
        ),
        "/analytics/books_by_genre",
    ),
    (RemoveAnalytics(name="mean_sale_amount"), "404"),
    (
        AddComputedField(
            entity="author",
            field="book_count",
            computed=Computed(kind=ComputedKind.RELATED_COUNT, entity="book", via="author_id"),
        ),
        "`book_count`",
    ),
    (
        AddComputedField(
            entity="book",
            field="title_length",
            computed=Computed(kind=ComputedKind.LENGTH, inputs=["title"]),
        ),
        "number of characters",
    ),
]

# (change, a phrase of the reason it does not apply to bookshop())
REFUSED: list[tuple[Change, str]] = [
    (
        AddEntity(
            entity=Entity(
                name="book",
                plural="tomes",
                title_field="title",
                fields=[FieldSpec(name="title", type=FieldType.STRING)],
            )
        ),
        "already exists",
    ),
    (
        AddField(entity="book", field=FieldSpec(name="isbn", type=FieldType.STRING)),
        "already exists",
    ),
    (
        AddEnumField(entity="book", field=FieldSpec(name="mood", type=FieldType.STRING)),
        "adds an enum field",
    ),
    (RenameField(entity="book", field="isbn", new_name="pages"), "already exists"),
    (MakeOptional(entity="book", field="status"), "read-only"),
    (SetMaximum(entity="book", field="pages", value=0), "minimum would exceed"),
    (RenameEntity(entity="author", new_name="book", new_plural="books2"), "already exists"),
    (RemoveEntity(entity="author", plural="authors"), "references it"),
    (RemoveEntity(entity="book", plural="books"), "references it"),
    (RemoveField(entity="book", field="title"), "title field"),
    (RemoveField(entity="book", field="status"), "state field"),
    (RemoveField(entity="book", field="price"), "analytics 'mean_sale_amount'"),
    (SetMinimum(entity="book", field="isbn", value=1), "not numeric"),
    (SetMinimum(entity="book", field="pages", value=1.5), "whole-number"),
    (SetMinimum(entity="book", field="pages", value=1), "already"),
    (SetLengthBounds(entity="book", field="title", min_length=None, max_length=10), ">= 24"),
    (SetPattern(entity="book", field="title", pattern="[a-z]+"), "title field"),
    (SetPattern(entity="book", field="isbn", pattern="("), "does not compile"),
    (MakeRequired(entity="book", field="price"), "already required"),
    (MakeOptional(entity="book", field="isbn"), "already optional"),
    (SetDefault(entity="book", field="pages", value=0), "not a valid value"),
    (SetDefault(entity="book", field="price", value=1.0), "required"),
    (AddUnique(entity="book", field="genre"), "makes no sense"),
    (AddUnique(entity="book", field="title"), "title field"),
    (AddEnumValue(entity="book", field="genre", value="poetry"), "already a choice"),
    (AddEnumValue(entity="book", field="status", value="gone"), "read-only"),
    (
        AddReference(
            entity="author", field="review_id", target="review", on_delete=OnDelete.CASCADE
        ),
        "cycle",
    ),
    (
        AddReference(
            entity="review",
            field="author_id",
            target="author",
            on_delete=OnDelete.SET_NULL,
            required=True,
        ),
        "optional",
    ),
    (
        ChangeOnDelete(
            entity="book", field="author_id", target="author", on_delete=OnDelete.CASCADE
        ),
        "already",
    ),
    (
        ChangeOnDelete(entity="book", field="pages", target="author", on_delete=OnDelete.CASCADE),
        "not a reference",
    ),
    (
        AddAction(entity="book", action="publish", field="phase", initial="a", to_state="b"),
        "exists",
    ),
    (
        ExtendAction(
            entity="book", field="genre", action="x", from_states=["fiction"], to_state="y"
        ),
        "not a state field",
    ),
    (
        AddFieldGuard(
            entity="book",
            action="publish",
            guard=FieldGuard(field="genre", op=CompareOp.GT, value=1),
        ),
        "numeric",
    ),
    (
        AddFieldGuard(
            entity="book", action="publish", guard=FieldGuard(field="price", op=CompareOp.IS_SET)
        ),
        "always set",
    ),
    (
        AddRelatedGuard(
            entity="author",
            action="publish",
            guard=RelatedGuard(entity="book", via="author_id", op=CompareOp.EQ, count=0),
            related_plural="books",
        ),
        "does not exist",
    ),
    (AddFilter(entity="book", field="genre", op=FilterOp.GTE, plural="books"), "does not apply"),
    (AddSorting(entity="book", field="title", plural="volumes"), "served at /books"),
    (AddPagination(entity="book", plural="books", default_limit=60, max_limit=50), "limits"),
    (
        AddAnalytics(
            analytics=Analytics(name="mean_sale_amount", entity="book", op=AggregateOp.COUNT)
        ),
        "already exists",
    ),
    (RemoveAnalytics(name="nope"), "does not exist"),
    (
        AddComputedField(
            entity="book",
            field="pages_and_genre",
            computed=Computed(kind=ComputedKind.SUM, inputs=["pages", "genre"]),
        ),
        "wrong type",
    ),
]


def test_the_catalogue_has_at_least_twenty_kinds_and_every_kind_is_covered() -> None:
    assert len(CHANGE_KINDS) >= 20
    assert {change.kind for change, _ in APPLICABLE} == set(CHANGE_KINDS)
    assert {change.kind for change, _ in REFUSED} == set(CHANGE_KINDS)


@pytest.mark.parametrize(("change", "phrase"), APPLICABLE, ids=lambda x: getattr(x, "kind", ""))
def test_a_change_applies_purely_and_consistently(change: Change, phrase: str) -> None:
    schema = bookshop()
    before = schema.model_dump()
    assert change.precondition(schema) is None
    result = change.apply(schema)
    assert schema.model_dump() == before, "apply() must not modify its input"
    assert result.check() == []
    assert openapi_document(result) != openapi_document(schema), "no observable change"
    assert phrase in change.describe()


@pytest.mark.parametrize(("change", "phrase"), REFUSED, ids=lambda x: getattr(x, "kind", ""))
def test_a_change_that_does_not_fit_is_refused_with_a_reason(change: Change, phrase: str) -> None:
    schema = bookshop()
    reason = change.precondition(schema)
    assert reason is not None and phrase in reason
    with pytest.raises(ChangeNotApplicableError, match=change.kind):
        change.apply(schema)


def test_renaming_a_field_follows_every_reference_to_it() -> None:
    schema = bookshop()
    schema = AddFilter(entity="book", field="price", op=FilterOp.LTE, plural="books").apply(schema)
    schema = AddSorting(entity="book", field="price", plural="books").apply(schema)
    renamed = RenameField(entity="book", field="price", new_name="list_price").apply(schema)
    book = renamed.entity("book")
    assert [f.field for f in book.listing.filters] == ["list_price"]
    assert book.listing.sort_fields == ["list_price"]
    assert renamed.analytics[0].field == "list_price"


def test_renaming_a_reference_follows_the_other_entities_that_count_through_it() -> None:
    schema = bookshop()
    counted = RelatedGuard(entity="review", via="book_id", op=CompareOp.GTE, count=1)
    reviews = FieldSpec(
        name="review_count",
        type=FieldType.INTEGER,
        read_only=True,
        computed=Computed(kind=ComputedKind.RELATED_COUNT, entity="review", via="book_id"),
    )
    book = schema.entity("book")
    publish = book.actions[0].model_copy(update={"guards": [counted]})
    book = book.model_copy(update={"fields": [*book.fields, reviews], "actions": [publish]})
    by_book = Analytics(name="reviews_by_book", entity="review", op=AggregateOp.COUNT)
    by_book = by_book.model_copy(update={"group_by": "book_id"})
    schema = schema.model_copy(
        update={
            "entities": [book if e.name == "book" else e for e in schema.entities],
            "analytics": [*schema.analytics, by_book],
        }
    )
    renamed = RenameField(entity="review", field="book_id", new_name="work_id").apply(schema)
    book = renamed.entity("book")
    assert isinstance(book.actions[0].guards[0], RelatedGuard)
    assert book.actions[0].guards[0].via == "work_id"
    assert book.field("review_count").computed == Computed(
        kind=ComputedKind.RELATED_COUNT, entity="review", via="work_id"
    )
    assert renamed.entity("review").has_field("work_id")
    assert renamed.analytics[1].group_by == "work_id"
    # What does not name the field stays the very same object (renderers reuse its text).
    assert renamed.entity("author") is schema.entity("author")
    assert renamed.analytics[0] is schema.analytics[0]


def test_renaming_an_entity_moves_references_and_analytics() -> None:
    renamed = RenameEntity(entity="book", new_name="volume", new_plural="volumes").apply(bookshop())
    assert renamed.entity("review").field("book_id").target == "volume"
    assert renamed.analytics[0].entity == "volume"
    assert not renamed.has_entity("book")


def test_unchanged_entities_are_shared_not_copied() -> None:
    schema = bookshop()
    result = AddField(entity="book", field=FieldSpec(name="summary", type=FieldType.STRING)).apply(
        schema
    )
    assert result.entity("author") is schema.entity("author")
    assert result.entity("book") is not schema.entity("book")


def test_changes_round_trip_through_yaml_and_unknown_kinds_are_named() -> None:
    changes = [change for change, _ in APPLICABLE]
    assert changes_from_yaml(changes_to_yaml(changes)) == changes
    with pytest.raises(ValueError, match="make_coffee"):
        changes_from_yaml("- kind: make_coffee\n  entity: book\n")


def test_a_guard_that_could_never_fail_or_never_pass_is_refused() -> None:
    schema = SetMinimum(entity="book", field="price", value=10).apply(bookshop())

    def guard(op: CompareOp, value: int) -> AddFieldGuard:
        return AddFieldGuard(
            entity="book", action="publish", guard=FieldGuard(field="price", op=op, value=value)
        )

    assert "every valid value" in (guard(CompareOp.GTE, 5).precondition(schema) or "")
    assert "no valid value" in (guard(CompareOp.LT, 10).precondition(schema) or "")
    assert guard(CompareOp.GTE, 20).precondition(schema) is None
    optional = MakeOptional(entity="book", field="price").apply(schema)
    assert guard(CompareOp.GTE, 5).precondition(optional) is None, "null fails the guard"


def test_a_unique_number_keeps_an_open_range() -> None:
    bounded = SetMaximum(entity="book", field="pages", value=50).apply(bookshop())
    assert "open range" in (AddUnique(entity="book", field="pages").precondition(bounded) or "")
    unique = AddUnique(entity="book", field="pages").apply(bookshop())
    refused = SetMaximum(entity="book", field="pages", value=50).precondition(unique)
    assert refused is not None and "open" in refused
    assert SetMinimum(entity="book", field="pages", value=5).precondition(unique) is None
