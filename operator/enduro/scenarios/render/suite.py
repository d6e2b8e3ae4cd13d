"""The black-box pytest suite of one turn, as generated source files.

``render_suite(turn)`` covers the whole current schema (CRUD, every constraint at its
boundary, defaults, uniqueness, references and delete policies, filters, sort,
pagination, actions and guards, computed fields, analytics) plus regression tests for
what changed since ``turn.previous`` (removed entities, fields, filters, sorts,
actions, analytics; relaxed constraints and guards), so the suite of turn t fails
against the ground truth of turn t-1 whenever a change alters behaviour.

Tests talk to ``BASE_URL`` only, create their own data (fresh parents, unique tokens
in title fields), never depend on order or on other tests' data, and send at most one
invalid value per request. The text is a pure function of (schema, previous).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from enduro.scenarios.memo import Generations, by_identity, edits
from enduro.scenarios.render import plans, suite_rules, values
from enduro.scenarios.render.suite_support import CONFTEST_HEAD
from enduro.scenarios.schema import (
    Action,
    CompareOp,
    ComputedKind,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    OnDelete,
    RelatedGuard,
    Schema,
)

UNKNOWN_KEY = "zz_unknown"
_ORDERING = {CompareOp.GT, CompareOp.GTE, CompareOp.LT, CompareOp.LTE}
ORDERED = {FieldType.INTEGER, FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME}


class Turn(Protocol):
    @property
    def schema(self) -> Schema: ...

    @property
    def previous(self) -> Schema | None: ...


@dataclass(slots=True)
class Test:
    name: str
    lines: list[str]
    params: tuple[str, list[tuple[str, str]]] | None = None  # argname, [(id, literal)]
    # The source under ``name`` once rendered: a remembered test (``remembered``) is
    # rendered again in every later turn that keeps it.
    text: str | None = field(default=None, init=False, repr=False, compare=False)

    def source(self, name: str) -> str:
        """The decorated function under ``name``, with the blank line before it."""
        if name == self.name and self.text is not None:
            return self.text
        head = ""
        args = "api"
        if self.params is not None:
            argname, cases = self.params
            ids = [case_id for case_id, _ in cases]
            literals = ", ".join(literal for _, literal in cases)
            head = f"\n@pytest.mark.parametrize({argname!r}, [{literals}], ids={ids!r})"
            args = f"api, {argname}"
        body = "\n    " + "\n    ".join(self.lines) if self.lines else ""
        text = f"{head}\ndef test_{name}({args}):{body}\n"
        if name == self.name:
            self.text = text
        return text


@dataclass(slots=True)
class Group:
    """Tests made together and reused together (``remembered``)."""

    tests: list[Test]
    names: frozenset[str] = field(init=False)
    text: str = field(init=False)  # the tests' sources under their own names

    def __post_init__(self) -> None:
        self.names = frozenset(test.name for test in self.tests)
        self.text = "\n".join(test.source(test.name) for test in self.tests)


@dataclass
class Module:
    doc: str
    tests: list[Test] = field(default_factory=list)
    # Where a group's tests start in ``tests``: their text is used whole when none of
    # their names needs a suffix.
    groups: dict[int, Group] = field(default_factory=dict)

    def add(self, name: str, lines: list[str], params: Any = None) -> None:
        self.tests.append(Test(name, lines, params))

    def include(self, group: Group) -> None:
        if group.tests:
            self.groups[len(self.tests)] = group
            self.tests += group.tests

    def render(self) -> str:
        """The module's source. A module made of the same groups as one rendered before
        (an entity nothing changed for) gets that module's very text, the same object:
        an export then knows its bytes and digest without encoding and hashing them."""
        groups = tuple(self.groups.values())
        if sum(len(group.tests) for group in groups) != len(self.tests):
            return self._render()
        key = (self.doc, *map(id, groups))
        hit = _MODULE_TEXTS.get(key)
        if hit is not None:
            return hit[1]
        text = self._render()
        if len(_MODULE_TEXTS) >= _MAX_MODULE_TEXTS:
            _MODULE_TEXTS.clear()
        _MODULE_TEXTS[key] = (groups, text)
        return text

    def _render(self) -> str:
        out = [f'"""{self.doc}"""', ""]
        if any(test.params is not None for test in self.tests):
            out += ["import pytest", ""]
        used: set[str] = set()
        index = 0
        while index < len(self.tests):
            group = self.groups.get(index)
            if (
                group is not None
                and len(group.names) == len(group.tests)
                and used.isdisjoint(group.names)
            ):
                out.append(group.text)
                used |= group.names
                index += len(group.tests)
                continue
            test = self.tests[index]
            name = test.name
            suffix = 2
            while name in used:
                name = f"{test.name}_{suffix}"
                suffix += 1
            used.add(name)
            out.append(test.source(name))
            index += 1
        return "\n".join(out).rstrip() + "\n"


def render_suite(turn: Turn) -> dict[str, str]:
    """The suite's files, relative paths under ``tests/``."""
    schema = turn.schema
    previous = turn.previous
    files = {"tests/conftest.py": _conftest(schema)}
    for ent in schema.entities:
        old = None
        if previous is not None and previous.has_entity(ent.name):
            old = previous.entity(ent.name)
        module = _EntityTests(schema, ent, old, previous).module()
        files[f"tests/test_{ent.name}.py"] = module.render()
    if schema.analytics:
        from enduro.scenarios.render.suite_analytics import analytics_module

        files["tests/test_analytics.py"] = analytics_module(schema).render()
    files["tests/test_paths.py"] = _paths_module(schema).render()
    if previous is not None:
        removed = _removed_module(schema, previous)
        if removed.tests:
            files["tests/test_removed.py"] = removed.render()
    return files


# --------------------------------------------------------------------------- values


def lit(value: object) -> str:
    return repr(value)


def equals(expr: str, value: object) -> str:
    """Source comparing ``expr`` with a literal (``is`` for None and booleans)."""
    if value is None or isinstance(value, bool):
        return f"{expr} is {value!r}"
    return f"{expr} == {lit(value)}"


def post(plural: str, fields: str) -> str:
    """Source of a POST of a minimal body with ``fields`` (keyword arguments)."""
    return f'api.post("/{plural}", json=api.body("{plural}", {fields}))'


def at(plural: str, var: str = "item") -> str:
    """Source of the f-string URL of an object held in ``var``."""
    return f"f\"/{plural}/{{{var}['id']}}\""


def value_expr(ent: Entity, spec: FieldSpec, value: object) -> str:
    """Python source for a planned value (literal, fresh unique value, new parent)."""
    if value is plans.PARENT:
        return parent_expr(spec)
    if value is plans.FRESH:
        return f'api.fresh("{ent.name}.{spec.name}")'
    if isinstance(value, plans.Pick):
        return f'api.pick("{ent.plural}", "{spec.name}", {value.values!r})'
    return lit(value)


def parent_expr(spec: FieldSpec, schema: Schema | None = None) -> str:
    return f'api.new("{_PLURALS[spec.target or ""]}")["id"]'


_PLURALS: dict[str, str] = {}


def valid_expr(ent: Entity, spec: FieldSpec, index: int = 0, distinct: bool = False) -> str:
    """Source of a valid value: title token, fresh unique, a parent or a sample.
    References point at one shared parent per collection unless the value must be
    ``distinct`` (or the field unique): fewer requests, and no test ever deletes a
    shared parent."""
    if spec.name == ent.title_field:
        return "api.token()"
    if spec.type is FieldType.REFERENCE:
        if distinct or spec.unique:
            return parent_expr(spec)
        return f'api.shared("{_PLURALS[spec.target or ""]}")'
    if spec.unique:
        return f'api.fresh("{ent.name}.{spec.name}")'
    options = values.samples(spec, 3)
    if not options:
        raise values.UnrenderableError(f"no valid sample value for {ent.name}.{spec.name}")
    return lit(options[index % len(options)])


def _full_value(ent: Entity, spec: FieldSpec) -> str:
    """Optional fields get a value other than their default, so defaults are visible."""
    if spec.name == ent.title_field or spec.type is FieldType.REFERENCE or spec.unique:
        return valid_expr(ent, spec)
    options = [v for v in values.samples(spec, 3) if v != spec.default] or values.samples(spec)
    if not options:
        raise values.UnrenderableError(f"no valid sample value for {ent.name}.{spec.name}")
    return lit(options[-1] if spec.type is FieldType.BOOLEAN else options[0])


