"""The analytics tests of a generated suite: which objects each aggregate test creates.

Every analytics endpoint gets a test over no objects and one over planned rows, scoped
by a token in one stored field (``?<field>=<token>``) so other tests' objects never
count. The rows are chosen so that each rule the spec states changes the answer:

* four rows meet every condition, and one more per condition breaks just that one; a
  breaking row holds the aggregated field's most telling value (the largest for
  ``max``, the smallest for ``min``), so a dropped condition always shows;
* the scoping field is never a field a condition reads (a condition on the title would
  otherwise hold for every scoped row and could be dropped unseen);
* group keys are created in descending text order, so insertion order is not the
  sorted order the spec asks for;
* one more matching row is created and deleted before the query: deleted objects
  never count.
"""

from __future__ import annotations

import dataclasses
import functools

from enduro.scenarios.render import plans, values
from enduro.scenarios.render.suite import (
    _PLURALS,
    Module,
    Test,
    _plan_lines,
    at,
    lit,
    plan_reads,
    remembered,
)
from enduro.scenarios.schema import (
    AggregateOp,
    Analytics,
    CompareOp,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    Schema,
)

TYPED = {FieldType.INTEGER, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.REFERENCE}
PASSING_ROWS = 4  # analytics rows that meet every condition, before the breaking ones
MAX_ROWS = 7
TOKEN_LENGTH = 16  # ``api.token()`` is at most this long


