"""Change kinds on state machines: new actions, new states, guards."""

from __future__ import annotations

from typing import Literal

from enduro.scenarios import wording
from enduro.scenarios.changes.base import (
    NUMERIC,
    ChangeBase,
    find_entity,
    find_field,
    name_problem,
    stored_writable,
    with_entity,
)
from enduro.scenarios.schema import (
    Action,
    CompareOp,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    RelatedGuard,
    Schema,
)

ORDERING = frozenset({CompareOp.GT, CompareOp.GTE, CompareOp.LT, CompareOp.LTE})


class AddAction(ChangeBase):
    """A new read-only enum state field (starting at ``initial``) and the action
    ``POST /<plural>/<id>/<action>`` moving it from ``initial`` to ``to_state``."""

    kind: Literal["add_action"] = "add_action"
    entity: str
    action: str
    field: str
    initial: str
    to_state: str

    def precondition(self, schema: Schema) -> str | None:
        ent = find_entity(schema, self.entity)
        if ent is None:
            return f"entity {self.entity!r} does not exist"
        for name in (self.action, self.field, self.initial, self.to_state):
            problem = name_problem(name)
            if problem:
                return problem
        if ent.has_field(self.field):
            return f"{self.entity}.{self.field} already exists"
        if any(a.name == self.action for a in ent.actions):
            return f"action {self.entity}.{self.action} already exists"
        if self.initial == self.to_state:
            return "the action must change the state"
        return None

    def _apply(self, schema: Schema) -> Schema:
        state = FieldSpec(
            name=self.field,
            type=FieldType.ENUM,
            choices=[self.initial, self.to_state],
            default=self.initial,
            read_only=True,
        )
        action = Action(
            name=self.action, field=self.field, from_states=[self.initial], to_state=self.to_state
        )

        def edit(ent: Entity) -> Entity:
            return ent.model_copy(
                update={"fields": [*ent.fields, state], "actions": [*ent.actions, action]}
            )

        return with_entity(schema, self.entity, edit)

    def describe(self) -> str:
        return (
            f"Give `{self.entity}` a lifecycle: a read-only field `{self.field}` (enum "
            f'"{self.initial}", "{self.to_state}"; every new object starts at '
            f'"{self.initial}"; it cannot be set through POST or PATCH) and an action '
            f'`POST .../<id>/{self.action}` that moves it from "{self.initial}" to '
            f'"{self.to_state}" (200 with the object; 409 naming `{self.field}` from any '
            "other state)."
        )


class ExtendAction(ChangeBase):
    """A new state of an existing state field and a new action moving into it."""

    kind: Literal["extend_action"] = "extend_action"
    entity: str
    field: str
    action: str
    from_states: list[str]
    to_state: str

    def precondition(self, schema: Schema) -> str | None:
        ent, spec = find_field(schema, self.entity, self.field)
        if ent is None or spec is None:
            return f"{self.entity}.{self.field} does not exist"
        if not spec.read_only or spec.computed is not None:
            return f"{self.entity}.{self.field} is not a state field"
        for name in (self.action, self.to_state):
            problem = name_problem(name)
            if problem:
                return problem
        if any(a.name == self.action for a in ent.actions):
            return f"action {self.entity}.{self.action} already exists"
        if self.to_state in spec.choices:
            return f"{self.to_state!r} is already a state of {self.field}"
        if not self.from_states or any(s not in spec.choices for s in self.from_states):
            return f"from-states must be existing states of {self.field}"
        return None

    def _apply(self, schema: Schema) -> Schema:
        action = Action(
            name=self.action, field=self.field, from_states=self.from_states, to_state=self.to_state
        )

        def edit(ent: Entity) -> Entity:
            fields = [
                f.model_copy(update={"choices": [*f.choices, self.to_state]})
                if f.name == self.field
                else f
                for f in ent.fields
            ]
            return ent.model_copy(update={"fields": fields, "actions": [*ent.actions, action]})

        return with_entity(schema, self.entity, edit)

    def describe(self) -> str:
        froms = ", ".join(f'"{s}"' for s in self.from_states)
        return (
            f'Add the state "{self.to_state}" to `{self.field}` of `{self.entity}` and an '
            f"action `POST .../<id>/{self.action}` that moves `{self.field}` from {froms} to "
            f'"{self.to_state}" (409 naming `{self.field}` from any other state).'
        )


