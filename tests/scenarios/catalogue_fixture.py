"""A small schema on which every change kind has at least one applicable instance."""

from __future__ import annotations

from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    Entity,
    FieldSpec,
    FieldType,
    OnDelete,
    Schema,
)


def bookshop() -> Schema:
    return Schema(
        domain="library",
        entities=[
            Entity(
                name="author",
                plural="authors",
                title_field="full_name",
                fields=[
                    FieldSpec(name="full_name", type=FieldType.STRING, required=True),
                    FieldSpec(name="email", type=FieldType.EMAIL),
                ],
            ),
            Entity(
                name="book",
                plural="books",
                title_field="title",
                fields=[
                    FieldSpec(name="title", type=FieldType.STRING, required=True, max_length=200),
                    FieldSpec(name="isbn", type=FieldType.STRING),
                    FieldSpec(name="pages", type=FieldType.INTEGER, minimum=1),
                    FieldSpec(name="price", type=FieldType.NUMBER, required=True),
                    FieldSpec(name="genre", type=FieldType.ENUM, choices=["fiction", "poetry"]),
                    FieldSpec(
                        name="author_id",
                        type=FieldType.REFERENCE,
                        target="author",
                        on_delete=OnDelete.CASCADE,
                    ),
                    FieldSpec(
                        name="status",
                        type=FieldType.ENUM,
                        choices=["draft", "published"],
                        default="draft",
                        read_only=True,
                    ),
                ],
                actions=[
                    Action(
                        name="publish", field="status", from_states=["draft"], to_state="published"
                    )
                ],
            ),
            Entity(
                name="review",
                plural="reviews",
                title_field="headline",
                fields=[
                    FieldSpec(name="headline", type=FieldType.STRING, required=True),
                    FieldSpec(name="stars", type=FieldType.INTEGER),
                    FieldSpec(
                        name="book_id",
                        type=FieldType.REFERENCE,
                        target="book",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ],
            ),
        ],
        analytics=[
            Analytics(name="mean_sale_amount", entity="book", op=AggregateOp.AVG, field="price")
        ],
    )
