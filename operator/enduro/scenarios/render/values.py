"""Concrete field values for the generated suite: valid samples, invalid ones, boundary
values, strings that match a pattern, and values that satisfy a comparison.

Everything here is decided at render time and verified against the field's own rules
(``is_valid``), so the suite never sends a value it believes valid that the conventions
reject. Pure functions of the IR; deterministic.
"""

from __future__ import annotations

import functools
import importlib
import math
import random
import re
import threading
from datetime import date, datetime
from typing import Any

from enduro.scenarios.memo import edits
from enduro.scenarios.schema import CompareOp, FieldSpec, FieldType, Scalar

# The standard library's own regex parser walks a pattern into literals, classes and
# repeats; the sampler's patterns are small, so a walk over it finds matching strings.
_PARSER: Any = importlib.import_module("re._parser")
_CONST: Any = importlib.import_module("re._constants")

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
DATES = ("2024-01-15", "2024-06-30", "2025-02-28")
DATETIMES = ("2024-01-15T08:30:00", "2024-06-30T12:00:00", "2025-02-28T23:59:59")
EMAILS = ("ann@example.com", "bob@example.org", "cy@mail.example.net")


class UnrenderableError(ValueError):
    """The schema asks for a value no sampler can produce (names the field)."""


_TEXT_TYPES = frozenset(
    {FieldType.STRING, FieldType.EMAIL, FieldType.ENUM, FieldType.DATE, FieldType.DATETIME}
)
_WHOLE_TYPES = frozenset({FieldType.INTEGER, FieldType.REFERENCE})


def is_valid(spec: FieldSpec, value: object) -> bool:
    """The conventions' validation of one non-null value (references: type only)."""
    kind = spec.type
    if kind in _TEXT_TYPES:
        if not isinstance(value, str):
            return False
    elif kind in _WHOLE_TYPES:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
    elif kind is FieldType.NUMBER:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
    elif kind is FieldType.BOOLEAN and not isinstance(value, bool):
        return False
    if kind is FieldType.ENUM and value not in spec.choices:
        return False
    if kind is FieldType.EMAIL and not EMAIL.fullmatch(str(value)):
        return False
    if kind is FieldType.DATE and not _is_date(str(value)):
        return False
    if kind is FieldType.DATETIME and not _is_datetime(str(value)):
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return False
        if spec.maximum is not None and value > spec.maximum:
            return False
    if isinstance(value, str):
        if spec.min_length is not None and len(value) < spec.min_length:
            return False
        if spec.max_length is not None and len(value) > spec.max_length:
            return False
        if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
            return False
    return True


def _is_date(text: str) -> bool:
    if not DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_datetime(text: str) -> bool:
    if not DATETIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def int_bounds(spec: FieldSpec) -> tuple[int | None, int | None]:
    low = None if spec.minimum is None else math.ceil(spec.minimum)
    high = None if spec.maximum is None else math.floor(spec.maximum)
    return low, high


def typed(value: object) -> tuple[type, object]:
    """A memo key part that tells ``1``, ``1.0`` and ``True`` apart (equal in Python)."""
    return type(value), value


def value_rules(spec: FieldSpec) -> tuple[object, ...]:
    """What ``is_valid`` and ``samples`` read of a field: a memo key that holds for
    equal fields of any turn or scenario, and for a field edited in place."""
    return (
        spec.type,
        typed(spec.minimum),
        typed(spec.maximum),
        spec.min_length,
        spec.max_length,
        spec.pattern,
        tuple(spec.choices),
    )


_SAMPLES: dict[tuple[object, ...], tuple[Scalar, ...]] = {}
# The same, by the field object: most asks are for a field of this turn or the one
# before, and its id is cheaper to look up than its rules. An entry holds the field, so
# its id cannot be reused while the entry lives; an edit in place changes every key.
_SAMPLES_OF: dict[tuple[int, int, int], tuple[FieldSpec, tuple[Scalar, ...]]] = {}
MAX_MEMO = 65536