# --------------------------------------------------------------------------- conftest


def _conftest(schema: Schema) -> str:
    _PLURALS.clear()
    _PLURALS.update({e.name: e.plural for e in schema.entities})
    _check_creatable(schema)
    out = [f'"""Shared client and data builders of the {schema.domain} API suite (generated)."""']
    out.append(CONFTEST_HEAD)
    for ent in schema.entities:
        targets = tuple(_PLURALS.get(f.target or "") for f in ent.fields)
        out.append(_builders(ent, targets))
    out.append("")
    out.append(
        "MINIMAL = {" + ", ".join(f'"{e.plural}": minimal_{e.name}' for e in schema.entities) + "}"
    )
    out.append(
        "FULL = {" + ", ".join(f'"{e.plural}": full_{e.name}' for e in schema.entities) + "}"
    )
    sizes = ", ".join(
        f'"{e.plural}": {e.listing.pagination.max_limit}'
        for e in schema.entities
        if e.listing.pagination is not None
    )
    out.append(f"PAGE_SIZE = {{{sizes}}}")
    scarce: dict[str, list[tuple[str, str]]] = {}
    for ent in schema.entities:
        for spec in ent.writable_fields():
            if spec.unique and _scarce(spec):
                scarce.setdefault(ent.plural, []).append((spec.name, f"{ent.name}.{spec.name}"))
    out.append(f"SCARCE = {scarce!r}")
    out.append("FRESH = {")
    for ent in schema.entities:
        for spec in ent.writable_fields():
            if spec.unique and spec.type is not FieldType.REFERENCE:
                out.append(f'    "{ent.name}.{spec.name}": {_fresh_source(ent, spec)},')
    out.append("}")
    return "\n".join(out) + "\n"


_BUILDERS: dict[tuple[int, int, tuple[str | None, ...]], tuple[Entity, str]] = {}


def _builders(ent: Entity, targets: tuple[str | None, ...]) -> str:
    """``minimal_<name>`` and ``full_<name>``: the same text while the entity and the
    plurals of its fields' targets (``targets``) are (held: its id stays its own)."""
    key = (edits(), id(ent), targets)
    hit = _BUILDERS.get(key)
    if hit is not None:
        return hit[1]
    out = [""]
    out.append(f"def minimal_{ent.name}(api: Api) -> dict:")
    out.append(f'    """A {ent.name} with only its required fields."""')
    out.append("    return {")
    for spec in ent.writable_fields():
        if spec.required:
            out.append(f"        {spec.name!r}: {valid_expr(ent, spec)},")
    out.append("    }")
    out.append("")
    out.append("")
    out.append(f"def full_{ent.name}(api: Api) -> dict:")
    out.append(f'    """A {ent.name} with every writable field set."""')
    out.append("    return {")
    for spec in ent.writable_fields():
        out.append(f"        {spec.name!r}: {_full_value(ent, spec)},")
    out.append("    }")
    out.append("")
    text = "\n".join(out)
    if len(_BUILDERS) >= _MAX_REMEMBERED:
        _BUILDERS.clear()
    _BUILDERS[key] = (ent, text)
    return text


def _check_creatable(schema: Schema) -> None:
    """Required references must not loop, or no object could ever be created."""

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise values.UnrenderableError(
                f"required references loop: {' -> '.join((*trail, name))}"
            )
        for spec in schema.entity(name).fields:
            if spec.type is FieldType.REFERENCE and spec.required and spec.target:
                visit(spec.target, (*trail, name))

    for ent in schema.entities:
        visit(ent.name, ())


_FRESH_SOURCES: dict[tuple[object, ...], str] = {}


def _fresh_source(ent: Entity, spec: FieldSpec) -> str:
    """Remembered by the names and the field's rules: a pattern's pool is long, and
    every turn's conftest lists it again."""
    key = (ent.name, spec.name, *values.value_rules(spec))
    found = _FRESH_SOURCES.get(key)
    if found is None:
        if len(_FRESH_SOURCES) >= values.MAX_MEMO:
            _FRESH_SOURCES.clear()
        found = _FRESH_SOURCES[key] = _make_fresh_source(ent, spec)
    return found


def _make_fresh_source(ent: Entity, spec: FieldSpec) -> str:
    kind = spec.type
    name = f"{ent.name}.{spec.name}"
    if kind is FieldType.STRING and spec.pattern is not None:
        reserved = _reserved_literals(spec)
        pool = [p for p in values.pattern_strings(spec, 1500) if p not in reserved]
        if not pool:
            raise values.UnrenderableError(
                f"no string matches the pattern of {ent.name}.{spec.name}"
            )
        return f"lambda: fresh_from({name!r}, {tuple(pool)!r})"
    if kind is FieldType.STRING:
        low = spec.min_length or 0
        high = spec.max_length if spec.max_length is not None else 1000
        return f"lambda: fresh_text({low}, {high})"
    if kind is FieldType.EMAIL:
        high = spec.max_length if spec.max_length is not None else 1000
        return f"lambda: fresh_email({high})"
    if kind is FieldType.NUMBER:
        bounds = (spec.minimum, spec.maximum)
        low_n = bounds[0] if bounds[0] is not None else (bounds[1] or 0) - 10**6
        high_n = bounds[1] if bounds[1] is not None else low_n + 10**9
        return f"lambda: fresh_number({name!r}, {low_n!r}, {high_n!r})"
    if kind is FieldType.INTEGER:
        lowest, highest = values.int_bounds(spec)
        # Boundary tests use the bounds themselves; fresh values stay strictly inside.
        if lowest is None:
            lowest = 0 if highest is None else highest - 10**6
        high = lowest + 10**9 if highest is None else highest - 1
        low = lowest + 1
        return f"lambda: fresh_integer({name!r}, {low}, {high})"
    if kind is FieldType.DATE:
        return f"lambda: fresh_date({name!r})"
    return f"lambda: fresh_datetime({name!r})"


def _scarce(spec: FieldSpec) -> bool:
    """A unique field whose fresh values could run out within one suite run."""
    if spec.type is FieldType.INTEGER:
        low, high = values.int_bounds(spec)
        return low is not None and high is not None and high - low < 100_000
    if spec.type is FieldType.STRING and spec.pattern is not None:
        return values.pattern_count(spec, 1500) < 1500
    return False


def _reserved_literals(spec: FieldSpec) -> set[str]:
    return {str(v) for v in values.samples(spec, 8)}


# --------------------------------------------------------------------------- reuse

# Most fields, actions and analytics of a turn are the very objects of the turn before
# (schemas share unchanged nodes), so the tests rendered for them are remembered under
# the identity of every object their rendering reads, plus the values it reads besides
# (names, plurals). An entry holds those objects, so no id in its key can be reused
# while it lives; generated schemas are never mutated, and an edit in place changes
# every key (``memo.edits``).
# A turn at paper scale reads ~250 groups and makes ~60 new ones: a generation holds
# about seventy turns' new groups.
_REMEMBERED: Generations[tuple[object, ...], tuple[tuple[object, ...], Group]] = Generations(4096)
_MAX_REMEMBERED = 8192  # the other memos here (_BUILDERS, _READS) start over at this size
# Module texts by their groups (``Module.render``), each entry holding its groups. A
# turn renders about a dozen modules and reuse is of recent turns' texts, so a few
# hundred entries are plenty; more would only keep old scenarios' texts alive.
_MODULE_TEXTS: dict[tuple[object, ...], tuple[tuple[Group, ...], str]] = {}
_MAX_MODULE_TEXTS = 256


def remembered(
    objects: tuple[object, ...], facts: tuple[object, ...], make: Callable[[], list[Test]]
) -> Group:
    """The tests ``make()`` renders from ``objects`` and ``facts``, made once."""
    key = (edits(), *map(id, objects), facts)
    hit = _REMEMBERED.get(key)
    if hit is not None:
        return hit[1]
    group = Group(make())
    _REMEMBERED.put(key, (objects, group))
    return group


Reads = tuple[tuple[object, ...], tuple[object, ...]]
"""(objects read, by identity; values read besides) of a rendering."""