def _trivial(spec: FieldSpec, guard: FieldGuard) -> str | None:
    """Why the guard could never fail, or never pass, for valid values of ``spec``; a
    guard like that would not change what the action observably does."""
    op, value = guard.op, guard.value
    if op in ORDERING and isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.minimum, spec.maximum
        passes = {
            CompareOp.GT: high is None or high > value,
            CompareOp.GTE: high is None or high >= value,
            CompareOp.LT: low is None or low < value,
            CompareOp.LTE: low is None or low <= value,
        }[op]
        fails = (
            not spec.required
            or {
                CompareOp.GT: low is None or low <= value,
                CompareOp.GTE: low is None or low < value,
                CompareOp.LT: high is None or high >= value,
                CompareOp.LTE: high is None or high > value,
            }[op]
        )
        if not passes:
            return "no valid value of the field passes the guard"
        if not fails:
            return "every valid value of the field passes the guard"
    if op in {CompareOp.EQ, CompareOp.NE} and spec.type is FieldType.ENUM:
        if value not in spec.choices:
            return f"{value!r} is not a choice of {spec.name}"
        if spec.required and len(spec.choices) < 2:
            return "a single-choice enum makes the guard constant"
    return None


def _compare(value: float, op: CompareOp, other: float) -> bool:
    return {
        CompareOp.EQ: value == other,
        CompareOp.NE: value != other,
        CompareOp.GT: value > other,
        CompareOp.GTE: value >= other,
        CompareOp.LT: value < other,
        CompareOp.LTE: value <= other,
    }[op]


def _same_subject(a: FieldGuard | RelatedGuard, b: FieldGuard | RelatedGuard) -> bool:
    if isinstance(a, FieldGuard) and isinstance(b, FieldGuard):
        return a.field == b.field
    if isinstance(a, RelatedGuard) and isinstance(b, RelatedGuard):
        return (a.entity, a.via, a.state_field, a.states) == (
            b.entity,
            b.via,
            b.state_field,
            b.states,
        )
    return False


def _bound(guard: FieldGuard | RelatedGuard) -> float | None:
    value = guard.value if isinstance(guard, FieldGuard) else guard.count
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def redundant(existing: list[FieldGuard | RelatedGuard], guard: FieldGuard | RelatedGuard) -> bool:
    """Whether ``guard`` and a guard already on the action compare the same thing so
    that one implies the other ("less than 2" and "at most 2"): the pair would read as
    a repetition and one of them would never decide anything."""
    new = _bound(guard)
    if new is None or guard.op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
        return False
    for old in existing:
        bound = _bound(old)
        if bound is None or old.op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
            continue
        if not _same_subject(old, guard):
            continue
        probes = [v + d for v in (new, bound) for d in (-1, -0.5, 0, 0.5, 1)]
        old_holds = [_compare(p, old.op, bound) for p in probes]
        new_holds = [_compare(p, guard.op, new) for p in probes]
        if all(n for o, n in zip(old_holds, new_holds, strict=True) if o):
            return True  # the old guard implies the new one
        if all(o for o, n in zip(old_holds, new_holds, strict=True) if n):
            return True  # the new guard implies the old one
    return False


def _action_problem(schema: Schema, entity: str, action: str) -> str | None:
    ent = find_entity(schema, entity)
    if ent is None:
        return f"entity {entity!r} does not exist"
    if not any(a.name == action for a in ent.actions):
        return f"action {entity}.{action} does not exist"
    return None