def samples(spec: FieldSpec, count: int = 3) -> list[Scalar]:
    """Up to ``count`` distinct valid values, ascending where the type is ordered.

    A suite asks for the same few fields' samples hundreds of times per turn, and the
    next turn keeps most fields: remembered by the field's rules."""
    node = (edits(), id(spec), count)
    hit = _SAMPLES_OF.get(node)
    if hit is not None and hit[0] is spec:
        return list(hit[1])
    key = (*value_rules(spec), count)
    found = _SAMPLES.get(key)
    if found is None:
        if len(_SAMPLES) >= MAX_MEMO:
            _SAMPLES.clear()
        found = _SAMPLES[key] = tuple(_samples(spec, count))
    if len(_SAMPLES_OF) >= MAX_MEMO:
        _SAMPLES_OF.clear()
    _SAMPLES_OF[node] = (spec, found)
    return list(found)


def _samples(spec: FieldSpec, count: int) -> list[Scalar]:
    kind = spec.type
    found: list[Scalar] = []
    candidates: list[Scalar]
    if kind is FieldType.ENUM:
        candidates = list(spec.choices)
    elif kind is FieldType.BOOLEAN:
        candidates = [False, True]
    elif kind in {FieldType.INTEGER, FieldType.NUMBER}:
        candidates = list(_numbers(spec))
    elif kind is FieldType.DATE:
        candidates = list(DATES)
    elif kind is FieldType.DATETIME:
        candidates = list(DATETIMES)
    elif kind is FieldType.EMAIL:
        candidates = [_fit_email(e, spec) for e in EMAILS]
    elif kind is FieldType.STRING:
        if spec.pattern is not None:
            candidates = list(pattern_strings(spec, 40))
        else:
            candidates = [_fit_text(word, spec) for word in WORDS]
    else:
        return []
    for value in candidates:
        if is_valid(spec, value) and value not in found:
            found.append(value)
        if len(found) == count:
            break
    return found


