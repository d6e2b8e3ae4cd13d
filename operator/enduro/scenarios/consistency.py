"""Consistency rules of the schema IR: what makes a schema implementable and testable.

Samplers and change kinds call ``schema_problems`` after every change; a non-empty list
means the change must not be applied. Each problem is a sentence naming what is wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from enduro.scenarios.memo import Generations, edits
from enduro.scenarios.schema import (
    IDENTIFIER,
    RESERVED_NAMES,
    Action,
    AggregateOp,
    Analytics,
    CompareOp,
    ComputedKind,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    ListFilter,
    OnDelete,
    RelatedGuard,
    Schema,
    entities_named,
)
from enduro.scenarios.values import fits

NUMERIC = frozenset({FieldType.INTEGER, FieldType.NUMBER})
TEXTUAL = frozenset({FieldType.STRING, FieldType.EMAIL})
MIN_TITLE_LENGTH = 24  # room for the unique tokens the suite writes into title fields


def schema_problems(schema: Schema) -> list[str]:
    return list(_schema(_Lookup(schema)))


class _Lookup:
    """Name lookups for one check, in O(1): the check runs after every sampled change,
    so it must stay cheap on schemas with hundreds of fields."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._entities: dict[str, Entity] = {}
        for ent in schema.entities:
            self._entities.setdefault(ent.name, ent)
        self._fields: dict[int, dict[str, FieldSpec]] = {}

    def has_entity(self, name: str) -> bool:
        return name in self._entities

    def entity(self, name: str) -> Entity:
        return self._entities[name]

    def get(self, name: str) -> Entity | None:
        return self._entities.get(name)

    def f(self, ent: Entity) -> dict[str, FieldSpec]:
        """The fields of ``ent`` by name (first wins, like ``Entity.field``)."""
        found = self._fields.get(id(ent))
        if found is None:
            found = {}
            for spec in ent.fields:
                found.setdefault(spec.name, spec)
            self._fields[id(ent)] = found
        return found


def _schema(lk: _Lookup) -> Iterator[str]:
    schema = lk.schema
    if not schema.entities:
        yield "the schema has no entities"
    yield from _duplicates("entity", [e.name for e in schema.entities])
    yield from _duplicates("collection path", [e.plural for e in schema.entities])
    for ent in schema.entities:
        yield from _name(f"entity {ent.name!r}", ent.name)
        yield from _name(f"plural of {ent.name!r}", ent.plural)
        yield from _entity_problems(lk, ent)
    yield from _duplicates("analytics endpoint", [a.name for a in schema.analytics])
    for analytics in schema.analytics:
        yield from _name(f"analytics {analytics.name!r}", analytics.name)
        yield from _analytics(lk, analytics)


# An entity's problems, remembered by the entity (held, so its id stays its own) and the
# entities its checks look up by name: a sampled batch changes a few entities, and the
# check runs after every batch.
_ENTITY_PROBLEMS: Generations[
    tuple[object, ...], tuple[Entity, tuple[object, ...], tuple[str, ...]]
] = Generations(4096)


def _entity_problems(lk: _Lookup, ent: Entity) -> tuple[str, ...]:
    names = entities_named(ent)
    others = tuple(lk.get(name) for name in names)
    key = (edits(), id(ent), names, *map(id, others))
    hit = _ENTITY_PROBLEMS.get(key)
    if hit is None:
        hit = (ent, others, tuple(_entity(lk, ent)))
        _ENTITY_PROBLEMS.put(key, hit)
    return hit[2]


def _entity(lk: _Lookup, ent: Entity) -> Iterator[str]:
    where = f"entity {ent.name!r}"
    yield from _duplicates(f"field of {where}", [f.name for f in ent.fields])
    for spec in ent.fields:
        yield from _name(f"field {ent.name}.{spec.name}", spec.name)
        yield from _field(lk, ent, spec)
    if ent.title_field not in lk.f(ent):
        yield f"{where}: title field {ent.title_field!r} does not exist"
    else:
        title = lk.f(ent)[ent.title_field]
        if title.type is not FieldType.STRING or title.read_only or title.pattern or title.unique:
            yield f"{where}: title field {title.name!r} must be a plain writable string"
        if title.max_length is not None and title.max_length < MIN_TITLE_LENGTH:
            yield f"{where}: title field {title.name!r} needs max_length >= {MIN_TITLE_LENGTH}"
        if title.min_length is not None and title.min_length > 1:
            yield f"{where}: title field {title.name!r} must accept short values"
    for flt in ent.listing.filters:
        if flt.field not in lk.f(ent):
            yield f"{where}: filter on missing field {flt.field!r}"
    params = [filter_parameter(flt) for flt in ent.listing.filters]
    yield from _duplicates(f"query parameter of {where}", params)
    for flt, param in zip(ent.listing.filters, params, strict=True):
        if param != flt.field and param in lk.f(ent):
            yield f"{where}: query parameter {param!r} collides with the field of that name"
    for name in ent.listing.sort_fields:
        if name not in lk.f(ent):
            yield f"{where}: sorting on missing field {name!r}"
    pagination = ent.listing.pagination
    if pagination and pagination.default_limit > pagination.max_limit:
        yield f"{where}: default_limit exceeds max_limit"
    yield from _duplicates(f"action of {where}", [a.name for a in ent.actions])
    for action in ent.actions:
        yield from _name(f"action {ent.name}.{action.name}", action.name)
        yield from _action(lk, ent, action)


