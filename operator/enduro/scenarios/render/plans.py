"""How a test brings an object into a state: which field values to create it with,
which related objects to create (in which states), and which actions to apply.

Actions move a state field along edges ``from_state -> to_state`` under guards; a plan
is the shortest action path from the default state plus values that make every guard
on the way hold, and makes chosen guards of the final action hold or fail. Everything
is checked here at render time with the conventions' comparison (``values.holds``), so a
generated test never relies on a plan that would not work against a correct server.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from enduro.scenarios.memo import edits
from enduro.scenarios.render.picks import Pick, pick
from enduro.scenarios.render.values import PARENT, Comparison, holds, satisfying, typed
from enduro.scenarios.schema import (
    Action,
    CompareOp,
    Entity,
    FieldGuard,
    FieldSpec,
    Guard,
    RelatedGuard,
    Schema,
)

FRESH = object()  # a field value: "a fresh unique value of this field"
MAX_CHILDREN = 4


@dataclass
class Child:
    """One related object: created with ``via`` pointing at the planned object."""

    entity: Entity
    via: str
    plan: Plan


@dataclass
class Plan:
    entity: Entity
    overrides: dict[str, object] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    path: list[Action] = field(default_factory=list)


_PATHS: dict[tuple[int, int, str, str], tuple[Entity, tuple[Action, ...] | None]] = {}
_MAX_PATHS = 65536


def path_to(ent: Entity, state_field: str, target: str) -> list[Action] | None:
    """The shortest list of actions moving ``state_field`` from its default to ``target``.

    Asked again and again for the same entity within a suite and across the turns that
    leave the entity as it was: remembered per entity object (schemas are never mutated;
    the entry holds the entity, so its id cannot be reused while the entry lives)."""
    key = (edits(), id(ent), state_field, target)
    hit = _PATHS.get(key)
    if hit is None or hit[0] is not ent:
        found = _path_to(ent, state_field, target)
        if len(_PATHS) >= _MAX_PATHS:
            _PATHS.clear()
        hit = _PATHS[key] = (ent, None if found is None else tuple(found))
    return None if hit[1] is None else list(hit[1])


def _path_to(ent: Entity, state_field: str, target: str) -> list[Action] | None:
    start = str(ent.field(state_field).default)
    moves = [a for a in ent.actions if a.field == state_field]
    paths: dict[str, list[Action]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for action in moves:
            if state in action.from_states and action.to_state not in paths:
                paths[action.to_state] = [*paths[state], action]
                queue.append(action.to_state)
    return paths.get(target)


def reachable(ent: Entity, state_field: str) -> list[str]:
    """States of ``state_field`` some action path reaches, in choice order."""
    spec = ent.field(state_field)
    return [s for s in spec.choices if path_to(ent, state_field, s) is not None]


# Half the plans a turn's suite asks for were made earlier in the same turn (an action's
# success, refusal and null-guard tests plan the same states; analytics rows repeat
# them). Remembered by the entity planned, the guards' values and every entity of the
# schema (the related objects a plan creates are looked up there by name); the entry
# holds those objects, so their ids stay their own while it lives.
_PLANS: dict[tuple[object, ...], tuple[tuple[Entity, ...], Plan | None]] = {}
_MAX_PLANS = 65536


def plan(  # noqa: PLR0917  # the planner's inputs read best in this fixed order
    schema: Schema,
    ent: Entity,
    state_field: str | None,
    target: str | None,
    hold: list[Guard],
    fail: list[Guard],
    depth: int = 0,
) -> Plan | None:
    """A plan that reaches ``target`` of ``state_field`` (when given), keeps every guard
    on the way and in ``hold`` true at the end, and every guard in ``fail`` false.
    Callers may change the plan's overrides, children and path: each answer is a copy."""
    entities = (ent, *schema.entities)
    key = (
        edits(),
        *map(id, entities),
        state_field,
        target,
        tuple(map(_guard_key, hold)),
        tuple(map(_guard_key, fail)),
        depth,
    )
    hit = _PLANS.get(key)
    if hit is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        hit = _PLANS[key] = (entities, _plan(schema, ent, state_field, target, hold, fail, depth))
    found = hit[1]
    if found is None:
        return None
    return Plan(found.entity, dict(found.overrides), list(found.children), list(found.path))


def _guard_key(guard: Guard) -> tuple[object, ...]:
    """Every value of a guard that planning reads (``1``, ``1.0`` and ``True`` apart)."""
    if isinstance(guard, FieldGuard):
        return ("field", guard.field, guard.op, typed(guard.value))
    return (
        "related",
        guard.entity,
        guard.via,
        guard.op,
        guard.count,
        guard.state_field,
        tuple(guard.states),
    )


def _plan(  # noqa: PLR0917  # plan's inputs, in plan's order
    schema: Schema,
    ent: Entity,
    state_field: str | None,
    target: str | None,
    hold: list[Guard],
    fail: list[Guard],
    depth: int,
) -> Plan | None:
    path: list[Action] = []
    if state_field is not None and target is not None:
        found = path_to(ent, state_field, target)
        if found is None:
            return None
        path = found
    # (guard, must hold, state of the planned field when it is evaluated)
    checks: list[tuple[Guard, bool, str | None]] = []
    state = None if state_field is None else str(ent.field(state_field).default)
    for action in path:
        checks.extend((g, True, state) for g in action.guards)
        state = action.to_state
    checks.extend((g, True, target) for g in hold)
    checks.extend((g, False, target) for g in fail)
    result = Plan(entity=ent, path=path)
    if not _plan_fields(ent, state_field, checks, result):
        return None
    if not _plan_children(schema, ent, checks, result, depth):
        return None
    return result