def _numbers(spec: FieldSpec) -> list[Scalar]:
    low, high = int_bounds(spec)
    if low is not None and high is not None:
        step = max(1, (high - low) // 4)
        base = [low + step, low + 2 * step, low + 3 * step, low, high]
    elif low is not None:
        base = [low + 1, low + 2, low + 5, low]
    elif high is not None:
        base = [high - 5, high - 2, high - 1, high]
    else:
        base = [3, 7, 12]
    values: list[Scalar] = []
    for number in sorted(set(base)):
        if spec.type is FieldType.NUMBER and is_valid(spec, number + 0.5):
            values.append(number + 0.5)
        else:
            values.append(number)
    return sorted(values, key=float)


def _fit_text(word: str, spec: FieldSpec) -> str:
    low = spec.min_length or 0
    high = spec.max_length if spec.max_length is not None else 10**6
    text = word.ljust(low, "x")
    return text[:high]


def _fit_email(email: str, spec: FieldSpec) -> str:
    local, domain = email.split("@")
    low = spec.min_length or 0
    missing = max(0, low - len(email))
    return f"{local}{'x' * missing}@{domain}"


def text_of_length(spec: FieldSpec, length: int) -> str | None:
    """A value of exactly ``length`` characters valid in every other respect (except
    the length bound under test), or None."""
    if length < 0:
        return None
    if spec.type is FieldType.EMAIL:
        domain = "@example.com"
        if length < len(domain) + 1:
            return None
        return "a" * (length - len(domain)) + domain
    if spec.pattern is not None:
        return _pattern_text_of_length(spec.pattern, length)
    return ("abcdefghij" * (length // 10 + 1))[:length]


@functools.lru_cache(maxsize=4096)
def _pattern_text_of_length(pattern: str, length: int) -> str | None:
    """The first of the pattern's strings (length bounds aside) of exactly ``length``
    characters: every turn's boundary tests ask again for the fields they keep."""
    for text in _pattern_strings(pattern, None, None, 400):
        if len(text) == length:
            return text
    return None


def pattern_strings(spec: FieldSpec, count: int, lengths: bool = True) -> list[str]:
    """Distinct strings that fully match ``spec.pattern`` (and its length bounds when
    ``lengths``), found by walking the parsed pattern with varying choices."""
    assert spec.pattern is not None
    bounds = (spec.min_length, spec.max_length) if lengths else (None, None)
    return list(_pattern_strings(spec.pattern, *bounds, count))


def pattern_count(spec: FieldSpec, count: int) -> int:
    """``len(pattern_strings(spec, count))`` without copying the strings."""
    assert spec.pattern is not None
    return len(_pattern_strings(spec.pattern, spec.min_length, spec.max_length, count))


@functools.lru_cache(maxsize=256)
def _pattern_strings(
    pattern: str, min_length: int | None, max_length: int | None, count: int
) -> tuple[str, ...]:
    """The first ``count`` strings of the pattern's walk within its length bounds, among
    the walk's first ``count * 6 + 200`` attempts."""
    walk = _walk_of(pattern)
    attempts = count * 6 + 200
    found: list[str] = []
    index = 0
    with walk.lock:  # the threads of a process share the walk
        while len(found) < count:
            if index == len(walk.found):
                if walk.attempts >= attempts:
                    break
                walk.extend(min(attempts, walk.attempts + 64))
                continue
            attempt, text = walk.found[index]
            index += 1
            if attempt >= attempts:
                break
            if min_length is not None and len(text) < min_length:
                continue
            if max_length is None or len(text) <= max_length:
                found.append(text)
    return tuple(found)


class _Walk:
    """The distinct strings walks of a pattern find that fully match it, in the order
    found, each with its attempt: the same for every length bound and count asked for,
    so a pattern is walked once however many fields and bounds carry it."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.parsed = _PARSER.parse(pattern)
        self.lock = threading.Lock()  # held by whoever reads or extends the walk
        self.attempts = 0
        self.found: list[tuple[int, str]] = []
        self.seen: set[str] = set()

    def extend(self, attempts: int) -> None:
        for attempt in range(self.attempts, attempts):
            # A seeded generator keeps the walk deterministic while spreading the choices.
            text = _walk(self.parsed, random.Random(attempt), attempt % 8)
            if text is None or text in self.seen:
                continue
            self.seen.add(text)
            if re.fullmatch(self.pattern, text) is not None:
                self.found.append((attempt, text))
        self.attempts = max(self.attempts, attempts)


@functools.lru_cache(maxsize=256)
def _walk_of(pattern: str) -> _Walk:
    return _Walk(pattern)


_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def _walk(items: Any, rng: random.Random, extra: int) -> str | None:
    """One string the parsed pattern matches; repeats take ``min + extra`` rounds."""
    out: list[str] = []
    for op, arg in items:
        if op is _CONST.LITERAL:
            out.append(chr(arg))
        elif op is _CONST.NOT_LITERAL:
            out.append(rng.choice([c for c in _ALPHABET if ord(c) != arg]))
        elif op is _CONST.ANY:
            out.append(rng.choice(_ALPHABET[:26]))
        elif op is _CONST.IN:
            chars = _class_chars(arg)
            if not chars:
                return None
            out.append(rng.choice(chars))
        elif op in (_CONST.MAX_REPEAT, _CONST.MIN_REPEAT, _CONST.POSSESSIVE_REPEAT):
            low, high, sub = arg
            times = min(high, low + rng.randint(0, extra))
            for _ in range(times):
                part = _walk(sub, rng, extra)
                if part is None:
                    return None
                out.append(part)
        elif op in (_CONST.SUBPATTERN, _CONST.ATOMIC_GROUP):
            part = _walk(arg[-1], rng, extra)
            if part is None:
                return None
            out.append(part)
        elif op is _CONST.BRANCH:
            part = _walk(rng.choice(arg[1]), rng, extra)
            if part is None:
                return None
            out.append(part)
        elif op is _CONST.AT:
            continue
        elif op is _CONST.CATEGORY:
            out.append(rng.choice(_category_chars(arg)))
        else:
            return None
    return "".join(out)


_CLASSES: dict[tuple[Any, ...], str] = {}


def _class_chars(items: Any) -> str:
    """The characters a parsed class ``[...]`` offers; every walk of a pattern meets
    the same classes, so they are remembered (the parsed items are tuples of ints)."""
    key = tuple(items)
    found = _CLASSES.get(key)
    if found is None:
        if len(_CLASSES) >= MAX_MEMO:
            _CLASSES.clear()
        found = _CLASSES[key] = _chars_of_class(items)
    return found


def _chars_of_class(items: Any) -> str:
    negate = any(op is _CONST.NEGATE for op, _ in items)
    chars: list[str] = []
    for op, arg in items:
        if op is _CONST.LITERAL:
            chars.append(chr(arg))
        elif op is _CONST.RANGE:
            low, high = arg
            chars.extend(chr(c) for c in range(low, min(high, low + 25) + 1))
        elif op is _CONST.CATEGORY:
            chars.extend(_category_chars(arg))
    if negate:
        return "".join(c for c in _ALPHABET if c not in chars)
    return "".join(dict.fromkeys(chars))


def _category_chars(category: Any) -> str:
    name = str(category)
    if "NOT_DIGIT" in name or "NOT_SPACE" in name:
        return "abcxyz"
    if "DIGIT" in name:
        return "0123456789"
    if "NOT_WORD" in name:
        return "-.!"
    if "WORD" in name:
        return "abcdefghijklmnopqrstuvwxyz0123456789"
    if "SPACE" in name:
        return " "
    return "a"


def pattern_misses(spec: FieldSpec, valid: str) -> list[str]:
    """Up to two strings of a valid length that do not fully match the pattern: one
    with a foreign character, one with a valid prefix (catches ``re.search``)."""
    assert spec.pattern is not None
    candidates = [
        "!" + valid[1:],
        "~" * max(1, len(valid)),
        valid[:-1] + "!" if valid else "!",
        valid + "!",
        valid + valid,
        valid + "a",
        valid + "0",
    ]
    misses: list[str] = []
    for text in candidates:
        if re.fullmatch(spec.pattern, text) is not None or text in misses:
            continue
        if spec.min_length is not None and len(text) < spec.min_length:
            continue
        if spec.max_length is not None and len(text) > spec.max_length:
            continue
        misses.append(text)
    prefixed = [t for t in misses if t.startswith(valid) and t != valid]
    foreign = [t for t in misses if not t.startswith(valid)]
    return (foreign[:1] + prefixed[:1]) or misses[:1]


def wrong_types(spec: FieldSpec) -> list[tuple[str, Any]]:
    """(test id, value) pairs of JSON values of the wrong type for the field."""
    kind = spec.type
    if kind in {
        FieldType.STRING,
        FieldType.EMAIL,
        FieldType.ENUM,
        FieldType.DATE,
        FieldType.DATETIME,
    }:
        return [("number", 123), ("boolean", True), ("list", ["x"])]
    if kind in {FieldType.INTEGER, FieldType.REFERENCE}:
        return [("string", "5"), ("boolean", True), ("float", 1.5), ("whole_float", 1.0)]
    if kind is FieldType.NUMBER:
        return [("string", "5"), ("boolean", True), ("object", {"n": 1})]
    return [("string", "true"), ("integer", 1)]


def malformed(spec: FieldSpec, previous: FieldSpec | None) -> list[tuple[str, str]]:
    """(test id, string) pairs a string-typed field must refuse for its format."""
    kind = spec.type
    cases: list[tuple[str, str]] = []
    if kind is FieldType.ENUM:
        cases.append(("unknown_choice", "zz-not-a-choice"))
        upper = spec.choices[0].upper()
        if upper not in spec.choices:
            cases.append(("wrong_case", upper))
        if previous is not None and previous.type is FieldType.ENUM:
            for choice in previous.choices:
                if choice not in spec.choices:
                    cases.append((f"removed_{_ident(choice)}", choice))
    elif kind is FieldType.EMAIL:
        cases += [
            ("no_at", "ann.example.com"),
            ("two_ats", "ann@b@example.com"),
            ("empty_local", "@example.com"),
            ("no_domain_dot", "ann@example"),
            ("space", "an n@example.com"),
        ]
    elif kind is FieldType.DATE:
        cases += [("impossible_day", "2026-02-30"), ("month_13", "2026-13-01"), ("text", "soon")]
        cases.append(("slashes", "2026/01/31"))
    elif kind is FieldType.DATETIME:
        cases += [("hour_25", "2026-01-31T25:00:00"), ("text", "yesterday")]
        cases.append(("impossible_day", "2026-02-30T10:00:00"))
    return [(ident, text) for ident, text in cases if not is_valid(spec, text)]


def _ident(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return cleaned or "value"


def holds(value: object, op: CompareOp, other: object) -> bool:
    """The conventions' comparison: an ordering comparison with null fails."""
    if op is CompareOp.IS_SET:
        return value is not None
    if op is CompareOp.IS_NULL:
        return value is None
    if op is CompareOp.EQ:
        return value == other
    if op is CompareOp.NE:
        return value != other
    if value is None or other is None:
        return False
    left: Any = value
    try:
        if op is CompareOp.GT:
            return bool(left > other)
        if op is CompareOp.GTE:
            return bool(left >= other)
        if op is CompareOp.LT:
            return bool(left < other)
        return bool(left <= other)
    except TypeError:
        return False


PARENT = object()  # a reference value: "the id of a freshly created target"


Comparison = tuple[CompareOp, object, bool]  # op, other value, whether it must hold


def comparisons_key(wanted: list[Comparison]) -> tuple[object, ...]:
    return tuple((op, typed(other), keep) for op, other, keep in wanted)


_SATISFYING: dict[tuple[object, ...], tuple[bool, object]] = {}


def satisfying(spec: FieldSpec, wanted: list[Comparison]) -> tuple[bool, object]:
    """A valid value (or null, or PARENT for references) for which every comparison
    holds or fails as wanted (null fails every ordering comparison). Values at the
    compared bound come first: a guard ``gte 10`` is planned passing at exactly 10 and
    failing at 9, so a server that compares with ``gt`` or ``gte 9`` fails a test.

    Every plan of a guarded action asks again: remembered by the field's rules."""
    key = (*value_rules(spec), spec.required, comparisons_key(wanted))
    found = _SATISFYING.get(key)
    if found is None:
        if len(_SATISFYING) >= MAX_MEMO:
            _SATISFYING.clear()
        found = _SATISFYING[key] = _satisfying(spec, wanted)
    return found


def _satisfying(spec: FieldSpec, wanted: list[Comparison]) -> tuple[bool, object]:
    candidates: list[object] = []
    if spec.type is FieldType.REFERENCE:
        candidates.append(PARENT)
    else:
        for _, other, _ in wanted:
            if other is None:
                continue
            candidates.append(other)
            if isinstance(other, int | float) and not isinstance(other, bool):
                for delta in (1, -1, 0.5, -0.5, 2, -2, 10, -10):
                    shifted = other + delta
                    if spec.type is FieldType.INTEGER and isinstance(shifted, float):
                        continue
                    candidates.append(shifted)
        candidates.extend(samples(spec, 8))
    if not spec.required:
        candidates.append(None)
    for value in candidates:
        if value is not None and value is not PARENT and not is_valid(spec, value):
            continue
        probe = 1 if value is PARENT else value
        if all(holds(probe, op, other) == keep for op, other, keep in wanted):
            return True, value
    return False, None
