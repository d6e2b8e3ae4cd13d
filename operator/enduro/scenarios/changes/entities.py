"""Change kinds on whole entities: add, rename, remove."""

from __future__ import annotations

from typing import Literal

from enduro.scenarios import wording
from enduro.scenarios.changes.base import (
    ChangeBase,
    find_entity,
    name_problem,
    named_after,
    reuse_unchanged,
)
from enduro.scenarios.schema import (
    Analytics,
    Entity,
    FieldGuard,
    FieldType,
    RelatedGuard,
    Schema,
)


class AddEntity(ChangeBase):
    """A new collection: ``/<plural>`` answered 404 before, now it serves objects."""

    kind: Literal["add_entity"] = "add_entity"
    entity: Entity

    def precondition(self, schema: Schema) -> str | None:
        ent = self.entity
        for name in (ent.name, ent.plural):
            problem = name_problem(name)
            if problem:
                return problem
        if find_entity(schema, ent.name) is not None:
            return f"entity {ent.name!r} already exists"
        if any(e.plural == ent.plural for e in schema.entities):
            return f"collection path /{ent.plural} is already taken"
        for spec in ent.fields:
            if spec.type is FieldType.REFERENCE and find_entity(schema, spec.target or "") is None:
                return f"field {spec.name!r} references missing entity {spec.target!r}"
        if ent.actions or any(spec.read_only for spec in ent.fields):
            return "a new entity starts without actions or read-only fields"
        return None

    def _apply(self, schema: Schema) -> Schema:
        return schema.model_copy(update={"entities": [*schema.entities, self.entity]})

    def describe(self) -> str:
        ent = self.entity
        fields = "; ".join(wording.field_phrase(f) for f in ent.fields)
        return (
            f"Add a new resource `{ent.name}` with the full set of endpoints at "
            f"`/{ent.plural}`. Its fields: {fields}."
        )


class RenameEntity(ChangeBase):
    """The collection moves: the new path serves it, the old path answers 404."""

    kind: Literal["rename_entity"] = "rename_entity"
    entity: str
    new_name: str
    new_plural: str

    def precondition(self, schema: Schema) -> str | None:
        ent = find_entity(schema, self.entity)
        if ent is None:
            return f"entity {self.entity!r} does not exist"
        for name in (self.new_name, self.new_plural):
            problem = name_problem(name)
            if problem:
                return problem
        if ent.plural == self.new_plural:
            return "the collection path would not change"
        if any(e.name == self.new_name for e in schema.entities if e is not ent):
            return f"entity {self.new_name!r} already exists"
        if any(e.plural == self.new_plural for e in schema.entities if e is not ent):
            return f"collection path /{self.new_plural} is already taken"
        named = named_after(schema, None, [ent.name, ent.plural])
        if named:
            return f"analytics {named!r} is named after {self.entity!r}"
        return None

    def _apply(self, schema: Schema) -> Schema:
        old, new = self.entity, self.new_name
        entities = []
        for ent in schema.entities:
            update: dict[str, object] = {}
            if ent.name == old:
                update.update(name=new, plural=self.new_plural)
            fields = []
            for spec in ent.fields:
                renamed = spec
                if spec.target == old:
                    renamed = renamed.model_copy(update={"target": new})
                if spec.computed is not None and spec.computed.entity == old:
                    comp = spec.computed.model_copy(update={"entity": new})
                    renamed = renamed.model_copy(update={"computed": comp})
                fields.append(renamed)
            if fields != ent.fields:
                update["fields"] = fields
            actions = []
            for action in ent.actions:
                guards: list[FieldGuard | RelatedGuard] = [
                    g.model_copy(update={"entity": new})
                    if isinstance(g, RelatedGuard) and g.entity == old
                    else g
                    for g in action.guards
                ]
                changed = any(a is not b for a, b in zip(guards, action.guards, strict=True))
                actions.append(action.model_copy(update={"guards": guards}) if changed else action)
            if any(a is not b for a, b in zip(actions, ent.actions, strict=True)):
                update["actions"] = actions
            entities.append(ent.model_copy(update=update))
        analytics: list[Analytics] = [
            a.model_copy(update={"entity": new}) if a.entity == old else a for a in schema.analytics
        ]
        result = schema.model_copy(update={"entities": entities, "analytics": analytics})
        return reuse_unchanged(schema, result)

    def describe(self) -> str:
        return (
            f"Rename the resource `{self.entity}` to `{self.new_name}`: it is now served at "
            f"`/{self.new_plural}` (the old collection path must answer 404). References to "
            f"it keep their field names and now point at `{self.new_name}` objects; fields "
            "and behaviour stay the same."
        )


class RemoveEntity(ChangeBase):
    """The collection disappears: its path answers 404."""

    kind: Literal["remove_entity"] = "remove_entity"
    entity: str
    plural: str

    def precondition(self, schema: Schema) -> str | None:
        ent = find_entity(schema, self.entity)
        if ent is None:
            return f"entity {self.entity!r} does not exist"
        if ent.plural != self.plural:
            return f"entity {self.entity!r} is served at /{ent.plural}, not /{self.plural}"
        if len(schema.entities) < 2:
            return "the last entity cannot be removed"
        for other in schema.entities:
            if other.name == self.entity:
                continue
            for spec in other.fields:
                if spec.target == self.entity:
                    return f"{other.name}.{spec.name} references it"
                if spec.computed is not None and spec.computed.entity == self.entity:
                    return f"computed field {other.name}.{spec.name} counts it"
            for action in other.actions:
                for guard in action.guards:
                    if isinstance(guard, RelatedGuard) and guard.entity == self.entity:
                        return f"a guard of action {other.name}.{action.name} counts it"
        for analytics in schema.analytics:
            if analytics.entity == self.entity:
                return f"analytics {analytics.name!r} aggregates it"
        return None

    def _apply(self, schema: Schema) -> Schema:
        entities = [e for e in schema.entities if e.name != self.entity]
        return schema.model_copy(update={"entities": entities})

    def describe(self) -> str:
        return (
            f"Remove the resource `{self.entity}` entirely: every endpoint under "
            f"`/{self.plural}` must now answer 404."
        )
