"""Proposers: for each change kind, one random but plausible candidate change.

A proposer looks at the current schema and the domain's vocabulary and returns a typed
change (or None when it sees no candidate). It does not need to be right: the sampler
keeps only candidates whose precondition holds and whose result is consistent. All
randomness comes from the ``rng`` argument, and every choice iterates over lists in
schema or vocabulary order, so proposals are reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from enduro.scenarios import vocabulary as vocab
from enduro.scenarios.changes import (
    AddAction,
    AddAnalytics,
    AddComputedField,
    AddEntity,
    AddEnumField,
    AddEnumValue,
    AddField,
    AddFieldGuard,
    AddFilter,
    AddPagination,
    AddReference,
    AddRelatedGuard,
    AddSorting,
    AddUnique,
    Change,
    ChangeOnDelete,
    ExtendAction,
    MakeOptional,
    MakeRequired,
    RemoveAnalytics,
    RemoveEntity,
    RemoveField,
    RenameEntity,
    RenameField,
    SetDefault,
    SetLengthBounds,
    SetMaximum,
    SetMinimum,
    SetPattern,
)
from enduro.scenarios.changes.base import NUMERIC, TEXTUAL, stored_writable
from enduro.scenarios.changes.listing import FILTER_TYPES, SORT_TYPES
from enduro.scenarios.schema import (
    IDENTIFIER,
    RESERVED_NAMES,
    AggregateOp,
    Analytics,
    CompareOp,
    Computed,
    ComputedKind,
    Condition,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    OnDelete,
    RelatedGuard,
    Scalar,
    Schema,
)
from enduro.scenarios.values import fits

T = TypeVar("T")
Proposer = Callable[["Context"], Change | None]
MAX_NAME = 40


@dataclass(frozen=True)
class Context:
    schema: Schema
    rng: random.Random
    domain: vocab.Domain

    def pick(self, items: Sequence[T]) -> T | None:
        return self.rng.choice(items) if items else None

    def entity(self) -> Entity:
        return self.rng.choice(self.schema.entities)

    def field_pairs(
        self, keep: Callable[[Entity, FieldSpec], bool]
    ) -> list[tuple[Entity, FieldSpec]]:
        return [(e, f) for e in self.schema.entities for f in e.fields if keep(e, f)]


def usable(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and name not in RESERVED_NAMES and len(name) <= MAX_NAME


def domain_for(schema: Schema) -> vocab.Domain:
    try:
        return vocab.domain(schema.domain)
    except KeyError:
        return vocab.DOMAINS[0]


def entity_word(ctx: Context, name: str) -> vocab.EntityWord | None:
    for word in (*ctx.domain.entities, *vocab.GENERIC_ENTITIES):
        if word.name == name:
            return word
    return None


def _qualified(name: str, taken: set[str], qualifier_pool: Sequence[str]) -> str | None:
    base = name
    for qual in qualifier_pool:
        if base.startswith(qual + "_"):
            base = base[len(qual) + 1 :]
    for qual in qualifier_pool:
        candidate = f"{qual}_{base}"
        if candidate not in taken and usable(candidate):
            return candidate
    return None


# -- fields ----------------------------------------------------------------------------


def title_spec(rng: random.Random, name: str) -> FieldSpec:
    return FieldSpec(
        name=name, type=FieldType.STRING, required=True, max_length=rng.choice([None, 120, 200])
    )


def plain_spec(rng: random.Random, word: vocab.FieldWord, required: bool = False) -> FieldSpec:
    """A writable field from a vocabulary word, with type-flavoured constraints."""
    kind = word.type
    spec = FieldSpec(name=word.name, type=kind, required=required)
    if kind is FieldType.ENUM:
        default = word.choices[0] if not required and rng.random() < 0.5 else None
        return spec.model_copy(update={"choices": list(word.choices), "default": default})
    roll = rng.random()
    if kind is FieldType.INTEGER and roll < 0.5:
        return spec.model_copy(update={"minimum": 0.0})
    if kind is FieldType.NUMBER and roll < 0.4:
        return spec.model_copy(update={"minimum": 0.0})
    if kind is FieldType.STRING and roll < 0.3:
        return spec.model_copy(update={"max_length": rng.choice([40, 80, 200])})
    if kind is FieldType.BOOLEAN and not required and roll < 0.5:
        return spec.model_copy(update={"default": False})
    return spec


def new_field_words(
    ctx: Context, ent: Entity, kinds: frozenset[FieldType]
) -> list[vocab.FieldWord]:
    """Vocabulary words for fields ``ent`` does not have yet, its own template first."""
    words: list[vocab.FieldWord] = []
    template = entity_word(ctx, ent.name)
    if template is not None:
        words.extend(vocab.parse_field(text) for text in template.fields)
    for kind in sorted(kinds, key=lambda k: k.value):
        words.extend(vocab.FieldWord(name, kind) for name in vocab.GENERIC_FIELDS.get(kind, ()))
    if FieldType.ENUM in kinds:
        words.extend(vocab.GENERIC_ENUMS)
    fresh = [w for w in words if w.type in kinds and not ent.has_field(w.name) and usable(w.name)]
    if fresh:
        return fresh
    taken = {f.name for f in ent.fields}
    out = []
    for word in words:
        if word.type in kinds:
            name = _qualified(word.name, taken, vocab.QUALIFIERS)
            if name is not None:
                out.append(vocab.FieldWord(name, word.type, word.choices))
    return out


PLAIN_TYPES = frozenset(
    {FieldType.STRING, FieldType.INTEGER, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.DATE,
     FieldType.DATETIME, FieldType.EMAIL}
)  # fmt: skip


def propose_add_field(ctx: Context) -> Change | None:
    ent = ctx.entity()
    word = ctx.pick(new_field_words(ctx, ent, PLAIN_TYPES))
    if word is None:
        return None
    return AddField(entity=ent.name, field=plain_spec(ctx.rng, word, ctx.rng.random() < 0.15))


def propose_add_enum_field(ctx: Context) -> Change | None:
    ent = ctx.entity()
    word = ctx.pick(new_field_words(ctx, ent, frozenset({FieldType.ENUM})))
    if word is None:
        return None
    return AddEnumField(entity=ent.name, field=plain_spec(ctx.rng, word))


def propose_rename_field(ctx: Context) -> Change | None:
    ent = ctx.entity()
    spec = ctx.pick(ent.fields)
    if spec is None:
        return None
    taken = {f.name for f in ent.fields}
    quals = list(vocab.QUALIFIERS)
    ctx.rng.shuffle(quals)
    new = _qualified(spec.name, taken, quals)
    return None if new is None else RenameField(entity=ent.name, field=spec.name, new_name=new)


def propose_remove_field(ctx: Context) -> Change | None:
    ent = ctx.entity()
    spec = ctx.pick([f for f in ent.fields if f.name != ent.title_field])
    return None if spec is None else RemoveField(entity=ent.name, field=spec.name)


# -- entities --------------------------------------------------------------------------


def _new_entity_names(ctx: Context) -> list[vocab.EntityWord]:
    names = {e.name for e in ctx.schema.entities}
    plurals = {e.plural for e in ctx.schema.entities}
    words = [*ctx.domain.entities, *vocab.GENERIC_ENTITIES]
    fresh = [w for w in words if w.name not in names and w.plural not in plurals]
    if fresh:
        return fresh
    out = []
    for word in words:
        for qual in vocab.QUALIFIERS:
            name, plural = f"{qual}_{word.name}", f"{qual}_{word.plural}"
            if name not in names and plural not in plurals and usable(name) and usable(plural):
                out.append(vocab.EntityWord(name, plural, word.title, word.fields))
                break
    return out


def build_entity(ctx: Context, word: vocab.EntityWord, extra: int) -> Entity:
    rng = ctx.rng
    fields = [title_spec(rng, word.title)]
    options = [vocab.parse_field(text) for text in word.fields]
    options = [w for w in options if w.name != word.title and usable(w.name)]
    for fw in rng.sample(options, min(extra, len(options))):
        fields.append(plain_spec(rng, fw, required=rng.random() < 0.2))
    return Entity(name=word.name, plural=word.plural, title_field=word.title, fields=fields)


def reference_spec(ctx: Context, ent: Entity, target: Entity) -> FieldSpec | None:
    taken = {f.name for f in ent.fields}
    name: str | None = f"{target.name}_id"
    if name in taken or not usable(name or ""):
        name = _qualified(f"{target.name}_id", taken, vocab.QUALIFIERS)
    if name is None:
        return None
    on_delete = ctx.rng.choice(list(OnDelete))
    required = on_delete is not OnDelete.SET_NULL and ctx.rng.random() < 0.2
    return FieldSpec(
        name=name, type=FieldType.REFERENCE, required=required, target=target.name,
        on_delete=on_delete,
    )  # fmt: skip


def propose_add_entity(ctx: Context) -> Change | None:
    word = ctx.pick(_new_entity_names(ctx))
    if word is None:
        return None
    ent = build_entity(ctx, word, ctx.rng.randint(1, 3))
    if ctx.rng.random() < 0.5:
        ref = reference_spec(ctx, ent, ctx.entity())
        if ref is not None:
            ent = ent.model_copy(update={"fields": [*ent.fields, ref]})
    return AddEntity(entity=ent)


def propose_rename_entity(ctx: Context) -> Change | None:
    ent = ctx.entity()
    names = {e.name for e in ctx.schema.entities} | {e.plural for e in ctx.schema.entities}
    quals = list(vocab.QUALIFIERS)
    ctx.rng.shuffle(quals)
    for qual in quals:
        base_name, base_plural = ent.name, ent.plural
        for q in vocab.QUALIFIERS:
            if base_name.startswith(q + "_") and base_plural.startswith(q + "_"):
                base_name, base_plural = base_name[len(q) + 1 :], base_plural[len(q) + 1 :]
        name, plural = f"{qual}_{base_name}", f"{qual}_{base_plural}"
        if name not in names and plural not in names and usable(name) and usable(plural):
            return RenameEntity(entity=ent.name, new_name=name, new_plural=plural)
    return None


def propose_remove_entity(ctx: Context) -> Change | None:
    ent = ctx.entity()
    return RemoveEntity(entity=ent.name, plural=ent.plural)


# -- constraints -----------------------------------------------------------------------


def _pick_field(
    ctx: Context, change: Callable[[Entity, FieldSpec], Change | None]
) -> Change | None:
    """A random applicable change among the candidates ``change`` builds per field."""
    pairs = [(e, f) for e in ctx.schema.entities for f in e.fields]
    for ent, spec in ctx.rng.sample(pairs, min(12, len(pairs))):
        candidate = change(ent, spec)
        if candidate is not None and candidate.precondition(ctx.schema) is None:
            return candidate
    return None


INT_MINIMA = (0, 1, 2, 5, 10, 18)
INT_MAXIMA = (10, 50, 100, 500, 1000, 10000)
NUM_MINIMA = (0, 0.5, 1, 10)
NUM_MAXIMA = (10, 99.5, 1000, 100000)


def propose_set_minimum(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type not in NUMERIC:
            return None
        if spec.minimum is not None and ctx.rng.random() < 0.2:
            return SetMinimum(entity=ent.name, field=spec.name, value=None)
        pool = INT_MINIMA if spec.type is FieldType.INTEGER else NUM_MINIMA
        return SetMinimum(entity=ent.name, field=spec.name, value=ctx.rng.choice(pool))

    return _pick_field(ctx, build)


def propose_set_maximum(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type not in NUMERIC:
            return None
        if spec.maximum is not None and ctx.rng.random() < 0.2:
            return SetMaximum(entity=ent.name, field=spec.name, value=None)
        pool = INT_MAXIMA if spec.type is FieldType.INTEGER else NUM_MAXIMA
        return SetMaximum(entity=ent.name, field=spec.name, value=ctx.rng.choice(pool))

    return _pick_field(ctx, build)


def propose_set_length_bounds(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type not in TEXTUAL:
            return None
        low = ctx.rng.choice([None, 1, 2, 3])
        high = ctx.rng.choice([None, 40, 60, 120, 254])
        if spec.name == ent.title_field:
            low = ctx.rng.choice([None, 1])
        if spec.type is FieldType.EMAIL:
            low = None  # every address is longer than 3 characters: no behaviour
        return SetLengthBounds(entity=ent.name, field=spec.name, min_length=low, max_length=high)

    return _pick_field(ctx, build)


def propose_set_pattern(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type is not FieldType.STRING:
            return None
        pattern = ctx.rng.choice(vocab.PATTERNS)[0]
        return SetPattern(entity=ent.name, field=spec.name, pattern=pattern)

    return _pick_field(ctx, build)


def propose_make_required(ctx: Context) -> Change | None:
    return _pick_field(ctx, lambda e, f: MakeRequired(entity=e.name, field=f.name))


def propose_make_optional(ctx: Context) -> Change | None:
    return _pick_field(ctx, lambda e, f: MakeOptional(entity=e.name, field=f.name))


def propose_add_unique(ctx: Context) -> Change | None:
    return _pick_field(ctx, lambda e, f: AddUnique(entity=e.name, field=f.name))


def default_candidates(spec: FieldSpec) -> Sequence[Scalar]:
    """Values that could serve as the field's default, before checking they fit."""
    kind = spec.type
    if kind is FieldType.BOOLEAN:
        return [False, True]
    if kind is FieldType.ENUM:
        return list(spec.choices)
    if kind in NUMERIC:
        out: list[Scalar] = [0, 1, 10]
        for bound in (spec.minimum, spec.maximum):
            if bound is not None:
                out.append(int(bound) if kind is FieldType.INTEGER else bound)
        return out
    if kind is FieldType.DATE:
        return [vocab.DATE_DEFAULT]
    if kind is FieldType.DATETIME:
        return [vocab.DATETIME_DEFAULT]
    if kind is FieldType.EMAIL:
        return [vocab.EMAIL_DEFAULT]
    if kind is FieldType.STRING:
        goods = [good for pattern, good, _ in vocab.PATTERNS if pattern == spec.pattern]
        return goods or list(vocab.STRING_DEFAULTS)
    return []