class _Name:
    """A planned value rendered as a variable of the generated test."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SCOPE = _Name("scope")
OTHER_SCOPE = _Name("other_scope")


def analytics_module(schema: Schema) -> Module:
    module = Module("/analytics: aggregates over objects scoped by a unique token (generated).")
    for analytics in schema.analytics:
        # The tests read every field of the analytics' entity, and what plans along
        # its actions read.
        ent = schema.entity(analytics.entity)
        objects, facts = plan_reads(schema, ent, set(), [])
        targets = tuple(_PLURALS.get(f.target or "") for f in ent.fields)
        module.include(
            remembered(
                (analytics, *ent.fields, *objects),
                (ent.title_field, len(ent.fields), targets, facts),
                functools.partial(_tests_of, schema, analytics),
            )
        )
    return module


def _tests_of(schema: Schema, analytics: Analytics) -> list[Test]:
    module = Module("")
    analytics_tests(schema, analytics, module)
    return module.tests


def scope_field(ent: Entity, analytics: Analytics) -> FieldSpec | None:
    """The stored field whose token scopes the rows: the title unless a condition,
    the aggregated field or the grouping reads it, else a plain string or a reference."""
    busy = {c.field for c in analytics.where} | {analytics.field, analytics.group_by}
    title = ent.field(ent.title_field)
    if title.name not in busy:
        return title
    for spec in ent.writable_fields():
        if spec.name in busy or spec.unique:
            continue
        if spec.type is FieldType.REFERENCE and spec.target is not None:
            return spec
        plain = spec.type is FieldType.STRING and spec.pattern is None
        if plain and spec.min_length is None and (spec.max_length or TOKEN_LENGTH) >= TOKEN_LENGTH:
            return spec
    return None


def analytics_tests(schema: Schema, analytics: Analytics, module: Module) -> None:
    ent = schema.entity(analytics.entity)
    title = ent.title_field
    field_name = None if analytics.op is AggregateOp.COUNT else analytics.field
    url = f'"/analytics/{analytics.name}"'
    if analytics.group_by is not None:
        empty = '{"groups": []}'
    else:
        empty = (
            '{"value": 0}'
            if analytics.op in {AggregateOp.COUNT, AggregateOp.SUM}
            else '{"value": None}'
        )
    module.add(
        f"{analytics.name}_over_no_objects",
        [
            f'response = api.get({url}, params={{"{title}": api.token()}})',
            "assert response.status_code == 200, response.text",
            f"assert response.json() == {empty}",
        ],
    )
    typed = [f.name for f in ent.fields if f.computed is None and f.type in TYPED]
    if typed:
        module.add(
            f"{analytics.name}_rejects_a_filter_value_that_does_not_parse",
            [f'api.expect(api.get({url}, params={{name: "not-a-value"}}), 422, name)'],
            ("name", [(name, repr(name)) for name in typed]),
        )
    scope = scope_field(ent, analytics)
    if scope is None:
        return
    rows = analytics_rows(schema, ent, analytics)
    if rows is None:
        return
    if scope.type is FieldType.REFERENCE:
        target = schema.entity(scope.target or "")
        lines = [f'{name} = api.new("{target.plural}")["id"]' for name in ("scope", "other_scope")]
    else:
        lines = ["scope = api.token()", "other_scope = api.token()"]
    # An object that matches everything but the scope never counts.
    outsider = _copy(rows[0])
    outsider.overrides[scope.name] = OTHER_SCOPE
    lines += _plan_lines(outsider, "_outsider")  # never read again
    lines.append("rows = []")
    for found in rows:
        found.overrides[scope.name] = SCOPE
        lines += _plan_lines(found, "row")
        if found.path:
            lines.append(f"row = api.get({at(ent.plural, 'row')}).json()")
        lines.append("rows.append(row)")
    # A deleted object that would match never counts.
    gone = rows[0]
    lines += _plan_lines(gone, "gone")
    lines.append(f"assert api.delete({at(ent.plural, 'gone')}).status_code == 204")
    conditions = " and ".join(
        f"api.holds(row[{c.field!r}], {c.op.value!r}, {lit(c.value)})" for c in analytics.where
    )
    lines.append(f"kept = [row for row in rows if {conditions or 'True'}]")
    if analytics.group_by is not None:
        lines.append(
            f'expected = {{"groups": api.grouped({analytics.op.value!r}, kept, {field_name!r}, '
            f"{analytics.group_by!r})}}"
        )
    else:
        lines.append(
            f'expected = {{"value": api.aggregate({analytics.op.value!r}, kept, {field_name!r})}}'
        )
    lines += [
        f'response = api.get({url}, params={{"{scope.name}": scope}})',
        "assert response.status_code == 200, response.text",
        "assert api.close(response.json(), expected), (response.json(), expected)",
    ]
    if len(rows) > PASSING_ROWS:
        lines.append("assert len(kept) < len(rows)  # the conditions leave objects out")
    stored = [f.name for f in ent.fields if f.computed is None and f.name != scope.name]
    if analytics.group_by is not None:
        narrowed = (
            f'expected = {{"groups": api.grouped({analytics.op.value!r}, subset, '
            f"{field_name!r}, {analytics.group_by!r})}}"
        )
    else:
        narrowed = (
            f'expected = {{"value": api.aggregate({analytics.op.value!r}, subset, {field_name!r})}}'
        )
    lines += [
        "# Equality filters on every stored field narrow the objects first.",
        f"for name in {stored!r}:",
        "    wanted = rows[0][name]",
        "    subset = [row for row in kept if api.same(row[name], wanted)]",
        f"    {narrowed}",
        f"    params = {{{scope.name!r}: scope, name: api.query_text(wanted)}}",
        f"    response = api.get({url}, params=params)",
        "    assert response.status_code == 200, (name, response.text)",
        "    assert api.close(response.json(), expected), (name, response.json(), expected)",
    ]
    module.add(f"{analytics.name}_aggregates_the_matching_objects", lines)


def _aggregated_values(spec: FieldSpec, op: AggregateOp) -> tuple[list[object], object]:
    """(values for rows that meet the conditions, the value of rows that break one)."""
    options: list[object] = list(values.samples(spec, 3))
    if len(options) < 2:
        return options, options[0] if options else None
    if op is AggregateOp.MIN:
        return options[1:], options[0]
    return options[:-1], options[-1]


def _descending_keys(spec: FieldSpec) -> list[object]:
    """Group keys in descending text order (``str``; booleans as true/false)."""
    options: list[object] = list(values.samples(spec, 3))

    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return sorted(options, key=text, reverse=True)


def _vary_the_rest(ent: Entity, analytics: Analytics, found: plans.Plan, index: int) -> None:
    """Every other writable field alternates between two values (unique fields take
    fresh ones), so an equality filter on any of them leaves some rows out."""
    read = {
        analytics.field,
        analytics.group_by,
        ent.title_field,
        *(c.field for c in analytics.where),
    }
    for spec in ent.writable_fields():
        name = spec.name
        if name in found.overrides or name in read or spec.type is FieldType.REFERENCE:
            continue
        if spec.unique:
            found.overrides[name] = plans.FRESH
            continue
        options = values.samples(spec, 2)
        if len(options) == 2:
            found.overrides[name] = options[index % 2]


def analytics_rows(schema: Schema, ent: Entity, analytics: Analytics) -> list[plans.Plan] | None:
    """Four objects meet every condition (one with a null aggregated field when it may
    be null), one more per condition breaks just that one; group keys and values vary."""
    rows: list[plans.Plan] = []
    conds = [FieldGuard(field=c.field, op=c.op, value=c.value) for c in analytics.where]
    state_fields = {c.field for c in analytics.where if ent.field(c.field).read_only}
    plan_state = next(iter(sorted(state_fields)), None)
    breaking: list[FieldGuard | None] = [*([None] * PASSING_ROWS), *conds]
    for index, broken in enumerate(breaking[:MAX_ROWS]):
        hold = [c for c in conds if c is not broken]
        fail = [broken] if broken is not None else []
        found = None
        if plan_state is not None:
            for target in plans.reachable(ent, plan_state):
                found = plans.plan(schema, ent, plan_state, target, list(hold), list(fail))
                if found is not None:
                    break
        else:
            found = plans.plan(schema, ent, None, None, list(hold), list(fail))
        if found is None:
            if broken is None:
                return None
            continue
        for name in filter(None, [analytics.field, analytics.group_by]):
            spec = ent.field(name)
            if name in found.overrides or spec.read_only or spec.name == ent.title_field:
                continue
            if any(c.field == name for c in analytics.where):
                continue
            if spec.type is FieldType.REFERENCE:
                if index % 2 == 0:
                    found.overrides[name] = plans.PARENT
                continue
            if spec.unique:
                found.overrides[name] = plans.FRESH
                continue
            if name == analytics.field and name != analytics.group_by:
                kept, telling = _aggregated_values(spec, analytics.op)
                if broken is not None:
                    found.overrides[name] = telling
                elif index == 2 and not spec.required:
                    found.overrides[name] = None
                elif kept:
                    # Uneven values (a, b, b): an average that is not a whole number.
                    found.overrides[name] = kept[min(index, 1) % len(kept)]
                continue
            keys = _descending_keys(spec)
            if keys:
                found.overrides[name] = keys[index % len(keys)]
        _vary_the_rest(ent, analytics, found, index)
        rows.append(found)
    if rows:
        rows += _null_rows(ent, analytics, rows[0])
    return rows


def _copy(found: plans.Plan) -> plans.Plan:
    """The same plan with its own overrides (sentinel values keep their identity)."""
    return dataclasses.replace(found, overrides=dict(found.overrides))


def _null_rows(ent: Entity, analytics: Analytics, passing: plans.Plan) -> list[plans.Plan]:
    """A row with null in an optional field that an ordering condition reads: an
    ordering comparison with null fails, so the row never counts."""
    found = []
    ordering = {CompareOp.GT, CompareOp.GTE, CompareOp.LT, CompareOp.LTE}
    for cond in analytics.where:
        spec = ent.field(cond.field)
        if cond.op not in ordering or spec.required or spec.read_only:
            continue
        if sum(c.field == cond.field for c in analytics.where) > 1:
            continue
        row = _copy(passing)
        row.overrides[cond.field] = None
        found.append(row)
    return found


__all__ = ["SCOPE", "analytics_module", "analytics_rows", "analytics_tests", "scope_field"]