def plan_reads(schema: Schema, ent: Entity, names: set[str], guards: list[Any]) -> Reads:
    """What plans for ``ent`` read: its actions (a plan's path), the fields in ``names``
    and those its actions move or guard, the plurals their references render, and the
    same of every entity a related guard counts (of ``guards`` or of its actions), and
    of theirs (a related object's plan goes one level deeper, no further)."""
    objects, facts = _entity_reads(ent, frozenset(names))
    entities = _entities(schema)
    wanted: dict[str, set[str]] = {}
    _note_counted(ent, guards, wanted)
    for name in list(wanted):
        other = entities.get(name)
        if other is not None:
            _note_counted(other, [], wanted)
    for name in sorted(wanted):
        other = entities.get(name)
        facts += (name, other is not None)
        if other is not None:
            more, known = _entity_reads(other, frozenset(wanted[name]))
            objects += more
            facts += known
    return objects, facts


@by_identity()
def _entities(schema: Schema) -> dict[str, Entity]:
    found: dict[str, Entity] = {}
    for ent in schema.entities:
        found.setdefault(ent.name, ent)  # Schema.entity answers the first
    return found


@by_identity()
def _fields(ent: Entity) -> dict[str, FieldSpec]:
    found: dict[str, FieldSpec] = {}
    for spec in ent.fields:
        found.setdefault(spec.name, spec)  # Entity.field answers the first
    return found


_READS: dict[tuple[int, int, frozenset[str]], tuple[Entity, Reads, tuple[str, ...]]] = {}


def _entity_reads(ent: Entity, names: frozenset[str]) -> Reads:
    """The objects and facts a plan reads of ``ent`` (the same every turn that keeps
    the entity, so remembered by it), with the plurals of the references among them."""
    key = (edits(), id(ent), names)
    hit = _READS.get(key)
    if hit is None:
        fields = _fields(ent)
        ordered = sorted(names | _moved_or_guarded(ent))
        read = tuple(fields.get(n) for n in ordered)
        targets = tuple(f.target or "" for f in read if f and f.type is FieldType.REFERENCE)
        facts = (ent.name, ent.plural, len(ent.actions), *ordered)
        if len(_READS) >= _MAX_REMEMBERED:
            _READS.clear()
        hit = _READS[key] = (ent, ((*ent.actions, *read), facts), targets)
    _, (objects, facts), targets = hit
    return objects, (*facts, tuple(_PLURALS.get(t) for t in targets))


@by_identity()
def _moved_or_guarded(ent: Entity) -> frozenset[str]:
    """The fields ``ent``'s actions move or guard."""
    guards = [g for action in ent.actions for g in action.guards]
    moved = {a.field for a in ent.actions}
    return frozenset(moved | {g.field for g in guards if isinstance(g, FieldGuard)})


def _note_counted(ent: Entity, guards: list[Any], wanted: dict[str, set[str]]) -> None:
    """Entities that related guards count, with the fields a plan reads of them."""
    for guard in [g for action in ent.actions for g in action.guards] + guards:
        if isinstance(guard, RelatedGuard):
            names = wanted.setdefault(guard.entity, set())
            names.add(guard.via)
            if guard.state_field is not None:
                names.add(guard.state_field)


# --------------------------------------------------------------------------- entity


