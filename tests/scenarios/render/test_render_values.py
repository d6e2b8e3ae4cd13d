"""Render-time values: every value the suite believes valid is valid, and vice versa."""

from __future__ import annotations

import random
import re
import sys
import threading

from enduro.scenarios.render import values
from enduro.scenarios.render.values import (
    PARENT,
    is_valid,
    malformed,
    pattern_misses,
    pattern_strings,
    samples,
    satisfying,
    text_of_length,
    wrong_types,
)
from enduro.scenarios.schema import CompareOp, FieldSpec, FieldType

S = FieldType


def test_pattern_strings_match_fully_and_are_distinct() -> None:
    spec = FieldSpec(name="code", type=S.STRING, pattern=r"[A-Z]{3}-\d{4}(x|yz)?")
    found = pattern_strings(spec, 200)
    assert len(found) == 200 == len(set(found))
    assert all(re.fullmatch(spec.pattern or "", text) for text in found)


def _walked(spec: FieldSpec, count: int) -> list[str]:
    """The definition ``pattern_strings`` keeps: the first ``count`` distinct strings of
    the seeded walks that match the pattern and the length bounds, within ``count * 6 +
    200`` attempts, walked afresh for this spec alone."""
    parsed = values._PARSER.parse(spec.pattern)
    found: list[str] = []
    seen: set[str] = set()
    for attempt in range(count * 6 + 200):
        text = values._walk(parsed, random.Random(attempt), attempt % 8)
        if text is None or text in seen:
            continue
        seen.add(text)
        if is_valid(spec, text):
            found.append(text)
            if len(found) == count:
                break
    return found


def test_one_walk_of_a_pattern_serves_every_bound_and_count() -> None:
    """A pattern is walked once for all the fields that carry it; what each spec gets is
    what a walk of its own gives, whatever was asked before (a larger count, other
    bounds, a bound no string meets)."""
    pattern = r"[a-c]{1,6}(-[0-9]{1,2})?"
    asks = [(1, 3, 2000), (None, None, 5), (3, 5, 1500), (9, 9, 50), (None, None, 40),
            (2, None, 300), (7, 9, 3), (4, 4, 10), (20, None, 5)]  # fmt: skip
    for low, high, count in asks:
        spec = FieldSpec(name="t", type=S.STRING, pattern=pattern, min_length=low, max_length=high)
        assert pattern_strings(spec, count) == _walked(spec, count), (low, high, count)


def _ask(spec: FieldSpec, count: int, got: dict[int, list[str]]) -> None:
    got[count] = pattern_strings(spec, count)


