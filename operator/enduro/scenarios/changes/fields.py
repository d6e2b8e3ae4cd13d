"""Change kinds on one field: add (plain or enum), rename, remove."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from enduro.scenarios import wording
from enduro.scenarios.changes.base import (
    ChangeBase,
    field_in_use,
    find_entity,
    find_field,
    name_problem,
    named_after,
    stored_writable,
)
from enduro.scenarios.schema import Analytics, Entity, FieldSpec, FieldType, RelatedGuard, Schema


def _new_field_problem(schema: Schema, entity: str, spec: FieldSpec) -> str | None:
    ent = find_entity(schema, entity)
    if ent is None:
        return f"entity {entity!r} does not exist"
    problem = name_problem(spec.name)
    if problem:
        return problem
    if ent.has_field(spec.name):
        return f"{entity}.{spec.name} already exists"
    if not stored_writable(spec):
        return "a new field must be a stored, writable field"
    return None


class AddField(ChangeBase):
    """A new plain field: it appears in every response and POST/PATCH accept it (before,
    it was an unknown key, 422). Enums and references have their own kinds."""

    kind: Literal["add_field"] = "add_field"
    entity: str
    field: FieldSpec

    def precondition(self, schema: Schema) -> str | None:
        problem = _new_field_problem(schema, self.entity, self.field)
        if problem:
            return problem
        if self.field.type in {FieldType.ENUM, FieldType.REFERENCE}:
            return "enum and reference fields are added by add_enum_field / add_reference"
        return None

    def _apply(self, schema: Schema) -> Schema:
        return _append_field(schema, self.entity, self.field)

    def describe(self) -> str:
        return (
            f"Add a field to `{self.entity}`: {wording.field_phrase(self.field)}. It appears "
            "last in every response and is accepted by POST and PATCH."
        )


class AddEnumField(ChangeBase):
    """A new enum field: responses carry it, values outside the choices are 422."""

    kind: Literal["add_enum_field"] = "add_enum_field"
    entity: str
    field: FieldSpec

    def precondition(self, schema: Schema) -> str | None:
        problem = _new_field_problem(schema, self.entity, self.field)
        if problem:
            return problem
        if self.field.type is not FieldType.ENUM:
            return "add_enum_field adds an enum field"
        return None

    def _apply(self, schema: Schema) -> Schema:
        return _append_field(schema, self.entity, self.field)

    def describe(self) -> str:
        return (
            f"Add an enum field to `{self.entity}`: {wording.field_phrase(self.field)}. It "
            "appears last in every response; any other value is rejected with 422."
        )


def _append_field(schema: Schema, entity: str, spec: FieldSpec) -> Schema:
    entities = [
        e.model_copy(update={"fields": [*e.fields, spec]}) if e.name == entity else e
        for e in schema.entities
    ]
    return schema.model_copy(update={"entities": entities})


class RenameField(ChangeBase):
    """The response key changes and request bodies must use the new name (the old one
    is an unknown key, 422); everything that refers to the field follows it."""

    kind: Literal["rename_field"] = "rename_field"
    entity: str
    field: str
    new_name: str

    def precondition(self, schema: Schema) -> str | None:
        ent, spec = find_field(schema, self.entity, self.field)
        if ent is None:
            return f"entity {self.entity!r} does not exist"
        if spec is None:
            return f"{self.entity}.{self.field} does not exist"
        problem = name_problem(self.new_name)
        if problem:
            return problem
        if ent.has_field(self.new_name):
            return f"{self.entity}.{self.new_name} already exists"
        named = named_after(schema, self.entity, [self.field])
        if named:
            return f"analytics {named!r} is named after {self.field!r}"
        return None

    def _apply(self, schema: Schema) -> Schema:
        # Only the entities and analytics that name the field are dumped and validated
        # again (the whole schema's round trip was a sixth of sampling); one that comes
        # out equal stays the same object, for the renderers' memos.
        entities = [
            _renamed(ent, Entity, _rename_in_entity, self)
            if _names_fields_of(ent, self.entity)
            else ent
            for ent in schema.entities
        ]
        analytics = [
            _renamed(an, Analytics, _rename_in_analytics, self) if an.entity == self.entity else an
            for an in schema.analytics
        ]
        return schema.model_copy(update={"entities": entities, "analytics": analytics})

    def describe(self) -> str:
        return (
            f"Rename the field `{self.field}` of `{self.entity}` to `{self.new_name}`, "
            "in responses and request bodies (the old name is now an unknown field), and "
            "everywhere the API refers to it (filters, sorting, actions, analytics)."
        )


def _names_fields_of(ent: Entity, entity: str) -> bool:
    """Whether ``ent`` names fields of ``entity``: it is that entity, or one of its
    computed fields or related guards counts objects of it."""
    if ent.name == entity:
        return True
    if any(f.computed is not None and f.computed.entity == entity for f in ent.fields):
        return True
    return any(
        isinstance(guard, RelatedGuard) and guard.entity == entity
        for action in ent.actions
        for guard in action.guards
    )


def _renamed[T: BaseModel](
    node: T,
    kind: type[T],
    rename: Callable[[dict[str, Any], str, str, str], None],
    change: RenameField,
) -> T:
    """``node`` with ``change`` applied to its dump; ``node`` itself when that is equal."""
    data = node.model_dump()
    rename(data, change.entity, change.field, change.new_name)
    result = kind.model_validate(data)
    return node if result == node else result


def _rename_in_entity(ent: dict[str, Any], entity: str, old: str, new: str) -> None:
    """Rename ``entity.old`` to ``new`` in a dumped entity, everywhere it is named."""

    def swap(name: object) -> object:
        return new if name == old else name

    if ent["name"] == entity:
        for spec in ent["fields"]:
            spec["name"] = swap(spec["name"])
            if spec["computed"] is not None:
                spec["computed"]["inputs"] = [swap(n) for n in spec["computed"]["inputs"]]
        ent["title_field"] = swap(ent["title_field"])
        listing = ent["listing"]
        for flt in listing["filters"]:
            flt["field"] = swap(flt["field"])
        listing["sort_fields"] = [swap(n) for n in listing["sort_fields"]]
        for action in ent["actions"]:
            action["field"] = swap(action["field"])
            for guard in action["guards"]:
                if guard["kind"] == "field":
                    guard["field"] = swap(guard["field"])
    for spec in ent["fields"]:
        comp = spec["computed"]
        if comp is not None and comp["entity"] == entity:
            comp["via"] = swap(comp["via"])
    for action in ent["actions"]:
        for guard in action["guards"]:
            if guard["kind"] == "related" and guard["entity"] == entity:
                guard["via"] = swap(guard["via"])
                guard["state_field"] = swap(guard["state_field"])


def _rename_in_analytics(analytics: dict[str, Any], entity: str, old: str, new: str) -> None:
    """Rename ``entity.old`` to ``new`` in dumped analytics, everywhere it is named."""

    def swap(name: object) -> object:
        return new if name == old else name

    if analytics["entity"] == entity:
        analytics["field"] = swap(analytics["field"])
        analytics["group_by"] = swap(analytics["group_by"])
        for cond in analytics["where"]:
            cond["field"] = swap(cond["field"])


class RemoveField(ChangeBase):
    """The field disappears from responses; sending it becomes a 422 (unknown key)."""

    kind: Literal["remove_field"] = "remove_field"
    entity: str
    field: str

    def precondition(self, schema: Schema) -> str | None:
        _, spec = find_field(schema, self.entity, self.field)
        if spec is None:
            return f"{self.entity}.{self.field} does not exist"
        if spec.read_only and spec.computed is None:
            return "a state field goes only with its actions"
        in_use = field_in_use(schema, self.entity, self.field)
        if in_use:
            return f"{self.entity}.{self.field} cannot be removed: {in_use}"
        return None

    def _apply(self, schema: Schema) -> Schema:
        entities = [
            e.model_copy(update={"fields": [f for f in e.fields if f.name != self.field]})
            if e.name == self.entity
            else e
            for e in schema.entities
        ]
        return schema.model_copy(update={"entities": entities})

    def describe(self) -> str:
        return (
            f"Remove the field `{self.field}` from `{self.entity}`: it no longer appears in "
            "responses, and a request body that still sends it is rejected with 422."
        )