class _EntityTests:
    def __init__(
        self, schema: Schema, ent: Entity, old: Entity | None, previous: Schema | None
    ) -> None:
        self.schema = schema
        self.ent = ent
        self.old = old
        self.previous = previous
        self.p = ent.plural
        self.m = Module(f"/{ent.plural}: {ent.name} objects (generated).")

    def module(self) -> Module:
        ent = self.ent
        targets = tuple(_PLURALS.get(f.target or "") for f in ent.fields)
        counted = tuple(
            _PLURALS.get(f.computed.entity or "") for f in ent.fields if f.computed is not None
        )
        # CRUD and key tests read nothing but the entity.
        own = functools.partial(self._collect, self.crud_and_keys)
        self.m.include(remembered((ent,), ("crud and keys",), own))
        old_fields = _fields(self.old) if self.old is not None else {}
        for spec in ent.writable_fields():
            old = old_fields.get(spec.name)
            target = _PLURALS.get(spec.target or "")
            self.m.include(
                remembered(
                    (spec, old),
                    (ent.name, ent.plural, ent.title_field, target),
                    functools.partial(self._collect, functools.partial(self.field_tests, spec)),
                )
            )
        references = functools.partial(self._collect, self.references)
        self.m.include(remembered((ent,), ("references", targets, self._chain()), references))
        old_listing = self.old.listing if self.old is not None else None
        listing = functools.partial(self._collect, self.listing)
        self.m.include(remembered((ent, old_listing), ("listing", targets), listing))
        for action in ent.actions:
            objects, facts = self._action_reads(action)
            tests = functools.partial(self._collect, functools.partial(self.action_tests, action))
            self.m.include(remembered(objects, facts, tests))
        computed = functools.partial(self._collect, self.computed)
        self.m.include(remembered((ent,), ("computed", counted), computed))
        return self.m

    def crud_and_keys(self) -> None:
        self.crud()
        self.keys()

    def _collect(self, add: Callable[[], None]) -> list[Test]:
        """The tests ``add()`` adds to the module, apart from it."""
        saved = self.m
        self.m = Module(saved.doc)
        try:
            add()
            return self.m.tests
        finally:
            self.m = saved

    def _chain(self) -> tuple[tuple[object, ...], ...]:
        """What reference tests read beyond the entity and its targets' plurals: the
        names, plurals and policies of what references the entity, which a cascade's
        delete chain reaches (``delete_chain``)."""
        if not any(f.on_delete is OnDelete.CASCADE for f in self.ent.fields if f.target):
            return ()
        return tuple(
            (grand.name, grand.plural, via.name, via.on_delete)
            for grand, via in self.schema.references_to(self.ent.name)
        )

    def _action_reads(self, action: Action) -> Reads:
        """What the tests of ``action`` are rendered from: the action, the guards the
        previous turn's action of that name had and this one drops, and what plans read
        (a kept guard's reads are the action's own). Not the previous action itself:
        the turn after an action changes has a new previous action and the same tests."""
        dropped = self._dropped_guards(action)
        names = {g.field for g in dropped if isinstance(g, FieldGuard)}
        objects, facts = plan_reads(self.schema, self.ent, names, dropped)
        return (action, *dropped, *objects), (len(dropped), *facts)

    def _dropped_guards(self, action: Action) -> list[Any]:
        """The guards the previous turn's action of that name had and ``action`` drops."""
        if self.old is None:
            return []
        old_action = next((a for a in self.old.actions if a.name == action.name), None)
        if old_action is None:
            return []
        return [g for g in old_action.guards if not any(_same_guard(g, n) for n in action.guards)]

    # ----------------------------------------------------------------- CRUD
    def crud(self) -> None:
        ent, p = self.ent, self.p
        keys = ["id", *(f.name for f in ent.fields)]
        lines = [
            f'body = api.full_body("{p}")',
            f'response = api.post("/{p}", json=body)',
            "assert response.status_code == 201, response.text",
            "item = response.json()",
            f"assert list(item) == {keys!r}",
            'assert isinstance(item["id"], int) and not isinstance(item["id"], bool)',
            "for key, value in body.items():",
            "    assert item[key] == value, key",
        ]
        lines += self._state_defaults("item")
        lines += self._computed_checks("item")
        self.m.add("create_answers_201_with_every_field", lines)

        lines = [
            f'body = api.body("{p}")',
            f'response = api.post("/{p}", json=body)',
            "assert response.status_code == 201, response.text",
            "item = response.json()",
            f"assert list(item) == {keys!r}",
            "for key, value in body.items():",
            "    assert item[key] == value, key",
        ]
        for spec in ent.writable_fields():
            if not spec.required:
                lines.append(f"assert {equals(f'item[{spec.name!r}]', spec.default)}")
        lines += self._state_defaults("item")
        lines += self._computed_checks("item")
        self.m.add("create_with_required_fields_only_applies_defaults", lines)

        self.m.add(
            "get_returns_the_created_object",
            [
                f'item = api.new_full("{p}")',
                f"response = api.get({at(p)})",
                "assert response.status_code == 200",
                "assert response.json() == item",
            ],
        )
        self.m.add(
            "ids_count_up_by_one_and_are_never_reused",
            [
                f'first = api.new("{p}")',
                f'second = api.new("{p}")',
                'assert second["id"] == first["id"] + 1',
                f"assert api.delete({at(p, 'second')}).status_code == 204",
                f'third = api.new("{p}")',
                'assert third["id"] == second["id"] + 1',
            ],
        )
        self.m.add(
            "ids_start_at_1",
            [
                f'item = api.new("{p}")',
                'assert item["id"] >= 1',
                f'assert api.lowest_id("{p}") >= 1, "ids start at 1"',
                f'if api.empty_at_start("{p}"):',
                f'    assert api.lowest_id("{p}") == 1, "the first {ent.name} has id 1"',
            ],
        )
        self.m.add(
            "delete_answers_204_and_the_object_is_gone",
            [
                f'item = api.new("{p}")',
                f"response = api.delete({at(p)})",
                "assert response.status_code == 204",
                'assert response.content == b""',
                f"api.expect(api.get({at(p)}), 404)",
                f"api.expect(api.delete({at(p)}), 404)",
            ],
        )
        for method, extra in (("get", ""), ("patch", ", json={}"), ("delete", "")):
            self.m.add(
                f"{method}_of_an_unknown_id_is_404",
                [f'api.expect(api.{method}(f"/{p}/{{api.MISSING_ID}}"{extra}), 404)'],
            )
        title = ent.title_field
        lines = [
            f'item = api.new_full("{p}")',
            "title = api.token()",
            f"response = api.patch({at(p)}, json={{{title!r}: title}})",
            "assert response.status_code == 200, response.text",
            "updated = response.json()",
            f"assert updated[{title!r}] == title",
        ]
        for spec in ent.fields:
            if spec.computed is None and spec.name != title:
                lines.append(f"assert updated[{spec.name!r}] == item[{spec.name!r}]")
        lines.append(f"assert api.get({at(p)}).json() == updated")
        self.m.add("patch_changes_only_the_given_fields", lines)
        self.m.add(
            "post_of_malformed_json_is_400",
            [
                f'response = api.post("/{p}", data="{{not json", '
                'headers={"Content-Type": "application/json"})',
                "api.expect(response, 400)",
            ],
        )
        self.m.add(
            "post_of_a_non_object_body_is_400",
            [f'api.expect(api.post("/{p}", json=[api.body("{p}")]), 400)'],
        )
        self.m.add(
            "patch_of_malformed_json_is_400",
            [
                f'item = api.new("{p}")',
                f'response = api.patch({at(p)}, data="[1, ", '
                'headers={"Content-Type": "application/json"})',
                "api.expect(response, 400)",
            ],
        )

    def _state_defaults(self, var: str) -> list[str]:
        return [
            f"assert {equals(f'{var}[{s.name!r}]', s.default)}"
            for s in self.ent.fields
            if s.read_only and s.computed is None
        ]

    def _computed_checks(self, var: str) -> list[str]:
        lines = []
        for spec in self.ent.fields:
            computed = spec.computed
            if computed is None:
                continue
            name = spec.name
            if computed.kind is ComputedKind.RELATED_COUNT:
                lines.append(f"assert {var}[{name!r}] == 0")
                continue
            inputs = [f"{var}[{i!r}]" for i in computed.inputs]
            nulls = " or ".join(f"{i} is None" for i in inputs)
            if computed.kind is ComputedKind.LENGTH:
                expected = f"len({inputs[0]})"
            elif computed.kind is ComputedKind.CONCAT:
                expected = f'{inputs[0]} + " " + {inputs[1]}'
            elif computed.kind is ComputedKind.SUM:
                expected = f"{inputs[0]} + {inputs[1]}"
            else:
                expected = f"{inputs[0]} * {inputs[1]}"
            lines.append(f"expected = None if {nulls} else {expected}")
            lines.append(f"assert api.close({var}[{name!r}], expected), {var}[{name!r}]")
        return lines

    # ----------------------------------------------------------------- keys
    def add_all(self, tests: list[suite_rules.TestSpec]) -> None:
        for name, lines, params in tests:
            self.m.add(name, lines, params)

    def keys(self) -> None:
        p = self.p
        self.add_all(suite_rules.key_order(self.ent, UNKNOWN_KEY))
        self.m.add(
            "post_with_an_unknown_key_is_422",
            [
                f'body = api.body("{p}", {UNKNOWN_KEY}=1)',
                f'api.expect(api.post("/{p}", json=body), 422, "{UNKNOWN_KEY}")',
            ],
        )
        self.m.add(
            "post_with_an_id_is_422",
            [
                f'body = api.body("{p}", id=12345)',
                f'api.expect(api.post("/{p}", json=body), 422, "id")',
            ],
        )
        self.m.add(
            "patch_with_an_unknown_key_is_422",
            [
                f'item = api.new("{p}")',
                f'response = api.patch({at(p)}, json={{"{UNKNOWN_KEY}": 1}})',
                f'api.expect(response, 422, "{UNKNOWN_KEY}")',
            ],
        )
        for spec in self.ent.fields:
            if not spec.read_only:
                continue
            probe = lit(spec.default) if spec.default is not None else "0"
            self.m.add(
                f"post_with_read_only_{spec.name}_is_422",
                [
                    f'body = api.body("{p}", {spec.name}={probe})',
                    f'api.expect(api.post("/{p}", json=body), 422, "{spec.name}")',
                ],
            )
            self.m.add(
                f"patch_of_read_only_{spec.name}_is_422",
                [
                    f'item = api.new("{p}")',
                    f"response = api.patch({at(p)}, json={{{spec.name!r}: {probe}}})",
                    f'api.expect(response, 422, "{spec.name}")',
                ],
            )

    # ----------------------------------------------------------------- fields
    def field_tests(self, spec: FieldSpec) -> None:
        ent, p, name = self.ent, self.p, spec.name
        old = _fields(self.old).get(name) if self.old is not None else None
        post_with = f'api.post("/{p}", json=api.body("{p}", {name}=value))'
        if spec.required:
            self.m.add(
                f"post_without_{name}_is_422",
                [
                    f'body = api.body("{p}")',
                    f"del body[{name!r}]",
                    f'api.expect(api.post("/{p}", json=body), 422, "{name}")',
                ],
            )
            self.m.add(
                f"post_with_null_{name}_is_422",
                [f'api.expect(api.post("/{p}", json=api.body("{p}", {name}=None)), 422, "{name}")'],
            )
            self.m.add(
                f"patch_of_{name}_to_null_is_422",
                [
                    f'item = api.new("{p}")',
                    f"response = api.patch({at(p)}, json={{{name!r}: None}})",
                    f'api.expect(response, 422, "{name}")',
                ],
            )
        else:
            self.m.add(
                f"patch_of_{name}_to_null_is_200",
                [
                    f'item = api.new_full("{p}")',
                    f"response = api.patch({at(p)}, json={{{name!r}: None}})",
                    "assert response.status_code == 200, response.text",
                    f"assert response.json()[{name!r}] is None",
                ],
            )
        cases = [(ident, lit(v)) for ident, v in values.wrong_types(spec)]
        self.m.add(
            f"post_with_{name}_of_a_wrong_type_is_422",
            [f'api.expect({post_with}, 422, "{name}")'],
            ("value", cases),
        )
        first_wrong = cases[0][1]
        self.m.add(
            f"patch_with_{name}_of_a_wrong_type_is_422",
            [
                f'item = api.new("{p}")',
                f"response = api.patch({at(p)}, json={{{name!r}: {first_wrong}}})",
                f'api.expect(response, 422, "{name}")',
            ],
        )
        bad = [(ident, lit(v)) for ident, v in values.malformed(spec, old)]
        if bad:
            self.m.add(
                f"post_with_malformed_{name}_is_422",
                [f'api.expect({post_with}, 422, "{name}")'],
                ("value", bad),
            )
        if spec.type is FieldType.ENUM:
            choices = [(values._ident(c), lit(c)) for c in spec.choices]
            self.m.add(
                f"post_accepts_every_choice_of_{name}",
                [
                    f"response = {post_with}",
                    "assert response.status_code == 201, response.text",
                    f"assert response.json()[{name!r}] == value",
                ],
                ("value", choices),
            )
        if spec.type is FieldType.DATETIME:
            stamps = [
                ("naive", lit("2026-01-31T12:00:00")),
                ("utc", lit("2026-01-31T12:00:00Z")),
                ("offset", lit("2026-01-31T12:00:00+02:00")),
            ]
            self.m.add(
                f"post_returns_{name}_exactly_as_sent",
                [
                    f"response = {post_with}",
                    "assert response.status_code == 201, response.text",
                    f"assert response.json()[{name!r}] == value",
                ],
                ("value", stamps),
            )
        self.bounds(spec)
        if spec.pattern is not None:
            good = values.pattern_strings(spec, 1)
            if good:
                misses = values.pattern_misses(spec, good[0])
                if misses:
                    self.m.add(
                        f"post_with_{name}_not_matching_the_pattern_is_422",
                        [f'api.expect({post_with}, 422, "{name}")'],
                        ("value", [(f"miss{i}", lit(t)) for i, t in enumerate(misses)]),
                    )
        if spec.unique:
            self.unique(spec)
        elif old is not None and old.unique:
            self.m.add(
                f"two_objects_may_share_{name}",
                [
                    f'first = api.new_full("{p}")',
                    f'api.new("{p}", {name}=first[{name!r}])',
                ],
            )
        if spec.type is FieldType.REFERENCE:
            self.m.add(
                f"post_with_{name}_of_a_missing_{spec.target}_is_422",
                [f'api.expect({post(p, f"{name}=api.MISSING_ID")}, 422, "{name}")'],
            )
        if old is not None:
            self.relaxations(spec, old)
        _ = ent

    def bounds(self, spec: FieldSpec) -> None:
        name, p = spec.name, self.p
        accepts: list[tuple[str, object]] = []
        rejects: list[tuple[str, object]] = []
        if spec.type in {FieldType.INTEGER, FieldType.NUMBER}:
            low, high = values.int_bounds(spec)
            if spec.type is FieldType.NUMBER:
                if spec.minimum is not None:
                    accepts.append(("at_minimum", _num(spec.minimum)))
                    rejects.append(("below_minimum", _num(spec.minimum - 1)))
                if spec.maximum is not None:
                    accepts.append(("at_maximum", _num(spec.maximum)))
                    rejects.append(("above_maximum", _num(spec.maximum + 1)))
            else:
                if low is not None:
                    accepts.append(("at_minimum", low))
                    rejects.append(("below_minimum", low - 1))
                if high is not None:
                    accepts.append(("at_maximum", high))
                    rejects.append(("above_maximum", high + 1))
        if spec.type in {FieldType.STRING, FieldType.EMAIL}:
            if spec.min_length is not None:
                accepts.append(("at_min_length", values.text_of_length(spec, spec.min_length)))
                if spec.min_length >= 1:
                    rejects.append(("below_min_length", _length_probe(spec, spec.min_length - 1)))
            if spec.max_length is not None:
                accepts.append(("at_max_length", values.text_of_length(spec, spec.max_length)))
                rejects.append(("above_max_length", _length_probe(spec, spec.max_length + 1)))
        for ident, value in accepts:
            if value is None or not values.is_valid(spec, value):
                continue
            self.m.add(
                f"post_with_{name}_{ident}_is_201",
                [
                    f'response = api.post("/{p}", json=api.body("{p}", {name}={lit(value)}))',
                    "assert response.status_code == 201, response.text",
                    f"assert {equals(f'response.json()[{name!r}]', value)}",
                    *_release_literal(spec, p),
                ],
            )
        for ident, value in rejects:
            if value is None or values.is_valid(spec, value):
                continue
            self.m.add(
                f"post_with_{name}_{ident}_is_422",
                [f'api.expect({post(p, f"{name}={lit(value)}")}, 422, "{name}")'],
            )
            self.m.add(
                f"patch_with_{name}_{ident}_is_422",
                [
                    f'item = api.new("{p}")',
                    f"response = api.patch({at(p)}, json={{{name!r}: {lit(value)}}})",
                    f'api.expect(response, 422, "{name}")',
                    f"assert api.get({at(p)}).json() == item",
                ],
            )

    def unique(self, spec: FieldSpec) -> None:
        name, p = spec.name, self.p
        value = valid_expr(self.ent, spec)
        self.m.add(
            f"post_with_a_taken_{name}_is_409",
            [
                f'first = api.new("{p}", {name}={value})',
                f'api.expect({post(p, f"{name}=first[{name!r}]")}, 409, "{name}")',
            ],
        )
        self.m.add(
            f"patch_to_a_taken_{name}_is_409",
            [
                f'first = api.new("{p}", {name}={value})',
                f'second = api.new("{p}", {name}={value})',
                f"response = api.patch({at(p, 'second')}, json={{{name!r}: first[{name!r}]}})",
                f'api.expect(response, 409, "{name}")',
            ],
        )
        self.m.add(
            f"patch_keeping_its_own_{name}_is_200",
            [
                f'item = api.new("{p}", {name}={value})',
                f"response = api.patch({at(p)}, json={{{name!r}: item[{name!r}]}})",
                "assert response.status_code == 200, response.text",
            ],
        )

    def relaxations(self, spec: FieldSpec, old: FieldSpec) -> None:
        """Values the previous turn refused that this turn accepts."""
        probes: list[tuple[str, object]] = []
        probes += values.wrong_types(old)
        probes += values.malformed(old, None)
        low, high = values.int_bounds(old)
        if old.type in {FieldType.INTEGER, FieldType.NUMBER}:
            if old.minimum is not None:
                probes.append(
                    (
                        "old_minimum",
                        _num(old.minimum - 1) if old.type is FieldType.NUMBER else (low or 0) - 1,
                    )
                )
            if old.maximum is not None:
                probes.append(
                    (
                        "old_maximum",
                        _num(old.maximum + 1) if old.type is FieldType.NUMBER else (high or 0) + 1,
                    )
                )
        if old.min_length is not None and old.min_length >= 1:
            probes.append(("old_min_length", _length_probe(spec, old.min_length - 1)))
        if old.max_length is not None:
            probes.append(("old_max_length", _length_probe(spec, old.max_length + 1)))
        if old.pattern is not None and spec.type is FieldType.STRING:
            for candidate in values.samples(spec, 8):
                if isinstance(candidate, str) and not values.is_valid(old, candidate):
                    probes.append(("old_pattern", candidate))
                    break
        if old.type is not spec.type:
            probes += [(f"sample{i}", v) for i, v in enumerate(values.samples(spec, 2))]
        cases: list[tuple[str, str]] = []
        seen: set[str] = set()
        for ident, value in probes:
            if value is None or spec.type is FieldType.REFERENCE:
                continue
            if values.is_valid(spec, value) and not values.is_valid(old, value):
                literal = lit(value)
                if literal not in seen:
                    seen.add(literal)
                    cases.append((ident, literal))
        if cases:
            self.m.add(
                f"post_now_accepts_{spec.name}",
                [
                    f"response = {post(self.p, f'{spec.name}=value')}",
                    "assert response.status_code == 201, response.text",
                    *_release_literal(spec, self.p),
                ],
                ("value", cases),
            )

    # ----------------------------------------------------------------- references
    def references(self) -> None:
        for spec in self.ent.fields:
            if spec.type is not FieldType.REFERENCE or spec.target is None:
                continue
            target = self.schema.entity(spec.target)
            tp, name, p = target.plural, spec.name, self.p
            setup = [
                f'parent = api.new("{tp}")',
                f'child = api.new("{p}", {name}=parent["id"])',
            ]
            if spec.on_delete is OnDelete.CASCADE:
                self.m.add(
                    f"deleting_the_{target.name}_deletes_by_{name}",
                    [
                        *setup,
                        f"assert api.delete({at(tp, 'parent')}).status_code == 204",
                        f"api.expect(api.get({at(p, 'child')}), 404)",
                    ],
                )
            elif spec.on_delete is OnDelete.RESTRICT:
                self.m.add(
                    f"deleting_the_{target.name}_is_restricted_by_{name}",
                    [
                        *setup,
                        f'api.expect(api.delete({at(tp, "parent")}), 409, "{name}")',
                        f"assert api.get({at(tp, 'parent')}).status_code == 200",
                        f"assert api.get({at(p, 'child')}).json() == child",
                        f"assert api.delete({at(p, 'child')}).status_code == 204",
                        f"assert api.delete({at(tp, 'parent')}).status_code == 204",
                    ],
                )
            else:
                self.m.add(
                    f"deleting_the_{target.name}_clears_{name}",
                    [
                        *setup,
                        f"assert api.delete({at(tp, 'parent')}).status_code == 204",
                        f"item = api.get({at(p, 'child')}).json()",
                        f"assert item[{name!r}] is None",
                    ],
                )
            if spec.on_delete is OnDelete.CASCADE:
                self.delete_chain(target, spec)

    def delete_chain(self, target: Entity, spec: FieldSpec) -> None:
        """Deleting ``target`` cascades to this entity; what references this entity
        meets its own policy: cascades go on recursively, a restrict anywhere on the
        chain refuses the whole delete, set_null clears."""
        tp, p = target.plural, self.p
        for grand, via in self.schema.references_to(self.ent.name):
            if grand.name == target.name:
                continue
            gp = grand.plural
            setup = [
                f'parent = api.new("{tp}")',
                f'child = api.new("{p}", {spec.name}=parent["id"])',
                f'grandchild = api.new("{gp}", {via.name}=child["id"])',
            ]
            stem = f"deleting_the_{target.name}_through_{spec.name}"
            if via.on_delete is OnDelete.CASCADE:
                lines = [
                    *setup,
                    f"assert api.delete({at(tp, 'parent')}).status_code == 204",
                    f"api.expect(api.get({at(p, 'child')}), 404)",
                    f"api.expect(api.get({at(gp, 'grandchild')}), 404)",
                ]
                self.m.add(f"{stem}_deletes_{gp}_by_{via.name}", lines)
            elif via.on_delete is OnDelete.RESTRICT:
                lines = [
                    *setup,
                    f'api.expect(api.delete({at(tp, "parent")}), 409, "{via.name}")',
                    f"assert api.get({at(tp, 'parent')}).status_code == 200",
                    f"assert api.get({at(p, 'child')}).status_code == 200",
                    f"assert api.get({at(gp, 'grandchild')}).status_code == 200",
                ]
                self.m.add(f"{stem}_is_restricted_by_{gp}_{via.name}", lines)
            else:
                lines = [
                    *setup,
                    f"assert api.delete({at(tp, 'parent')}).status_code == 204",
                    f"api.expect(api.get({at(p, 'child')}), 404)",
                    f"assert api.get({at(gp, 'grandchild')}).json()[{via.name!r}] is None",
                ]
                self.m.add(f"{stem}_clears_{gp}_{via.name}", lines)

    # ----------------------------------------------------------------- listing
    def listing(self) -> None:
        ent, p = self.ent, self.p
        listing = ent.listing
        old_listing = self.old.listing if self.old is not None else None
        pagination = listing.pagination
        if pagination is None:
            count = 2
            if old_listing is not None and old_listing.pagination is not None:
                count = old_listing.pagination.max_limit + 1
            self.m.add(
                "list_returns_every_object_in_id_order",
                [
                    f'for _ in range({count - 2} - len(api.list_all("{p}"))):',
                    f'    api.new("{p}")',
                    f'created = [api.new("{p}")["id"] for _ in range(2)]',
                    f'response = api.get("/{p}")',
                    "assert response.status_code == 200",
                    'ids = [item["id"] for item in response.json()]',
                    "assert ids == sorted(ids)",
                    "assert set(created) <= set(ids)",
                ],
            )
        else:
            self.pagination_tests(pagination.default_limit, pagination.max_limit)
        for flt in listing.filters:
            self.filter_test(ent.field(flt.field), flt.op)
            self.add_all(suite_rules.unparsable_filters(ent, flt))
            self.add_all(suite_rules.instant_bounds(ent, flt))
        for name in listing.sort_fields:
            self.sort_test(ent.field(name))
        unsortable = [f.name for f in ent.fields if f.name not in listing.sort_fields][:1]
        if old_listing is not None:
            unsortable += [
                n
                for n in old_listing.sort_fields
                if n not in listing.sort_fields and n not in unsortable
            ]
        cases = [(n, lit(n)) for n in unsortable] or [(UNKNOWN_KEY, lit(UNKNOWN_KEY))]
        self.m.add(
            "sorting_by_a_field_without_sorting_is_422",
            [f'api.expect(api.get("/{p}", params={{"sort": value}}), 422, "sort")'],
            ("value", cases),
        )
        if old_listing is not None:
            current = {(f.field, f.op) for f in listing.filters}
            for flt in old_listing.filters:
                if (flt.field, flt.op) not in current:
                    self.ignored_filter(flt.field, flt.op)

    def pagination_tests(self, default: int, most: int) -> None:
        p = self.p
        self.m.add(
            f"list_pages_default_to_{default}_objects",
            [
                "# More objects than one default page, counting what other tests made.",
                f'for _ in range({default + 1} - len(api.list_all("{p}"))):',
                f'    api.new("{p}")',
                f'response = api.get("/{p}")',
                "assert response.status_code == 200",
                f"assert len(response.json()) == {default}",
                'ids = [item["id"] for item in response.json()]',
                "assert ids == sorted(ids)",
                "# Without offset the page starts at the first object.",
                f'assert response.json() == api.list_all("{p}")[:{default}]',
            ],
        )
        self.m.add(
            "limit_and_offset_slice_the_list",
            [
                f'for _ in range(3):\n        api.new("{p}")',
                f'everything = api.list_all("{p}")',
                f'response = api.get("/{p}", params={{"limit": 2, "offset": 1}})',
                "assert response.status_code == 200",
                "assert response.json() == everything[1:3]",
            ],
        )
        self.m.add(
            f"limit_{most}_is_accepted",
            [
                f'response = api.get("/{p}", params={{"limit": {most}}})',
                "assert response.status_code == 200",
                f"assert len(response.json()) <= {most}",
            ],
        )
        self.m.add(
            "limit_1_is_accepted",
            [
                f'api.new("{p}")',
                f'response = api.get("/{p}", params={{"limit": 1}})',
                "assert response.status_code == 200, response.text",
                "assert len(response.json()) == 1",
            ],
        )
        bad = [
            ("limit_zero", lit(("limit", "0"))),
            ("limit_above_max", lit(("limit", str(most + 1)))),
            ("limit_text", lit(("limit", "ten"))),
            ("offset_negative", lit(("offset", "-1"))),
            ("offset_text", lit(("offset", "x"))),
        ]
        self.m.add(
            "bad_limit_or_offset_is_422",
            [
                "name, text = case",
                f'api.expect(api.get("/{p}", params={{name: text}}), 422, name)',
            ],
            ("case", bad),
        )

    def _two_values(self, spec: FieldSpec) -> tuple[str, str] | None:
        """Sources of two distinct valid values of a writable field."""
        ent = self.ent
        if spec.name == ent.title_field or spec.type is FieldType.REFERENCE or spec.unique:
            return valid_expr(ent, spec, distinct=True), valid_expr(ent, spec, distinct=True)
        options = values.samples(spec, 3)
        if len(options) < 2:
            return None
        return lit(options[0]), lit(options[-1])

    def filter_test(self, spec: FieldSpec, op: FilterOp) -> None:
        p, name = self.p, spec.name
        if spec.computed is not None:
            return
        if spec.read_only:
            if op is FilterOp.EQ:
                other = [c for c in spec.choices if c != spec.default][:1]
                lines = [
                    f'item = api.new("{p}")',
                    f'items = api.list_all("{p}", **{{{name!r}: {lit(spec.default)}}})',
                    'assert item["id"] in [i["id"] for i in items]',
                    f"assert all(i[{name!r}] == {lit(spec.default)} for i in items)",
                ]
                if other:
                    lines += [
                        f'items = api.list_all("{p}", **{{{name!r}: {lit(other[0])}}})',
                        'assert item["id"] not in [i["id"] for i in items]',
                    ]
                self.m.add(f"filter_{name}_equal", lines)
            return
        pair = self._two_values(spec)
        if pair is None:
            return
        first, second = pair
        ids = 'ids = [i["id"] for i in items]'
        if op is FilterOp.EQ:
            lines = [
                f'match = api.new("{p}", {name}={first})',
                f'other = api.new("{p}", {name}={second})',
                f'items = api.list_all("{p}", **{{{name!r}: api.query_text(match[{name!r}])}})',
                ids,
                'assert match["id"] in ids and other["id"] not in ids',
                f"assert all(i[{name!r}] == match[{name!r}] for i in items)",
            ]
            if not spec.required:
                lines += [
                    f'empty = api.new("{p}", {name}=None)',
                    f'items = api.list_all("{p}", **{{{name!r}: "null"}})',
                    ids,
                    'assert empty["id"] in ids and match["id"] not in ids',
                    f"assert all(i[{name!r}] is None for i in items)",
                ]
            self.m.add(f"filter_{name}_equal", lines)
        elif op in {FilterOp.GTE, FilterOp.LTE}:
            if spec.type not in ORDERED:
                return
            key = "api.instant" if spec.type is FieldType.DATETIME else ""
            lower = op is FilterOp.GTE
            param = f"{name}_{'min' if lower else 'max'}"
            inside, outside = ("high", "low") if lower else ("low", "high")
            compare = ">=" if lower else "<="
            lines = [
                f"low, high = sorted([{first}, {second}])",
                f'low_item = api.new("{p}", {name}=low)',
                f'high_item = api.new("{p}", {name}=high)',
            ]
            if not spec.required:
                lines.append(f'empty = api.new("{p}", {name}=None)')
            lines += [
                f'items = api.list_all("{p}", {param}=api.query_text({inside}))',
                ids,
                f'assert {inside}_item["id"] in ids and {outside}_item["id"] not in ids',
                f"assert all(i[{name!r}] is not None and {key}(i[{name!r}]) {compare} "
                f"{key}({inside}) for i in items)",
            ]
            if not spec.required:
                lines.append('assert empty["id"] not in ids')
            self.m.add(f"filter_{param}_is_inclusive", lines)
        elif op is FilterOp.CONTAINS:
            if spec.type not in {FieldType.STRING, FieldType.EMAIL, FieldType.ENUM}:
                return
            lines = [
                f'match = api.new("{p}", {name}={first})',
                f'other = api.new("{p}", {name}={second})',
                f"needle = match[{name!r}].swapcase()",
                f"assert needle.lower() not in other[{name!r}].lower()",
                f'items = api.list_all("{p}", {name}_contains=needle)',
                ids,
                'assert match["id"] in ids and other["id"] not in ids',
                f"assert all(i[{name!r}] is not None and needle.lower() in i[{name!r}].lower() "
                "for i in items)",
            ]
            if spec.name == self.ent.title_field:
                lines = [
                    "word = api.token()",
                    f'match = api.new("{p}", {name}="Pre" + word.upper() + "post")',
                    f'other = api.new("{p}")',
                    f'items = api.list_all("{p}", {name}_contains=word)',
                    ids,
                    'assert match["id"] in ids and other["id"] not in ids',
                    f"assert all(word in i[{name!r}].lower() for i in items)",
                ]
            self.m.add(f"filter_{name}_contains_ignores_case", lines)

    def ignored_filter(self, name: str, op: FilterOp) -> None:
        """A filter the spec no longer enables is an ignored query parameter."""
        p = self.p
        param = {FilterOp.EQ: name, FilterOp.GTE: f"{name}_min", FilterOp.LTE: f"{name}_max"}.get(
            op, f"{name}_contains"
        )
        if self.ent.has_field(name):
            spec = self.ent.field(name)
            if spec.read_only or spec.computed is not None:
                return
            options = values.samples(spec, 3)
            if len(options) < 2 or spec.unique or spec.type is FieldType.REFERENCE:
                return
            if op in {FilterOp.EQ, FilterOp.GTE}:
                keep, query = options[0], options[-1]
            elif op is FilterOp.LTE:
                keep, query = options[-1], options[0]
            else:
                keep, query = options[0], "qqzzqq-nothing"
            setup = f'item = api.new("{p}", {name}={lit(keep)})'
            text = f"api.query_text({lit(query)})"
        else:
            setup = f'item = api.new("{p}")'
            text = lit("qqzzqq-nothing")
        self.m.add(
            f"filter_{param}_is_no_longer_applied",
            [
                setup,
                f'items = api.list_all("{p}", {param}={text})',
                'assert item["id"] in [i["id"] for i in items]',
            ],
        )

    def sort_test(self, spec: FieldSpec) -> None:
        p, name = self.p, spec.name
        key = "api.instant" if spec.type is FieldType.DATETIME else "None"
        lines: list[str] = []
        if spec.read_only or spec.computed is not None:
            lines += [f'api.new_full("{p}")', f'api.new("{p}")']
        else:
            options = suite_rules.sort_samples(spec)
            sources: list[str]
            if spec.name == self.ent.title_field or spec.unique or spec.type is FieldType.REFERENCE:
                sources = [valid_expr(self.ent, spec, distinct=True) for _ in range(3)]
            else:
                sources = [lit(v) for v in options]
                if len(options) >= 2:
                    sources.append(lit(options[0]))  # a tie, broken by id
            sources = sources[1:] + sources[:1]  # created out of order
            if not spec.required:
                sources.insert(1, "None")
            for source in sources:
                lines.append(f'api.new("{p}", {name}={source})')
        lines += [
            'sort = ("-" if descending else "") + ' + lit(name),
            f'items = api.list_all("{p}", sort=sort)',
            f"api.check_sorted(items, {name!r}, descending, {key})",
        ]
        self.m.add(
            f"sorting_by_{name}",
            lines,
            ("descending", [("ascending", "False"), ("descending", "True")]),
        )

    # ----------------------------------------------------------------- actions
    def action_tests(self, action: Action) -> None:
        ent, p = self.ent, self.p
        state = action.field
        path = at(p)[:-1] + f'/{action.name}"'
        succeeded = False
        for start in action.from_states:
            found = plans.plan(self.schema, ent, state, start, list(action.guards), [])
            if found is None:
                continue
            succeeded = True
            self.m.add(
                f"{action.name}_from_{start}_succeeds",
                [
                    *self.plan_lines(found),
                    f"response = api.post({path})",
                    "assert response.status_code == 200, response.text",
                    'assert response.json()["id"] == item["id"]',
                    f"assert response.json()[{state!r}] == {action.to_state!r}",
                    f"assert api.get({at(p)}).json()[{state!r}] == {action.to_state!r}",
                ],
            )
        for wrong in plans.reachable(ent, state):
            if wrong in action.from_states:
                continue
            found = plans.plan(self.schema, ent, state, wrong, list(action.guards), [])
            found = found or plans.plan(self.schema, ent, state, wrong, [], [])
            if found is None:
                continue
            self.m.add(
                f"{action.name}_in_state_{wrong}_is_409",
                [
                    *self.plan_lines(found),
                    f'api.expect(api.post({path}), 409, "{state}")',
                    f"assert api.get({at(p)}).json()[{state!r}] == {wrong!r}",
                ],
            )
        for index, guard in enumerate(action.guards):
            others = [g for g in action.guards if g is not guard]
            for start in action.from_states:
                found = plans.plan(self.schema, ent, state, start, others, [guard])
                if found is None:
                    continue
                named = guard.field if isinstance(guard, FieldGuard) else self._plural(guard)
                self.m.add(
                    f"{action.name}_refused_when_guard_{index + 1}_{_guard_id(guard)}_fails",
                    [
                        *self.plan_lines(found),
                        f'api.expect(api.post({path}), 409, "{named}")',
                        f"assert api.get({at(p)}).json()[{state!r}] == {start!r}",
                    ],
                )
                break
        for guard in action.guards:
            self.null_guard(action, guard, path)
        if succeeded:
            for guard in self._dropped_guards(action):
                self.dropped_guard(action, guard, path)
        self.m.add(
            f"{action.name}_of_an_unknown_id_is_404",
            [f'api.expect(api.post(f"/{p}/{{api.MISSING_ID}}/{action.name}"), 404)'],
        )

    def null_guard(self, action: Action, guard: Any, path: str) -> None:
        """An ordering guard on an optional field refuses when the field is null."""
        if not isinstance(guard, FieldGuard) or guard.op not in _ORDERING:
            return
        spec = self.ent.field(guard.field)
        if spec.required or spec.read_only or spec.computed is not None:
            return
        others = [g for g in action.guards if g is not guard]
        if any(isinstance(g, FieldGuard) and g.field == guard.field for g in others):
            return
        for start in action.from_states:
            found = plans.plan(self.schema, self.ent, action.field, start, others, [guard])
            if found is None:
                continue
            on_the_way = [g for a in found.path for g in a.guards]
            if any(isinstance(g, FieldGuard) and g.field == guard.field for g in on_the_way):
                continue
            found.overrides[guard.field] = None
            self.m.add(
                f"{action.name}_refused_when_{guard.field}_is_null",
                [
                    *self.plan_lines(found),
                    f'api.expect(api.post({path}), 409, "{guard.field}")',
                ],
            )
            return

    def dropped_guard(self, action: Action, guard: Any, path: str) -> None:
        if isinstance(guard, FieldGuard) and not self.ent.has_field(guard.field):
            return
        if isinstance(guard, RelatedGuard) and not self._related_exists(guard):
            return
        for start in action.from_states:
            found = plans.plan(
                self.schema, self.ent, action.field, start, list(action.guards), [guard]
            )
            if found is None:
                continue
            self.m.add(
                f"{action.name}_no_longer_needs_{_guard_id(guard)}",
                [
                    *self.plan_lines(found),
                    f"response = api.post({path})",
                    "assert response.status_code == 200, response.text",
                ],
            )
            return

    def _related_exists(self, guard: RelatedGuard) -> bool:
        if not self.schema.has_entity(guard.entity):
            return False
        other = self.schema.entity(guard.entity)
        if not other.has_field(guard.via) or other.field(guard.via).target != self.ent.name:
            return False
        if guard.state_field is None:
            return True
        return other.has_field(guard.state_field) and all(
            s in other.field(guard.state_field).choices for s in guard.states
        )

    def _plural(self, guard: RelatedGuard) -> str:
        return self.schema.entity(guard.entity).plural

    def plan_lines(self, found: plans.Plan, var: str = "item") -> list[str]:
        return _plan_lines(found, var)

    # ----------------------------------------------------------------- computed
    def computed(self) -> None:
        p = self.p
        for spec in self.ent.fields:
            computed = spec.computed
            if computed is None:
                continue
            if computed.kind is ComputedKind.RELATED_COUNT:
                other = self.schema.entity(computed.entity or "")
                self.m.add(
                    f"{spec.name}_counts_{other.plural}",
                    [
                        f'item = api.new("{p}")',
                        f'first = api.new("{other.plural}", {computed.via}=item["id"])',
                        f'api.new("{other.plural}", {computed.via}=item["id"])',
                        f"assert api.get({at(p)}).json()[{spec.name!r}] == 2",
                        f"assert api.delete({at(other.plural, 'first')}).status_code == 204",
                        f"assert api.get({at(p)}).json()[{spec.name!r}] == 1",
                    ],
                )
                continue
            lines = [f'item = api.new_full("{p}")']
            changed = False
            for name in computed.inputs:
                source = self.ent.field(name)
                if source.name == self.ent.title_field:
                    lines.append(
                        f"item = api.patch({at(p)}, json={{{name!r}: api.token()}}).json()"
                    )
                    changed = True
                    continue
                options = [v for v in values.samples(source, 3)]
                if len(options) >= 2 and not source.unique:
                    lines.append(
                        f"item = api.patch({at(p)}, json={{{name!r}: {lit(options[1])}}}).json()"
                    )
                    changed = True
            lines += self._computed_checks_for(spec, "item")
            nullable = [n for n in computed.inputs if not self.ent.field(n).required]
            if nullable:
                lines += [
                    f"item = api.patch({at(p)}, json={{{nullable[0]!r}: None}}).json()",
                    f"assert item[{spec.name!r}] is None",
                ]
                changed = True
            if changed:
                lines.append(f"assert api.get({at(p)}).json() == item")
                self.m.add(f"{spec.name}_follows_its_inputs", lines)

    def _computed_checks_for(self, spec: FieldSpec, var: str) -> list[str]:
        saved = self.ent
        single = Entity(
            name=saved.name, plural=saved.plural, title_field=saved.title_field, fields=[spec]
        )
        self.ent = single
        try:
            return self._computed_checks(var)
        finally:
            self.ent = saved