def _plan_fields(
    ent: Entity,
    state_field: str | None,
    checks: list[tuple[Guard, bool, str | None]],
    result: Plan,
) -> bool:
    wanted: dict[str, list[Comparison]] = {}
    for guard, keep, state in checks:
        if not isinstance(guard, FieldGuard):
            continue
        spec = ent.field(guard.field)
        if spec.computed is not None:
            return False
        if spec.read_only:
            current = state if guard.field == state_field else spec.default
            if holds(current, guard.op, guard.value) != keep:
                return False
            continue
        wanted.setdefault(guard.field, []).append((guard.op, guard.value, keep))
    for name, comparisons in wanted.items():
        spec = ent.field(name)
        if spec.unique:
            value = _unique_value(spec, comparisons)
            if value is _NO_VALUE:
                return False
            result.overrides[name] = value
            continue
        ok, value = satisfying(spec, comparisons)
        if not ok:
            return False
        result.overrides[name] = value
    return True


_NO_VALUE = object()


def _unique_value(spec: FieldSpec, comparisons: list[Comparison]) -> object:
    """Unique fields take null, a fresh value (unknown until run time) when every fresh
    value settles the comparisons the same way, else a ``Pick`` of literals that do."""
    if not spec.required and all(holds(None, op, v) == keep for op, v, keep in comparisons):
        return None
    fresh_ok = {(CompareOp.IS_SET, True), (CompareOp.IS_NULL, False)}
    if all(
        (op, keep) in fresh_ok or (op, keep) == (CompareOp.NE, True) for op, _, keep in comparisons
    ):
        return FRESH
    found = pick(spec, comparisons)
    return _NO_VALUE if found is None else found


def _plan_children(
    schema: Schema,
    ent: Entity,
    checks: list[tuple[Guard, bool, str | None]],
    result: Plan,
    depth: int,
) -> bool:
    related = [(g, keep) for g, keep, _ in checks if isinstance(g, RelatedGuard)]
    keys = sorted({(g.entity, g.via) for g, _ in related})
    for entity_name, via in keys:
        guards = [(g, keep) for g, keep in related if (g.entity, g.via) == (entity_name, via)]
        child_ent = schema.entity(entity_name)
        state_field = next((g.state_field for g, _ in guards if g.state_field), None)
        if state_field is not None and (not child_ent.has_field(state_field)):
            return False
        config = _children_config(child_ent, state_field, guards)
        if config is None:
            return False
        for child_state in config:
            if state_field is None or child_state == str(child_ent.field(state_field).default):
                child_plan = Plan(entity=child_ent)
            else:
                if depth >= 1:
                    return False
                found = plan(schema, child_ent, state_field, child_state, [], [], depth + 1)
                if found is None or found.children:
                    return False
                child_plan = found
            result.children.append(Child(entity=child_ent, via=via, plan=child_plan))
    return True


def _children_config(
    child: Entity, state_field: str | None, guards: list[tuple[RelatedGuard, bool]]
) -> list[str] | None:
    """The final states of the fewest related objects that make every guard come out
    as wanted (a state field of None means plain counting)."""
    options = ("-",) if state_field is None else tuple(reachable(child, state_field))
    # A function of the states and the guards' values alone, asked again for every plan
    # (a few dozen distinct questions a scenario, thousands of times).
    key = (options, tuple((_guard_key(g), keep) for g, keep in guards))
    try:
        found = _CONFIGS[key]
    except KeyError:
        if len(_CONFIGS) >= _MAX_PLANS:
            _CONFIGS.clear()
        found = _CONFIGS[key] = _search_children(options, guards)
    return None if found is None else list(found)


_CONFIGS: dict[tuple[object, ...], tuple[str, ...] | None] = {}


def _search_children(
    options: tuple[str, ...], guards: list[tuple[RelatedGuard, bool]]
) -> tuple[str, ...] | None:
    # Counts at a guard's bound first: ``lt 3`` passes with 2 related objects and fails
    # with 3, so a server that counts wrongly or compares with ``lte`` fails a test.
    bounds = [g.count for g, _ in guards]
    order = sorted(range(MAX_CHILDREN + 1), key=lambda n: (min(abs(n - b) for b in bounds), n))
    for total in order:
        for combo in itertools.combinations_with_replacement(options, total):
            if all(_related_holds(g, combo) == keep for g, keep in guards):
                return combo
    return None


def _related_holds(guard: RelatedGuard, states: tuple[str, ...]) -> bool:
    if guard.state_field is not None and guard.states:
        count = sum(1 for s in states if s in guard.states)
    else:
        count = len(states)
    return holds(count, guard.op, guard.count)


def picks(found: Plan) -> bool:
    """Whether the plan (or a related object's) holds a picked literal in a unique field."""
    plans = [found, *(child.plan for child in found.children)]
    return any(isinstance(v, Pick) for p in plans for v in p.overrides.values())


__all__ = ["FRESH", "PARENT", "Child", "Pick", "Plan", "path_to", "picks", "plan", "reachable"]
