"""Values of unique fields that a guard or condition compares with a bound.

A unique field cannot hold one fixed literal in every test (the second object holding
it is a 409), and a fresh value (unknown until run time) settles an ordering
comparison either way. So such a field is planned as a ``Pick``: a short list of
literals, tightest to the bound first, that all make the comparisons come out as
wanted; at run time the test takes the first one no object holds (``api.pick``) and
deletes what it created afterwards (``api.release_after``). Tightest first means a
guard ``lte 100`` is tested succeeding at exactly 100, so ``lte`` turned ``lt`` fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from enduro.scenarios.render.values import (
    Comparison,
    comparisons_key,
    holds,
    is_valid,
    samples,
    value_rules,
)
from enduro.scenarios.schema import FieldSpec, FieldType, Scalar

PICKS = 24  # literals per pick: more than the objects one test holds at once
SPREAD = 30  # steps either side of a bound


@dataclass(frozen=True)
class Pick:
    """A field value: the first of ``values`` that no object holds at run time."""

    values: tuple[Scalar, ...]


def _steps(spec: FieldSpec, bound: object) -> list[Scalar]:
    """Values around ``bound``: the bound, then one step above and below, and so on."""
    offsets = [0]
    for step in range(1, SPREAD + 1):
        offsets += [step, -step]
    if spec.type is FieldType.INTEGER and isinstance(bound, int) and not isinstance(bound, bool):
        return [bound + o for o in offsets]
    if spec.type is FieldType.NUMBER and isinstance(bound, int | float):
        if isinstance(bound, bool):
            return []
        halves = [bound + o / 2 for o in offsets]
        return [int(v) if float(v).is_integer() and isinstance(bound, int) else v for v in halves]
    if spec.type is FieldType.DATE and isinstance(bound, str):
        try:
            day = date.fromisoformat(bound)
        except ValueError:
            return []
        return [(day + timedelta(days=o)).isoformat() for o in offsets]
    if spec.type is FieldType.DATETIME and isinstance(bound, str):
        try:
            moment = datetime.fromisoformat(bound)
        except ValueError:
            return []
        return [(moment + timedelta(seconds=o)).isoformat() for o in offsets]
    return []


_PICKS: dict[tuple[object, ...], Pick | None] = {}
_MAX_PICKS = 16384
_UNKNOWN = Pick(())  # not yet in _PICKS (None is a remembered answer)


def pick(spec: FieldSpec, wanted: list[Comparison]) -> Pick | None:
    """Literals for which every comparison holds or fails as wanted, tightest first;
    None when there are none. Remembered by the field's rules (asked again by every
    plan that sets the field, turn after turn)."""
    key = (*value_rules(spec), comparisons_key(wanted))
    found = _PICKS.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        if len(_PICKS) >= _MAX_PICKS:
            _PICKS.clear()
        found = _PICKS[key] = _pick(spec, wanted)
    return found


def _pick(spec: FieldSpec, wanted: list[Comparison]) -> Pick | None:
    raw: list[Scalar] = []
    for _, bound, _ in wanted:
        raw += _steps(spec, bound)
    raw += samples(spec, 40)
    found: list[Scalar] = []
    for value in raw:
        if value in found or not is_valid(spec, value):
            continue
        if all(holds(value, op, other) == keep for op, other, keep in wanted):
            found.append(value)
        if len(found) == PICKS:
            break
    return Pick(tuple(found)) if found else None


__all__ = ["Pick", "pick"]