def _plan_lines(found: plans.Plan, var: str) -> list[str]:
    ent = found.entity
    fields = _fields(ent)
    args = "".join(
        f", {name}={value_expr(ent, fields[name], value)}"
        for name, value in found.overrides.items()
    )
    lines = [f'{var} = api.new("{ent.plural}"{args})']
    if plans.picks(found):
        lines.insert(0, "api.release_after()  # frees the picked unique values")
    for index, child in enumerate(found.children):
        child_var = f"child{index + 1}"
        child_args = "".join(
            f", {name}={value_expr(child.entity, _fields(child.entity)[name], value)}"
            for name, value in child.plan.overrides.items()
        )
        create = f'api.new("{child.entity.plural}", {child.via}={var}["id"]{child_args})'
        lines.append(f"{child_var} = {create}" if child.plan.path else create)
        for action in child.plan.path:
            lines.append(f'api.act("{child.entity.plural}", {child_var}["id"], "{action.name}")')
    for action in found.path:
        lines.append(f'api.act("{ent.plural}", {var}["id"], "{action.name}")')
    return lines


def _guard_id(guard: Any) -> str:
    if isinstance(guard, FieldGuard):
        return f"{guard.field}_{guard.op.value}"
    return f"{guard.entity}_count_{guard.op.value}_{guard.count}"


