"""Consistency rules added for the generator: valid defaults, distinct query parameters."""

from __future__ import annotations

from catalogue_fixture import bookshop

from enduro.scenarios.schema import FieldSpec, FieldType, FilterOp, ListFilter, RelatedGuard, Schema


def test_a_default_must_satisfy_its_own_constraints() -> None:
    schema = bookshop()
    book = schema.entity("book")
    book.fields = [
        *book.fields,
        FieldSpec(name="copies", type=FieldType.INTEGER, minimum=1, default=0),
    ]
    assert "field book.copies: default 0 violates the field's own constraints" in schema.check()


def test_list_filter_parameters_must_not_collide() -> None:
    schema = bookshop()
    book = schema.entity("book")
    book.fields = [*book.fields, FieldSpec(name="pages_min", type=FieldType.INTEGER)]
    book.listing.filters = [ListFilter(field="pages", op=FilterOp.GTE)]
    assert (
        "entity 'book': query parameter 'pages_min' collides with the field of that name"
        in schema.check()
    )
    book.fields = book.fields[:-1]
    book.listing.filters = [ListFilter(field="pages", op=FilterOp.GTE)] * 2
    assert "duplicate query parameter of entity 'book' 'pages_min'" in schema.check()


def test_a_unique_number_has_no_maximum() -> None:
    schema = bookshop()
    book = schema.entity("book")
    book.fields = [
        *book.fields,
        FieldSpec(name="code", type=FieldType.INTEGER, unique=True, maximum=99),
    ]
    assert "field book.code: a unique number needs an open range (no maximum)" in schema.check()


def test_an_unchanged_entity_is_checked_again_when_an_entity_it_names_changes() -> None:
    # Entities' problems are remembered by the entity and the entities it names: the
    # same book object must be reported once its author is gone, or is another object.
    schema = bookshop()
    assert schema.check() == []
    author, book, review = (schema.entity(name) for name in ("author", "book", "review"))
    without_author = Schema(domain=schema.domain, entities=[book, review])
    assert "field book.author_id: reference to missing entity 'author'" in without_author.check()
    at_least_one_review = RelatedGuard(entity="review", via="book_id", op="gte", count=1)
    actions = [
        action.model_copy(update={"guards": [at_least_one_review]}) for action in book.actions
    ]
    guarded = book.model_copy(update={"actions": actions})
    assert Schema(domain=schema.domain, entities=[author, guarded, review]).check() == []
    unlinked = review.model_copy(
        update={"fields": [f for f in review.fields if f.name != "book_id"]}
    )
    problems = Schema(domain=schema.domain, entities=[author, guarded, unlinked]).check()
    assert "action book.publish: review.book_id is not a reference to book" in problems