def filter_parameter(flt: ListFilter) -> str:
    """The query parameter a list filter reads (docs/rest-conventions.md, Lists)."""
    suffix = {FilterOp.EQ: "", FilterOp.GTE: "_min", FilterOp.LTE: "_max"}
    return flt.field + suffix.get(flt.op, "_contains")


def _field(lk: _Lookup, ent: Entity, spec: FieldSpec) -> Iterator[str]:
    where = f"field {ent.name}.{spec.name}"
    if spec.type is FieldType.ENUM and not spec.choices:
        yield f"{where}: an enum needs choices"
    if spec.choices and spec.type is not FieldType.ENUM:
        yield f"{where}: choices are only for enums"
    if len(set(spec.choices)) != len(spec.choices):
        yield f"{where}: duplicate choices"
    if spec.type is FieldType.REFERENCE:
        if spec.target is None or not lk.has_entity(spec.target):
            yield f"{where}: reference to missing entity {spec.target!r}"
        if spec.on_delete is None:
            yield f"{where}: a reference needs on_delete"
        if spec.on_delete is OnDelete.SET_NULL and spec.required:
            yield f"{where}: set_null needs an optional field"
    elif spec.target is not None or spec.on_delete is not None:
        yield f"{where}: target/on_delete are only for references"
    if (spec.minimum is not None or spec.maximum is not None) and spec.type not in NUMERIC:
        yield f"{where}: minimum/maximum are only for numbers"
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        yield f"{where}: minimum exceeds maximum"
    if (spec.min_length is not None or spec.max_length is not None) and spec.type not in TEXTUAL:
        yield f"{where}: length bounds are only for strings"
    lengths = (spec.min_length, spec.max_length)
    if lengths[0] is not None and lengths[1] is not None and lengths[0] > lengths[1]:
        yield f"{where}: min_length exceeds max_length"
    if spec.pattern is not None:
        if spec.type is not FieldType.STRING:
            yield f"{where}: a pattern is only for strings"
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            yield f"{where}: pattern does not compile ({exc})"
    if spec.default is not None:
        yield from _default(where, spec)
    if spec.computed is not None:
        if not spec.read_only:
            yield f"{where}: a computed field must be read-only"
        if spec.required or spec.unique or spec.default is not None:
            yield f"{where}: a computed field takes no required/unique/default"
        yield from _computed(lk, ent, spec)
    if spec.unique and spec.type in {FieldType.BOOLEAN, FieldType.ENUM}:
        yield f"{where}: unique makes no sense on {spec.type.value}"
    if spec.unique and spec.type in NUMERIC and spec.maximum is not None:
        # A suite creates hundreds of objects per run; a bounded unique number runs out.
        yield f"{where}: a unique number needs an open range (no maximum)"
    if spec.read_only and spec.computed is None:
        if spec.type is not FieldType.ENUM or spec.default is None:
            yield f"{where}: a read-only state field must be an enum with a default"
        if not any(a.field == spec.name for a in ent.actions):
            yield f"{where}: a read-only state field needs an action that moves it"


def _default(where: str, spec: FieldSpec) -> Iterator[str]:
    value = spec.default
    kinds: dict[FieldType, tuple[type, ...]] = {
        FieldType.STRING: (str,),
        FieldType.EMAIL: (str,),
        FieldType.ENUM: (str,),
        FieldType.DATE: (str,),
        FieldType.DATETIME: (str,),
        FieldType.INTEGER: (int,),
        FieldType.NUMBER: (int, float),
        FieldType.BOOLEAN: (bool,),
    }
    allowed = kinds.get(spec.type)
    if allowed is None or not isinstance(value, allowed):
        yield f"{where}: default {value!r} does not fit type {spec.type.value}"
        return
    if spec.type in NUMERIC and isinstance(value, bool):
        yield f"{where}: default {value!r} does not fit type {spec.type.value}"
    if spec.type is FieldType.ENUM and value not in spec.choices:
        yield f"{where}: default {value!r} is not one of the choices"
    if spec.unique:
        yield f"{where}: a unique field cannot have a default"
    if spec.type is not FieldType.ENUM and not fits(spec, value):
        yield f"{where}: default {value!r} violates the field's own constraints"