def _same_guard(a: Any, b: Any) -> bool:
    return bool(a == b)


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _release_literal(spec: FieldSpec, plural: str) -> list[str]:
    """A test that stored a fixed value in a unique field deletes that object again, so
    another test posting the same literal (a boundary, an old bound) gets no 409."""
    if not spec.unique:
        return []
    return [f"assert api.delete(f\"/{plural}/{{response.json()['id']}}\").status_code == 204"]


def _length_probe(spec: FieldSpec, length: int) -> str | None:
    """A string of ``length`` characters that breaks only the length bound (pattern
    fields fall back to a non-matching string, which is still one invalid field)."""
    text = values.text_of_length(spec, length)
    if text is None and length >= 0:
        text = ("abcdefghij" * (length // 10 + 1))[:length]
    return text


# --------------------------------------------------------------------------- paths


def _paths_module(schema: Schema) -> Module:
    """Paths the spec does not define answer 404 with a JSON error body."""
    module = Module("Unknown paths answer 404 with a JSON error body (generated).")
    module.add(
        "an_unknown_path_is_404",
        [
            f'api.expect(api.get("/{UNKNOWN_KEY}"), 404)',
            f'api.expect(api.post("/{UNKNOWN_KEY}", json={{}}), 404)',
            f'api.expect(api.get("/{UNKNOWN_KEY}/1"), 404)',
        ],
    )
    module.add(
        "an_unknown_analytics_endpoint_is_404",
        [f'api.expect(api.get("/analytics/{UNKNOWN_KEY}"), 404)'],
    )
    for ent in schema.entities:
        module.add(
            f"an_unknown_action_on_{ent.plural}_is_404",
            [
                f'item = api.new("{ent.plural}")',
                f'api.expect(api.post({at(ent.plural)[:-1]}/{UNKNOWN_KEY}"), 404)',
            ],
        )
    return module


# --------------------------------------------------------------------------- removals


def _removed_module(schema: Schema, previous: Schema) -> Module:
    module = Module("What the previous turn had and this turn removed (generated).")
    plurals = {e.plural for e in schema.entities}
    for old in previous.entities:
        if old.plural not in plurals:
            module.add(
                f"collection_{old.plural}_is_gone",
                [
                    f'api.expect(api.get("/{old.plural}"), 404)',
                    f'api.expect(api.post("/{old.plural}", json={{}}), 404)',
                    f'api.expect(api.get("/{old.plural}/1"), 404)',
                ],
            )
        if not schema.has_entity(old.name):
            continue
        ent = schema.entity(old.name)
        for spec in old.fields:
            if ent.has_field(spec.name):
                continue
            sample = values.samples(spec, 1)
            probe = lit(sample[0]) if sample else "1"
            module.add(
                f"{ent.name}_field_{spec.name}_is_gone",
                [
                    f'body = api.body("{ent.plural}", {spec.name}={probe})',
                    f'api.expect(api.post("/{ent.plural}", json=body), 422, "{spec.name}")',
                    f'item = api.new("{ent.plural}")',
                    f"assert {spec.name!r} not in item",
                ],
            )
        names = {a.name for a in ent.actions}
        for action in old.actions:
            if action.name not in names:
                module.add(
                    f"{ent.name}_action_{action.name}_is_gone",
                    [
                        f'item = api.new("{ent.plural}")',
                        f'api.expect(api.post({at(ent.plural)[:-1]}/{action.name}"), 404)',
                    ],
                )
    current = {a.name for a in schema.analytics}
    for analytics in previous.analytics:
        if analytics.name not in current:
            module.add(
                f"analytics_{analytics.name}_is_gone",
                [f'api.expect(api.get("/analytics/{analytics.name}"), 404)'],
            )
    return module


__all__ = ["render_suite"]
_unused = (Iterator,)
