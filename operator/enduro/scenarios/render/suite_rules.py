"""Suite tests for convention rules SPEC.md states once for every resource (issue #16):
which key a ``422`` names when several are bad, unparsable and ``null`` filter values,
datetime bounds compared as instants, and the text order of enums.

Each function returns the tests for one entity as (name, lines, params) triples that
``render/suite.py`` adds to the entity's module.
"""

from __future__ import annotations

from typing import Any

from enduro.scenarios.consistency import filter_parameter
from enduro.scenarios.render import values
from enduro.scenarios.schema import Entity, FieldSpec, FieldType, FilterOp, ListFilter, Scalar

TestSpec = tuple[str, list[str], Any]
UNPARSABLE = "not-a-value"
TYPED = {FieldType.INTEGER, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.REFERENCE}
BOUNDED = {FieldType.INTEGER, FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME}
# One instant written three ways: naive (UTC), and with offsets either side.
INSTANT = "2024-06-30T12:00:00"
SAME_EAST = "2024-06-30T13:00:00+01:00"
LATER_EAST = "2024-06-30T13:00:01+01:00"
SAME_WEST = "2024-06-30T11:00:00-01:00"
EARLIER_WEST = "2024-06-30T10:59:59-01:00"
EARLY_OFFSET = "2024-06-30T13:30:00+02:00"  # 11:30 UTC: after 12:00 as text, before as time


def key_order(ent: Entity, unknown: str) -> list[TestSpec]:
    """A body with several bad keys: the 422 names the first unknown key as the body
    lists it, and the first bad field in the order SPEC.md lists fields."""
    p = ent.plural
    tests: list[TestSpec] = [
        (
            "several_unknown_keys_name_the_first_listed",
            [
                f'body = {{"{unknown}_b": 1, **api.body("{p}"), "{unknown}_a": 1}}',
                f'api.expect(api.post("/{p}", json=body), 422, "{unknown}_b")',
            ],
            None,
        )
    ]
    fields = [f for f in ent.writable_fields() if values.wrong_types(f)]
    if len(fields) >= 2:
        first, second = fields[0], fields[-1]
        bad_first = values.wrong_types(first)[0][1]
        bad_second = values.wrong_types(second)[0][1]
        tests.append(
            (
                "several_bad_fields_name_the_first_in_field_order",
                [
                    f'body = api.body("{p}")',
                    f"body.pop({first.name!r}, None)",
                    f"body.pop({second.name!r}, None)",
                    f"body = {{{second.name!r}: {bad_second!r}, **body, "
                    f"{first.name!r}: {bad_first!r}}}",
                    f'api.expect(api.post("/{p}", json=body), 422, "{first.name}")',
                ],
                None,
            )
        )
    return tests


def unparsable_filters(ent: Entity, flt: ListFilter) -> list[TestSpec]:
    """A filter value that does not parse, and null as a bound: 422 naming the parameter."""
    spec = ent.field(flt.field)
    param = filter_parameter(flt)
    cases: list[tuple[str, str]] = []
    if flt.op is FilterOp.EQ and spec.type in TYPED:
        cases.append(("unparsable", repr(UNPARSABLE)))
    if flt.op in {FilterOp.GTE, FilterOp.LTE} and spec.type in BOUNDED:
        cases += [("unparsable", repr(UNPARSABLE)), ("null", repr("null"))]
    if not cases:
        return []
    return [
        (
            f"filter_{param}_rejects_a_value_that_does_not_parse",
            [f'api.expect(api.get("/{ent.plural}", params={{"{param}": text}}), 422, "{param}")'],
            ("text", cases),
        )
    ]


def instant_bounds(ent: Entity, flt: ListFilter) -> list[TestSpec]:
    """Datetime bounds compare instants, offsets applied (the boundary instant is in)."""
    spec = ent.field(flt.field)
    if spec.type is not FieldType.DATETIME or spec.read_only or spec.unique:
        return []
    if flt.op not in {FilterOp.GTE, FilterOp.LTE} or not values.is_valid(spec, INSTANT):
        return []
    param = filter_parameter(flt)
    same, beyond = (SAME_EAST, LATER_EAST) if flt.op is FilterOp.GTE else (SAME_WEST, EARLIER_WEST)
    p = ent.plural
    return [
        (
            f"filter_{param}_compares_instants_with_offsets",
            [
                f'item = api.new("{p}", {spec.name}={INSTANT!r})',
                f'ids = [i["id"] for i in api.list_all("{p}", {param}={same!r})]',
                'assert item["id"] in ids, "the same instant, written with an offset, is in"',
                f'ids = [i["id"] for i in api.list_all("{p}", {param}={beyond!r})]',
                'assert item["id"] not in ids, "a second beyond the bound is out"',
            ],
            None,
        )
    ]


def sort_samples(spec: FieldSpec) -> list[Scalar]:
    """Values to sort by: for an enum, two choices whose text order differs from their
    order in the choices come first (a server sorting by choice index fails); for a
    datetime, one value with an offset whose text order differs from its instant's."""
    found = values.samples(spec, 3)
    if spec.type is FieldType.ENUM:
        choices = list(spec.choices)
        for i, early in enumerate(choices):
            later = next((c for c in choices[i + 1 :] if c < early), None)
            if later is not None:
                rest = [c for c in found if c not in {early, later}]
                return [early, later, *rest][:3]
    if spec.type is FieldType.DATETIME and values.is_valid(spec, EARLY_OFFSET):
        return [*found, EARLY_OFFSET]
    return found


__all__ = ["instant_bounds", "key_order", "sort_samples", "unparsable_filters"]