def propose_set_default(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        values = [v for v in default_candidates(spec) if fits(spec, v) and v != spec.default]
        if not values:
            return None
        return SetDefault(entity=ent.name, field=spec.name, value=ctx.rng.choice(values))

    return _pick_field(ctx, build)


def propose_add_enum_value(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type is not FieldType.ENUM or spec.read_only:
            return None
        fresh = [v for v in vocab.EXTRA_CHOICES if v not in spec.choices]
        value = ctx.pick(fresh)
        return (
            None if value is None else AddEnumValue(entity=ent.name, field=spec.name, value=value)
        )

    return _pick_field(ctx, build)


# -- references ------------------------------------------------------------------------


def propose_add_reference(ctx: Context) -> Change | None:
    if len(ctx.schema.entities) < 2:
        return None
    ent = ctx.entity()
    target = ctx.pick([e for e in ctx.schema.entities if e.name != ent.name])
    if target is None:
        return None
    spec = reference_spec(ctx, ent, target)
    if spec is None or spec.on_delete is None:
        return None
    return AddReference(
        entity=ent.name, field=spec.name, target=target.name, on_delete=spec.on_delete,
        required=spec.required,
    )  # fmt: skip


def propose_change_on_delete(ctx: Context) -> Change | None:
    def build(ent: Entity, spec: FieldSpec) -> Change | None:
        if spec.type is not FieldType.REFERENCE:
            return None
        policy = ctx.rng.choice([p for p in OnDelete if p is not spec.on_delete])
        return ChangeOnDelete(
            entity=ent.name, field=spec.name, target=spec.target or "", on_delete=policy
        )

    return _pick_field(ctx, build)


# -- actions ---------------------------------------------------------------------------


def _workflows(ctx: Context) -> list[vocab.Workflow]:
    return [*ctx.domain.workflows, *vocab.GENERIC_WORKFLOWS]


def propose_add_action(ctx: Context) -> Change | None:
    ent = ctx.entity()
    actions = {a.name for a in ent.actions}
    flows = [w for w in _workflows(ctx) if not ent.has_field(w.field) and w.verbs[0] not in actions]
    flow = ctx.pick(flows)
    if flow is None:
        return None
    return AddAction(
        entity=ent.name, action=flow.verbs[0], field=flow.field, initial=flow.states[0],
        to_state=flow.states[1],
    )  # fmt: skip


def propose_extend_action(ctx: Context) -> Change | None:
    ent = ctx.pick([e for e in ctx.schema.entities if e.actions])
    if ent is None:
        return None
    state = ent.field(ctx.rng.choice(ent.actions).field)
    actions = {a.name for a in ent.actions}
    options: list[tuple[str, str]] = []
    for flow in _workflows(ctx):
        if flow.field == state.name:
            options.extend(zip(flow.verbs, flow.states[1:], strict=True))
    options.extend(vocab.EXTRA_STATES)
    fresh = [(v, s) for v, s in options if s not in state.choices and v not in actions]
    if not fresh:
        return None
    verb, new_state = fresh[0]
    count = ctx.rng.randint(1, min(2, len(state.choices)))
    froms = ctx.rng.sample(state.choices, count)
    froms.sort(key=state.choices.index)
    return ExtendAction(
        entity=ent.name, field=state.name, action=verb, from_states=froms, to_state=new_state
    )


def field_guard(ctx: Context, spec: FieldSpec) -> FieldGuard | None:
    rng = ctx.rng
    if spec.type in NUMERIC:
        op = rng.choice([CompareOp.GT, CompareOp.GTE, CompareOp.LT, CompareOp.LTE])
        low = spec.minimum if spec.minimum is not None else 0
        high = spec.maximum if spec.maximum is not None else low + 100
        value = int(low + (high - low) * rng.choice([0.1, 0.25, 0.5]))
        return FieldGuard(field=spec.name, op=op, value=value)
    if spec.type is FieldType.BOOLEAN:
        return FieldGuard(field=spec.name, op=CompareOp.EQ, value=rng.random() < 0.7)
    if spec.type is FieldType.ENUM:
        op = rng.choice([CompareOp.EQ, CompareOp.NE])
        return FieldGuard(field=spec.name, op=op, value=rng.choice(spec.choices))
    if not spec.required:
        return FieldGuard(field=spec.name, op=rng.choice([CompareOp.IS_SET, CompareOp.IS_NULL]))
    return None


def propose_add_field_guard(ctx: Context) -> Change | None:
    ent = ctx.pick([e for e in ctx.schema.entities if e.actions])
    if ent is None:
        return None
    action = ctx.rng.choice(ent.actions)
    spec = ctx.pick([f for f in ent.fields if stored_writable(f) and f.name != ent.title_field])
    guard = None if spec is None else field_guard(ctx, spec)
    if guard is None:
        return None
    return AddFieldGuard(entity=ent.name, action=action.name, guard=guard)


def propose_add_related_guard(ctx: Context) -> Change | None:
    ent = ctx.pick([e for e in ctx.schema.entities if e.actions])
    if ent is None:
        return None
    action = ctx.rng.choice(ent.actions)
    ref = ctx.pick(ctx.schema.references_to(ent.name))
    if ref is None:
        return None
    other, via = ref
    op, count = ctx.rng.choice(
        [(CompareOp.GTE, 1), (CompareOp.EQ, 0), (CompareOp.LTE, 2), (CompareOp.LT, 3)]
    )
    guard = RelatedGuard(entity=other.name, via=via.name, op=op, count=count)
    enums = [f for f in other.fields if f.type is FieldType.ENUM]
    scope = ctx.pick(enums) if ctx.rng.random() < 0.5 else None
    if scope is not None:
        states = ctx.rng.sample(scope.choices, 1)
        guard = guard.model_copy(update={"state_field": scope.name, "states": states})
    return AddRelatedGuard(
        entity=ent.name, action=action.name, guard=guard, related_plural=other.plural
    )


# -- listing ---------------------------------------------------------------------------


def propose_add_filter(ctx: Context) -> Change | None:
    ent = ctx.entity()
    spec = ctx.pick([f for f in ent.fields if f.computed is None])
    if spec is None:
        return None
    ops = [op for op in FilterOp if spec.type in FILTER_TYPES[op]]
    op = ctx.pick(ops)
    if op is None:
        return None
    return AddFilter(entity=ent.name, field=spec.name, op=op, plural=ent.plural)


def propose_add_sorting(ctx: Context) -> Change | None:
    ent = ctx.entity()
    spec = ctx.pick([f for f in ent.fields if f.computed is None and f.type in SORT_TYPES])
    if spec is None:
        return None
    return AddSorting(entity=ent.name, field=spec.name, plural=ent.plural)


def propose_add_pagination(ctx: Context) -> Change | None:
    ent = ctx.pick([e for e in ctx.schema.entities if e.listing.pagination is None])
    if ent is None:
        return None
    default = ctx.rng.choice([5, 10, 20, 25])
    maximum = ctx.rng.choice([50, 100])
    return AddPagination(
        entity=ent.name, plural=ent.plural, default_limit=default, max_limit=maximum
    )


# -- analytics -------------------------------------------------------------------------

GROUPABLE = frozenset({FieldType.ENUM, FieldType.BOOLEAN, FieldType.STRING, FieldType.REFERENCE})


def _condition(ctx: Context, spec: FieldSpec) -> Condition | None:
    if spec.type in {FieldType.ENUM, FieldType.BOOLEAN}:
        value: Scalar = (
            ctx.rng.choice(spec.choices) if spec.type is FieldType.ENUM else ctx.rng.random() < 0.5
        )
        return Condition(field=spec.name, op=CompareOp.EQ, value=value)
    if spec.type in NUMERIC:
        low = int(spec.minimum) if spec.minimum is not None else 0
        return Condition(field=spec.name, op=CompareOp.GTE, value=low + ctx.rng.choice([1, 5, 10]))
    if not spec.required:
        return Condition(field=spec.name, op=CompareOp.IS_SET)
    return None


def _analytics_name(ctx: Context, an: Analytics, plural: str) -> str | None:
    taken = {a.name for a in ctx.schema.analytics}
    stem = f"{vocab.ANALYTICS_PREFIX[an.op.value]}_{an.field or plural}"
    if an.group_by is not None:
        stem += f"_by_{an.group_by}"
    candidates = [stem]
    if an.where:
        cond = an.where[0]
        candidates.insert(0, f"{stem}_{cond.value}" if isinstance(cond.value, str) else stem)
    candidates.extend(f"{stem}_{n}" for n in range(2, 10))  # too long: not usable
    for name in candidates:
        if name not in taken and usable(name):
            return name
    return None


def propose_add_analytics(ctx: Context) -> Change | None:
    ent = ctx.entity()
    stored = [f for f in ent.fields if f.computed is None]
    numeric = [f for f in stored if f.type in NUMERIC]
    op = ctx.rng.choice(list(AggregateOp)) if numeric else AggregateOp.COUNT
    target = None if op is AggregateOp.COUNT else ctx.rng.choice(numeric)
    group = None
    if ctx.rng.random() < 0.4:
        group = ctx.pick([f for f in stored if f.type in GROUPABLE and f.name != ent.title_field])
    where: list[Condition] = []
    if ctx.rng.random() < 0.3:
        spec = ctx.pick([f for f in stored if group is None or f.name != group.name])
        cond = None if spec is None else _condition(ctx, spec)
        where = [] if cond is None else [cond]
    an = Analytics(
        name="pending", entity=ent.name, op=op, field=None if target is None else target.name,
        group_by=None if group is None else group.name, where=where,
    )  # fmt: skip
    name = _analytics_name(ctx, an, ent.plural)
    return None if name is None else AddAnalytics(analytics=an.model_copy(update={"name": name}))


def propose_remove_analytics(ctx: Context) -> Change | None:
    an = ctx.pick(ctx.schema.analytics)
    return None if an is None else RemoveAnalytics(name=an.name)


# -- computed --------------------------------------------------------------------------


def propose_add_computed_field(ctx: Context) -> Change | None:
    ent = ctx.entity()
    stored = [f for f in ent.fields if f.computed is None]
    texts = [f for f in stored if f.type in TEXTUAL]
    numbers = [f for f in stored if f.type in NUMERIC]
    refs = ctx.schema.references_to(ent.name)
    options: list[tuple[Computed, str]] = []
    if texts:
        a = ctx.rng.choice(texts)
        options.append((Computed(kind=ComputedKind.LENGTH, inputs=[a.name]), f"{a.name}_length"))
    if len(texts) >= 2:
        a, b = ctx.rng.sample(texts, 2)
        comp = Computed(kind=ComputedKind.CONCAT, inputs=[a.name, b.name])
        options.append((comp, f"{a.name}_with_{b.name}"))
    if len(numbers) >= 2:
        a, b = ctx.rng.sample(numbers, 2)
        options.append(
            (Computed(kind=ComputedKind.SUM, inputs=[a.name, b.name]), f"{a.name}_plus_{b.name}")
        )
        options.append(
            (
                Computed(kind=ComputedKind.PRODUCT, inputs=[a.name, b.name]),
                f"{a.name}_times_{b.name}",
            )
        )
    if refs:
        other, via = ctx.rng.choice(refs)
        comp = Computed(kind=ComputedKind.RELATED_COUNT, entity=other.name, via=via.name)
        options.append((comp, f"{other.plural}_count"))
        options.append((comp, f"{other.plural}_by_{via.name}_count"))
    choice = ctx.pick(options)
    if choice is None:
        return None
    comp, name = choice
    if not usable(name) or ent.has_field(name):
        name = _qualified(name, {f.name for f in ent.fields}, vocab.QUALIFIERS) or ""
    if not usable(name):
        return None
    return AddComputedField(entity=ent.name, field=name, computed=comp)


PROPOSERS: dict[str, Proposer] = {
    "add_entity": propose_add_entity,
    "rename_entity": propose_rename_entity,
    "remove_entity": propose_remove_entity,
    "add_field": propose_add_field,
    "add_enum_field": propose_add_enum_field,
    "rename_field": propose_rename_field,
    "remove_field": propose_remove_field,
    "set_minimum": propose_set_minimum,
    "set_maximum": propose_set_maximum,
    "set_length_bounds": propose_set_length_bounds,
    "set_pattern": propose_set_pattern,
    "make_required": propose_make_required,
    "make_optional": propose_make_optional,
    "set_default": propose_set_default,
    "add_unique": propose_add_unique,
    "add_enum_value": propose_add_enum_value,
    "add_reference": propose_add_reference,
    "change_on_delete": propose_change_on_delete,
    "add_action": propose_add_action,
    "extend_action": propose_extend_action,
    "add_field_guard": propose_add_field_guard,
    "add_related_guard": propose_add_related_guard,
    "add_filter": propose_add_filter,
    "add_sorting": propose_add_sorting,
    "add_pagination": propose_add_pagination,
    "add_analytics": propose_add_analytics,
    "remove_analytics": propose_remove_analytics,
    "add_computed_field": propose_add_computed_field,
}