def test_threads_sharing_a_walk_each_get_a_walk_of_their_own() -> None:
    """Renderers may run in several threads of one process (the other caches only render
    again on a race): threads asking one pattern at once, switching as often as the
    interpreter can, each get what a walk of their own gives, not a walk another thread
    extended half-way."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(5):
            spec = FieldSpec(
                name="t", type=S.STRING, pattern=rf"[a-c]{{1,5}}(-[0-9]{{1,2}})?t{trial}"
            )
            got: dict[int, list[str]] = {}
            counts = (1500, 1400, 300, 1200, 900)
            threads = [threading.Thread(target=_ask, args=(spec, c, got)) for c in counts]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert all(got[c] == _walked(spec, c) for c in counts), trial
    finally:
        sys.setswitchinterval(switch)


def test_pattern_misses_include_a_valid_prefix_that_search_would_accept() -> None:
    spec = FieldSpec(name="code", type=S.STRING, pattern=r"\d{3}")
    misses = pattern_misses(spec, "123")
    assert misses and all(re.fullmatch(r"\d{3}", m) is None for m in misses)
    assert any(re.search(r"\d{3}", m) for m in misses)


def test_samples_respect_every_constraint() -> None:
    specs = [
        FieldSpec(name="n", type=S.INTEGER, minimum=3, maximum=5),
        FieldSpec(name="x", type=S.NUMBER, maximum=-2),
        FieldSpec(name="s", type=S.STRING, min_length=7, max_length=9),
        FieldSpec(name="e", type=S.EMAIL, min_length=20),
        FieldSpec(name="c", type=S.ENUM, choices=["a", "b"]),
        FieldSpec(name="d", type=S.DATE),
        FieldSpec(name="t", type=S.DATETIME),
        FieldSpec(name="b", type=S.BOOLEAN),
    ]
    for spec in specs:
        found = samples(spec)
        assert len(found) >= 2, spec.name
        assert all(is_valid(spec, value) for value in found), (spec.name, found)


def test_wrong_types_and_malformed_values_are_invalid() -> None:
    specs = [
        FieldSpec(name="n", type=S.INTEGER),
        FieldSpec(name="x", type=S.NUMBER),
        FieldSpec(name="e", type=S.EMAIL),
        FieldSpec(name="d", type=S.DATE),
        FieldSpec(name="t", type=S.DATETIME),
        FieldSpec(name="c", type=S.ENUM, choices=["a"]),
        FieldSpec(name="b", type=S.BOOLEAN),
    ]
    for spec in specs:
        assert not any(is_valid(spec, value) for _, value in wrong_types(spec)), spec.name
        assert not any(is_valid(spec, value) for _, value in malformed(spec, None)), spec.name
    assert not is_valid(FieldSpec(name="n", type=S.INTEGER), True)
    assert not is_valid(FieldSpec(name="n", type=S.INTEGER), 1.0)


def test_removed_choices_are_probed_as_malformed() -> None:
    old = FieldSpec(name="c", type=S.ENUM, choices=["a", "b"])
    new = FieldSpec(name="c", type=S.ENUM, choices=["a"])
    assert ("removed_b", "b") in malformed(new, old)


def test_text_of_length_hits_the_length_exactly() -> None:
    spec = FieldSpec(name="e", type=S.EMAIL)
    assert len(text_of_length(spec, 30) or "") == 30
    assert is_valid(spec, text_of_length(spec, 30))


def test_a_remembered_text_of_length_is_the_first_of_its_patterns_strings() -> None:
    """Asked again, a pattern's text of a length is the first of its strings (length
    bounds aside) of that length, for another pattern or length as much as for the first."""
    cases = [
        (r"[a-z]{2,9}", 5, None),
        (r"[a-z]{2,9}", 7, None),
        (r"[0-9]{2,9}", 5, 3),
        (r"[a-z]{2,9}", 12, None),
    ]
    for _ in range(2):
        for pattern, length, min_length in cases:
            spec = FieldSpec(name="t", type=S.STRING, pattern=pattern, min_length=min_length)
            expected = next(
                (t for t in pattern_strings(spec, 400, lengths=False) if len(t) == length), None
            )
            assert text_of_length(spec, length) == expected, (pattern, length)
    assert text_of_length(FieldSpec(name="t", type=S.STRING, pattern="[0-9]{2,9}"), 5) != (
        text_of_length(FieldSpec(name="t", type=S.STRING, pattern="[a-z]{2,9}"), 5)
    )


def test_remembered_samples_follow_the_count_and_an_edit_in_place() -> None:
    """Samples remembered for a field object are those of its rules now: another count
    or a bound edited in place gives what a field never asked before gives."""
    spec = FieldSpec(name="n", type=S.INTEGER, minimum=0, maximum=1000)
    assert samples(spec, 3) == samples(spec.model_copy(), 3)
    assert samples(spec, 5) == samples(spec.model_copy(), 5) != samples(spec, 3)
    spec.maximum = 8
    assert samples(spec, 3) == samples(FieldSpec(name="m", type=S.INTEGER, minimum=0, maximum=8))
    assert all(value <= 8 for value in samples(spec, 3))  # type: ignore[operator]


def test_satisfying_finds_values_that_hold_or_fail_as_wanted() -> None:
    pages = FieldSpec(name="pages", type=S.INTEGER, minimum=1)
    ok, value = satisfying(pages, [(CompareOp.GTE, 10, True), (CompareOp.LT, 20, True)])
    assert ok and isinstance(value, int) and 10 <= value < 20
    ok, value = satisfying(pages, [(CompareOp.GTE, 1, False)])
    assert ok and value is None  # only null fails ">= 1" within the bounds
    ok, _ = satisfying(pages.model_copy(update={"required": True}), [(CompareOp.GTE, 1, False)])
    assert not ok
    ref = FieldSpec(name="a_id", type=S.REFERENCE, target="a", on_delete="cascade")
    assert satisfying(ref, [(CompareOp.IS_SET, None, True)]) == (True, PARENT)
