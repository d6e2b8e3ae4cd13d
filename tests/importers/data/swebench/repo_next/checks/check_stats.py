from calc.stats import mean, median


def test_mean() -> None:
    assert mean([1, 2, 3, 6]) == 3


def test_median_odd() -> None:
    assert median([5, 1, 3]) == 3
