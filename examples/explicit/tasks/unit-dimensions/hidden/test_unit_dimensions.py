from __future__ import annotations

import pytest

from stockroom import UnitError, convert


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("kg", "dozen", "cannot convert kg (mass) to dozen (count)"),
        ("each", "g", "cannot convert each (count) to g (mass)"),
        ("Gross", "KG", "cannot convert Gross (count) to KG (mass)"),
    ],
)
def test_units_of_different_dimensions_do_not_convert(
    source: str, target: str, message: str
) -> None:
    with pytest.raises(UnitError) as caught:
        convert(2, source, target)
    assert str(caught.value) == message


def test_units_of_one_dimension_still_convert() -> None:
    assert convert(2, "kg", "g") == 2000
    assert convert(6, "each", "pair") == 3
    assert convert(0, "dozen", "gross") == 0
