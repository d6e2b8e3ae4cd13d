from __future__ import annotations

from fractions import Fraction

import pytest

from stockroom import UnitError, convert


def test_counts_and_masses() -> None:
    assert convert(3, "dozen", "each") == 36
    assert convert(1, "gross", "dozen") == 12
    assert convert(250, "g", "kg") == Fraction(1, 4)
    assert convert(Fraction(1, 2), "KG", " g ") == 500


def test_an_unknown_unit_lists_the_known_ones() -> None:
    with pytest.raises(UnitError, match="known: each, pair"):
        convert(1, "furlong", "each")
