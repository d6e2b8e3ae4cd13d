"""Units of quantity: counts (each, pair, dozen, gross) and masses (g, kg)."""

from __future__ import annotations

from fractions import Fraction

# unit -> (dimension, size in the dimension's base unit)
UNITS: dict[str, tuple[str, int]] = {
    "each": ("count", 1),
    "pair": ("count", 2),
    "dozen": ("count", 12),
    "gross": ("count", 144),
    "g": ("mass", 1),
    "kg": ("mass", 1000),
}


class UnitError(ValueError):
    """An unknown unit, or units that measure different things."""


def convert(amount: int | Fraction, source: str, target: str) -> Fraction:
    """`amount` of `source` units expressed in `target` units, exactly."""
    source_dimension, source_size = _unit(source)
    target_dimension, target_size = _unit(target)
    if source_dimension != target_dimension:
        raise UnitError(
            f"cannot convert {source} ({source_dimension}) to {target} ({target_dimension})"
        )
    return Fraction(amount) * source_size / target_size


def _unit(name: str) -> tuple[str, int]:
    try:
        return UNITS[name.strip().lower()]
    except KeyError:
        raise UnitError(f"unknown unit {name!r}; known: {', '.join(UNITS)}") from None