def _computed(lk: _Lookup, ent: Entity, spec: FieldSpec) -> Iterator[str]:
    where = f"field {ent.name}.{spec.name}"
    computed = spec.computed
    assert computed is not None
    if computed.kind is ComputedKind.RELATED_COUNT:
        if computed.entity is None or not lk.has_entity(computed.entity):
            yield f"{where}: related_count over missing entity {computed.entity!r}"
            return
        other = lk.entity(computed.entity)
        via = computed.via
        if via is None or via not in lk.f(other) or lk.f(other)[via].target != ent.name:
            yield f"{where}: {computed.entity}.{via} is not a reference to {ent.name}"
        return
    arity = 1 if computed.kind is ComputedKind.LENGTH else 2
    if len(computed.inputs) != arity:
        yield f"{where}: {computed.kind.value} takes {arity} input(s)"
        return
    wanted = TEXTUAL if computed.kind in {ComputedKind.LENGTH, ComputedKind.CONCAT} else NUMERIC
    for name in computed.inputs:
        if name not in lk.f(ent):
            yield f"{where}: input {name!r} does not exist"
        elif lk.f(ent)[name].type not in wanted or lk.f(ent)[name].computed is not None:
            yield f"{where}: input {name!r} has the wrong type for {computed.kind.value}"


def _action(lk: _Lookup, ent: Entity, action: Action) -> Iterator[str]:
    where = f"action {ent.name}.{action.name}"
    if action.field not in lk.f(ent):
        yield f"{where}: state field {action.field!r} does not exist"
        return
    state = lk.f(ent)[action.field]
    if state.type is not FieldType.ENUM or not state.read_only or state.computed is not None:
        yield f"{where}: state field {action.field!r} must be a read-only enum"
        return
    for value in [*action.from_states, action.to_state]:
        if value not in state.choices:
            yield f"{where}: state {value!r} is not a choice of {action.field!r}"
    if not action.from_states:
        yield f"{where}: needs at least one from-state"
    for guard in action.guards:
        if isinstance(guard, FieldGuard):
            yield from _field_guard(lk, where, ent, guard)
        elif isinstance(guard, RelatedGuard):
            yield from _related_guard(lk, where, ent, guard)


def _field_guard(lk: _Lookup, where: str, ent: Entity, guard: FieldGuard) -> Iterator[str]:
    if guard.field not in lk.f(ent):
        yield f"{where}: guard on missing field {guard.field!r}"
        return
    spec = lk.f(ent)[guard.field]
    if guard.op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
        if guard.value is not None:
            yield f"{where}: {guard.op.value} takes no value"
    elif guard.value is None:
        yield f"{where}: guard {guard.op.value} needs a value"
    elif guard.op in {CompareOp.GT, CompareOp.GTE, CompareOp.LT, CompareOp.LTE} and (
        spec.type not in NUMERIC
    ):
        yield f"{where}: ordering guard on non-numeric field {guard.field!r}"


def _related_guard(lk: _Lookup, where: str, ent: Entity, guard: RelatedGuard) -> Iterator[str]:
    if not lk.has_entity(guard.entity):
        yield f"{where}: guard over missing entity {guard.entity!r}"
        return
    other = lk.entity(guard.entity)
    if guard.via not in lk.f(other) or lk.f(other)[guard.via].target != ent.name:
        yield f"{where}: {guard.entity}.{guard.via} is not a reference to {ent.name}"
    if guard.op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
        yield f"{where}: a related guard compares a count"
    if guard.state_field is not None:
        if (
            guard.state_field not in lk.f(other)
            or lk.f(other)[guard.state_field].type is not FieldType.ENUM
        ):
            yield f"{where}: {guard.entity}.{guard.state_field} is not an enum field"
        elif any(s not in lk.f(other)[guard.state_field].choices for s in guard.states):
            yield f"{where}: unknown state in {guard.states!r}"


def _analytics(lk: _Lookup, analytics: Analytics) -> Iterator[str]:
    where = f"analytics {analytics.name!r}"
    if not lk.has_entity(analytics.entity):
        yield f"{where}: missing entity {analytics.entity!r}"
        return
    ent = lk.entity(analytics.entity)
    if analytics.op is AggregateOp.COUNT:
        if analytics.field is not None:
            yield f"{where}: count takes no field"
    elif analytics.field is None or analytics.field not in lk.f(ent):
        yield f"{where}: {analytics.op.value} over missing field {analytics.field!r}"
    elif lk.f(ent)[analytics.field].type not in NUMERIC:
        yield f"{where}: {analytics.op.value} needs a numeric field"
    if analytics.group_by is not None:
        if analytics.group_by not in lk.f(ent):
            yield f"{where}: group_by on missing field {analytics.group_by!r}"
        elif lk.f(ent)[analytics.group_by].type not in {
            FieldType.ENUM, FieldType.STRING, FieldType.BOOLEAN, FieldType.REFERENCE,
        }:  # fmt: skip
            yield f"{where}: cannot group by a {lk.f(ent)[analytics.group_by].type.value}"
    for cond in analytics.where:
        if cond.field not in lk.f(ent):
            yield f"{where}: condition on missing field {cond.field!r}"


def _name(what: str, name: str) -> Iterator[str]:
    for problem in _name_problems(name):
        yield f"{what}: {name!r} {problem}"


@functools.lru_cache(maxsize=4096)
def _name_problems(name: str) -> tuple[str, ...]:
    problems = []
    if not IDENTIFIER.match(name):
        problems.append("is not a lower-case identifier")
    if name in RESERVED_NAMES:
        problems.append("is reserved")
    return tuple(problems)


def _duplicates(what: str, names: list[str]) -> Iterator[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            yield f"duplicate {what} {name!r}"
        seen.add(name)
