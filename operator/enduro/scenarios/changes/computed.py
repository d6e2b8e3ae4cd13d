"""Change kind adding a computed (derived, read-only) field."""

from __future__ import annotations

from typing import Literal

from enduro.scenarios import wording
from enduro.scenarios.changes.base import (
    NUMERIC,
    TEXTUAL,
    ChangeBase,
    find_entity,
    find_field,
    name_problem,
)
from enduro.scenarios.schema import Computed, ComputedKind, FieldSpec, FieldType, Schema


def computed_type(schema: Schema, entity: str, comp: Computed) -> FieldType:
    """The JSON type of a computed value (docs/rest-conventions.md, Computed fields)."""
    if comp.kind is ComputedKind.CONCAT:
        return FieldType.STRING
    if comp.kind in {ComputedKind.SUM, ComputedKind.PRODUCT}:
        ent = schema.entity(entity)
        if all(ent.field(name).type is FieldType.INTEGER for name in comp.inputs):
            return FieldType.INTEGER
        return FieldType.NUMBER
    return FieldType.INTEGER


class AddComputedField(ChangeBase):
    """A new read-only field in every response; sending it is a 422."""

    kind: Literal["add_computed_field"] = "add_computed_field"
    entity: str
    field: str
    computed: Computed

    def precondition(self, schema: Schema) -> str | None:
        ent = find_entity(schema, self.entity)
        if ent is None:
            return f"entity {self.entity!r} does not exist"
        problem = name_problem(self.field)
        if problem:
            return problem
        if ent.has_field(self.field):
            return f"{self.entity}.{self.field} already exists"
        comp = self.computed
        if comp.kind is ComputedKind.RELATED_COUNT:
            _, via = find_field(schema, comp.entity or "", comp.via or "")
            if via is None or via.target != self.entity or comp.inputs:
                return f"{comp.entity}.{comp.via} is not a reference to {self.entity}"
            return None
        arity = 1 if comp.kind is ComputedKind.LENGTH else 2
        if len(comp.inputs) != arity or comp.entity is not None or comp.via is not None:
            return f"{comp.kind.value} takes {arity} input field(s) of the same entity"
        wanted = TEXTUAL if comp.kind in {ComputedKind.LENGTH, ComputedKind.CONCAT} else NUMERIC
        for name in comp.inputs:
            if not ent.has_field(name):
                return f"{self.entity}.{name} does not exist"
            spec = ent.field(name)
            if spec.type not in wanted or spec.computed is not None:
                return f"{self.entity}.{name} has the wrong type for {comp.kind.value}"
        return None

    def _apply(self, schema: Schema) -> Schema:
        spec = FieldSpec(
            name=self.field,
            type=computed_type(schema, self.entity, self.computed),
            read_only=True,
            computed=self.computed,
        )
        entities = [
            e.model_copy(update={"fields": [*e.fields, spec]}) if e.name == self.entity else e
            for e in schema.entities
        ]
        return schema.model_copy(update={"entities": entities})

    def describe(self) -> str:
        return (
            f"Add a read-only computed field `{self.field}` to `{self.entity}`: "
            f"{wording.computed_phrase(self.computed)}, recomputed on every read (null when "
            "an input is null). It appears last in every response; sending it is rejected with "
            "422."
        )
