"""What every change kind shares, and pure helpers to rebuild a schema around one edit.

Change kinds never mutate their input. They rebuild only the path to the edited node
(``model_copy(update=...)``) and share every untouched node with the input schema, so
applying hundreds of changes stays cheap. The price: schemas produced here must be
treated as immutable (they are by convention, see ``enduro.scenarios.schema.Model``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from enduro.scenarios.schema import (
    IDENTIFIER,
    RESERVED_NAMES,
    Entity,
    FieldSpec,
    FieldType,
    Schema,
)

NUMERIC = frozenset({FieldType.INTEGER, FieldType.NUMBER})
TEXTUAL = frozenset({FieldType.STRING, FieldType.EMAIL})


class ChangeNotApplicableError(ValueError):
    """``apply`` was called on a schema whose precondition fails, or the result would
    be inconsistent; the message names the change kind and the reason."""


class ChangeBase(BaseModel):
    """A typed change request. Subclasses add ``kind: Literal[...]`` and their data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str

    def precondition(self, schema: Schema) -> str | None:
        """None when the change applies to ``schema`` and changes its HTTP behaviour;
        otherwise the reason it does not."""
        raise NotImplementedError

    def describe(self) -> str:
        """The change as one natural-language request, for CHANGES.md."""
        raise NotImplementedError

    def _apply(self, schema: Schema) -> Schema:
        raise NotImplementedError

    def apply(self, schema: Schema, *, check: bool = True) -> Schema:
        """A new schema with this change; the input is never modified.

        ``check=False`` skips the full consistency check of the result (the
        precondition still runs): for callers that check once after several changes.
        """
        reason = self.precondition(schema)
        if reason is not None:
            raise ChangeNotApplicableError(f"{self.kind}: {reason}")
        result = self._apply(schema)
        if not check:
            return result
        problems = result.check()
        if problems:
            raise ChangeNotApplicableError(
                f"{self.kind}: the result is inconsistent: {problems[0]}"
            )
        return result


def reuse_unchanged(old: Schema, new: Schema) -> Schema:
    """``new`` with every entity and analytics equal to one of ``old`` replaced by the
    old object, so identity-memoised renderers keep their cached text."""
    by_name = {e.name: e for e in old.entities}
    entities = []
    for ent in new.entities:
        before = by_name.get(ent.name)
        entities.append(before if before is not None and before == ent else ent)
    analytics_by_name = {a.name: a for a in old.analytics}
    analytics = []
    for an in new.analytics:
        before_an = analytics_by_name.get(an.name)
        analytics.append(before_an if before_an is not None and before_an == an else an)
    return new.model_copy(update={"entities": entities, "analytics": analytics})


def name_problem(name: str) -> str | None:
    if not IDENTIFIER.match(name):
        return f"{name!r} is not a lower-case identifier"
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved"
    return None


def find_entity(schema: Schema, name: str) -> Entity | None:
    for ent in schema.entities:
        if ent.name == name:
            return ent
    return None


def find_field(schema: Schema, entity: str, name: str) -> tuple[Entity | None, FieldSpec | None]:
    ent = find_entity(schema, entity)
    if ent is None:
        return None, None
    for spec in ent.fields:
        if spec.name == name:
            return ent, spec
    return ent, None


def stored_writable(spec: FieldSpec) -> bool:
    return not spec.read_only and spec.computed is None


def with_entity(schema: Schema, name: str, edit: Callable[[Entity], Entity]) -> Schema:
    entities = [edit(ent) if ent.name == name else ent for ent in schema.entities]
    return schema.model_copy(update={"entities": entities})


def with_field(schema: Schema, entity: str, field: str, **updates: Any) -> Schema:
    def edit(ent: Entity) -> Entity:
        fields = [f.model_copy(update=updates) if f.name == field else f for f in ent.fields]
        return ent.model_copy(update={"fields": fields})

    return with_entity(schema, entity, edit)


def field_in_use(schema: Schema, entity: str, field: str) -> str | None:
    """What besides the field's own entry depends on ``entity.field``, or None."""
    ent = schema.entity(entity)
    if ent.title_field == field:
        return "it is the entity's title field"
    if any(flt.field == field for flt in ent.listing.filters):
        return "a list filter uses it"
    if field in ent.listing.sort_fields:
        return "sorting uses it"
    for action in ent.actions:
        if action.field == field:
            return f"action {action.name!r} moves it"
        for guard in action.guards:
            if guard.kind == "field" and guard.field == field:
                return f"a guard of action {action.name!r} reads it"
    for other in schema.entities:
        for spec in other.fields:
            comp = spec.computed
            if comp is None:
                continue
            if other.name == entity and field in comp.inputs:
                return f"computed field {spec.name!r} reads it"
            if comp.entity == entity and comp.via == field:
                return f"computed field {other.name}.{spec.name} counts through it"
        for action in other.actions:
            for guard in action.guards:
                if (
                    guard.kind == "related"
                    and guard.entity == entity
                    and field in {guard.via, guard.state_field}
                ):
                    return f"a guard of action {other.name}.{action.name} reads it"
    for analytics in schema.analytics:
        if analytics.entity == entity and (
            field in {analytics.field, analytics.group_by}
            or any(c.field == field for c in analytics.where)
        ):
            return f"analytics {analytics.name!r} reads it"
    return None


def named_after(schema: Schema, entity: str | None, words: list[str]) -> str | None:
    """The first analytics endpoint (of ``entity``, or of any entity) whose name holds
    one of ``words``: renaming what it is named after would leave a name that no longer
    says what it counts."""
    for analytics in schema.analytics:
        if entity is not None and analytics.entity != entity:
            continue
        if any(word in analytics.name for word in words):
            return analytics.name
    return None