def _with_guard(
    schema: Schema, entity: str, action: str, guard: FieldGuard | RelatedGuard
) -> Schema:
    def edit(ent: Entity) -> Entity:
        actions = [
            a.model_copy(update={"guards": [*a.guards, guard]}) if a.name == action else a
            for a in ent.actions
        ]
        return ent.model_copy(update={"actions": actions})

    return with_entity(schema, entity, edit)


class AddFieldGuard(ChangeBase):
    """The action now answers 409 naming the field unless the object's field passes."""

    kind: Literal["add_field_guard"] = "add_field_guard"
    entity: str
    action: str
    guard: FieldGuard

    def precondition(self, schema: Schema) -> str | None:
        problem = _action_problem(schema, self.entity, self.action)
        if problem:
            return problem
        _, spec = find_field(schema, self.entity, self.guard.field)
        if spec is None:
            return f"{self.entity}.{self.guard.field} does not exist"
        if not stored_writable(spec):
            return "a guard reads a writable field, which a client can make pass or fail"
        op = self.guard.op
        if op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
            if spec.required:
                return f"{self.entity}.{self.guard.field} is required, so it is always set"
            if self.guard.value is not None:
                return f"{op.value} takes no value"
        elif self.guard.value is None:
            return f"{op.value} needs a value"
        if op in ORDERING and spec.type not in NUMERIC:
            return "ordering guards need a numeric field"
        trivial = _trivial(spec, self.guard)
        if trivial:
            return trivial
        existing = next(a for a in schema.entity(self.entity).actions if a.name == self.action)
        if self.guard in existing.guards:
            return "the action already has this guard"
        if redundant(list(existing.guards), self.guard):
            return "a guard of the action already compares the same thing"
        return None

    def _apply(self, schema: Schema) -> Schema:
        return _with_guard(schema, self.entity, self.action, self.guard)

    def describe(self) -> str:
        return (
            f"Action `{self.action}` of `{self.entity}` may now only run when "
            f"{wording.guard_phrase(self.guard)}; otherwise it answers 409 naming "
            f"`{self.guard.field}` and changes nothing (a wrong state is still reported first)."
        )


class AddRelatedGuard(ChangeBase):
    """The action now answers 409 naming the related entity's plural unless the count
    of referencing objects passes."""

    kind: Literal["add_related_guard"] = "add_related_guard"
    entity: str
    action: str
    guard: RelatedGuard
    related_plural: str  # for the description: the 409 names this collection

    def precondition(self, schema: Schema) -> str | None:
        problem = _action_problem(schema, self.entity, self.action)
        if problem:
            return problem
        other, via = find_field(schema, self.guard.entity, self.guard.via)
        if other is None or via is None or via.target != self.entity:
            return f"{self.guard.entity}.{self.guard.via} is not a reference to {self.entity}"
        if other.plural != self.related_plural:
            return f"{self.guard.entity} is served at /{other.plural}"
        if self.guard.op in {CompareOp.IS_SET, CompareOp.IS_NULL}:
            return "a related guard compares a count"
        if self.guard.state_field is not None:
            _, state = find_field(schema, self.guard.entity, self.guard.state_field)
            if state is None or state.type is not FieldType.ENUM:
                return f"{self.guard.entity}.{self.guard.state_field} is not an enum"
            if not self.guard.states or any(s not in state.choices for s in self.guard.states):
                return "the guard's states must be choices of its state field"
        existing = next(a for a in schema.entity(self.entity).actions if a.name == self.action)
        if self.guard in existing.guards:
            return "the action already has this guard"
        if redundant(list(existing.guards), self.guard):
            return "a guard of the action already compares the same thing"
        return None

    def _apply(self, schema: Schema) -> Schema:
        return _with_guard(schema, self.entity, self.action, self.guard)

    def describe(self) -> str:
        return (
            f"Action `{self.action}` of `{self.entity}` may now only run when "
            f"{wording.guard_phrase(self.guard)}; otherwise it answers 409 with "
            f'"field": "{self.related_plural}" and changes nothing.'
        )
