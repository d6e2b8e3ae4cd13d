"""The schema IR: one REST API at one turn of a scenario.

This is the single source of truth that every renderer reads (SPEC.md, openapi.yaml,
the pytest suite, the ground-truth Flask server). The HTTP meaning of every construct
is fixed in ``docs/rest-conventions.md``; the docstrings here summarise it.

The IR is plain pydantic data: it round-trips through YAML exactly
(``Schema.from_yaml(s.to_yaml()) == s`` and ``to_yaml`` is byte-stable), and
``Schema.check()`` lists every consistency problem so a sampler can never emit an
invalid schema.
"""

from __future__ import annotations

import keyword
import re
from enum import StrEnum
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from enduro.scenarios.memo import by_identity, edited
from enduro.scenarios.yamltext import emit, scalar

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names a generated Python server or suite could trip over.
RESERVED_NAMES = frozenset(
    {"id", "health", "analytics", "sort", "limit", "offset", "self"}
) | frozenset(keyword.kwlist)

Scalar = str | int | float | bool


class Model(BaseModel):
    """Strict, immutable-by-convention IR node: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)

    def __setattr__(self, name: str, value: object) -> None:
        # Renderers remember text by node identity; an edit in place must not reuse it.
        edited()
        super().__setattr__(name, value)


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    DATE = "date"  # "YYYY-MM-DD"
    DATETIME = "datetime"  # ISO 8601 "YYYY-MM-DDTHH:MM:SS" with optional offset/Z
    EMAIL = "email"  # a string with one "@" and a dot in the domain
    REFERENCE = "reference"  # integer id of an object of `target`


class OnDelete(StrEnum):
    CASCADE = "cascade"  # deleting the target deletes the referencing objects
    RESTRICT = "restrict"  # deleting a referenced target answers 409
    SET_NULL = "set_null"  # deleting the target sets the reference to null


class ComputedKind(StrEnum):
    LENGTH = "length"  # len(inputs[0]) of a string field
    SUM = "sum"  # inputs[0] + inputs[1], numeric fields
    PRODUCT = "product"  # inputs[0] * inputs[1], numeric fields
    CONCAT = "concat"  # inputs[0] + " " + inputs[1], string fields
    RELATED_COUNT = "related_count"  # objects of `entity` whose reference `via` points here


class Computed(Model):
    """A read-only derived value, recomputed on every read; null if any input is null."""

    kind: ComputedKind
    inputs: list[str] = Field(default_factory=list)  # field names of the same entity
    entity: str | None = None  # RELATED_COUNT: the referencing entity
    via: str | None = None  # RELATED_COUNT: its reference field


class FieldSpec(Model):
    """One attribute of an entity, with its constraints.

    ``read_only`` fields (computed fields, state fields driven by actions) are never
    accepted in a request body: sending one is a 422 naming it.
    """

    name: str
    type: FieldType
    required: bool = False
    unique: bool = False
    default: Scalar | None = None
    minimum: float | None = None  # integer/number: inclusive bounds
    maximum: float | None = None
    min_length: int | None = None  # string/email: inclusive length bounds
    max_length: int | None = None
    pattern: str | None = None  # string: Python `re.fullmatch`
    choices: list[str] = Field(default_factory=list)  # enum: allowed values, in order
    target: str | None = None  # reference: the target entity name
    on_delete: OnDelete | None = None  # reference: what deleting the target does
    read_only: bool = False
    computed: Computed | None = None


class FilterOp(StrEnum):
    EQ = "eq"  # ?<field>=<value>
    GTE = "gte"  # ?<field>_min=<value>
    LTE = "lte"  # ?<field>_max=<value>
    CONTAINS = "contains"  # ?<field>_contains=<text>, case-insensitive substring


class ListFilter(Model):
    field: str
    op: FilterOp = FilterOp.EQ


class Pagination(Model):
    """``?limit=&offset=`` on the list endpoint; without ``limit`` the first page is
    ``default_limit`` objects. limit outside 1..max_limit or offset < 0 is a 422."""

    default_limit: int = Field(ge=1)
    max_limit: int = Field(ge=1)


class Listing(Model):
    """What ``GET /<plural>`` supports beyond returning every object in id order."""

    filters: list[ListFilter] = Field(default_factory=list)
    sort_fields: list[str] = Field(default_factory=list)  # ?sort=<f> or ?sort=-<f>
    pagination: Pagination | None = None


class CompareOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IS_SET = "is_set"  # not null
    IS_NULL = "is_null"


class FieldGuard(Model):
    """The object's own ``field`` must satisfy ``op value``."""

    kind: Literal["field"] = "field"
    field: str
    op: CompareOp
    value: Scalar | None = None

    @model_serializer(mode="wrap")
    def _keep_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # The discriminator must survive exclude_defaults, or YAML cannot be read back.
        return {"kind": self.kind, **handler(self)}


class RelatedGuard(Model):
    """The number of ``entity`` objects whose reference ``via`` points at this object
    (optionally only those whose ``state_field`` is in ``states``) must satisfy
    ``op count``."""

    kind: Literal["related"] = "related"
    entity: str
    via: str
    op: CompareOp
    count: int = Field(ge=0)
    state_field: str | None = None
    states: list[str] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _keep_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return {"kind": self.kind, **handler(self)}


Guard = Annotated[FieldGuard | RelatedGuard, Field(discriminator="kind")]


class Action(Model):
    """``POST /<plural>/<id>/<name>``: moves ``field`` (a read-only enum state field)
    from one of ``from_states`` to ``to_state`` when every guard holds. Wrong state or a
    failing guard answers 409; success answers 200 with the updated object."""

    name: str
    field: str
    from_states: list[str]
    to_state: str
    guards: list[Guard] = Field(default_factory=list)


class Entity(Model):
    name: str  # singular, snake_case
    plural: str  # the collection path segment
    title_field: str  # a plain string field the suite can scope its data by; never removed
    fields: list[FieldSpec]
    listing: Listing = Field(default_factory=Listing)
    actions: list[Action] = Field(default_factory=list)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"entity {self.name!r} has no field {name!r}")

    def has_field(self, name: str) -> bool:
        return any(spec.name == name for spec in self.fields)

    def writable_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.read_only]


class AggregateOp(StrEnum):
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


class Condition(Model):
    field: str
    op: CompareOp
    value: Scalar | None = None


class Analytics(Model):
    """``GET /analytics/<name>``: ``op`` over ``field`` of the ``entity`` objects that
    match ``where`` (and any ``?<field>=<value>`` equality filters in the query).
    Ungrouped: ``{"value": v}``. Grouped: ``{"groups": [{"key": k, "value": v}, ...]}``
    sorted by ``str(key)``, objects whose key is null left out."""

    name: str
    entity: str
    op: AggregateOp
    field: str | None = None  # None only for COUNT
    group_by: str | None = None
    where: list[Condition] = Field(default_factory=list)


class Schema(Model):
    """The whole API at one turn."""

    domain: str
    entities: list[Entity]
    analytics: list[Analytics] = Field(default_factory=list)

    def entity(self, name: str) -> Entity:
        for ent in self.entities:
            if ent.name == name:
                return ent
        raise KeyError(f"schema has no entity {name!r}")

    def has_entity(self, name: str) -> bool:
        return any(ent.name == name for ent in self.entities)

    def references_to(self, target: str) -> list[tuple[Entity, FieldSpec]]:
        """Every (entity, reference field) that points at ``target``."""
        return [
            (ent, f)
            for ent in self.entities
            for f in ent.fields
            if f.type is FieldType.REFERENCE and f.target == target
        ]

    def to_yaml(self) -> str:
        """Block YAML of the non-default values, byte-stable; the same text as
        ``yamltext.dump(self.model_dump(mode="json", exclude_defaults=True))``, built from
        per-entity text reused across turns (PyYAML's emitter is far too slow for
        exporting thousands of turns)."""
        parts = [f"domain: {scalar(self.domain)}\n"]
        if self.entities:
            parts.append("entities:\n")
            parts.extend(_entity_yaml(ent) for ent in self.entities)
        else:
            parts.append("entities: []\n")
        if self.analytics:
            parts.append("analytics:\n")
            parts.extend(_analytics_yaml(an) for an in self.analytics)
        return "".join(parts)

    @classmethod
    def from_yaml(cls, text: str) -> Schema:
        return cls.model_validate(yaml.safe_load(text))

    def check(self) -> list[str]:
        """Every consistency problem, as sentences naming the entity and field."""
        from enduro.scenarios.consistency import schema_problems

        return schema_problems(self)


@by_identity()
def entities_named(ent: Entity) -> tuple[str, ...]:
    """The entities ``ent`` names, sorted: its references' targets, the entities its
    computed fields count and those its actions' related guards count."""
    names = {spec.target for spec in ent.fields if spec.target is not None}
    names |= {spec.computed.entity for spec in ent.fields if spec.computed and spec.computed.entity}
    names |= {g.entity for a in ent.actions for g in a.guards if isinstance(g, RelatedGuard)}
    return tuple(sorted(names))


@by_identity()
def _entity_yaml(ent: Entity) -> str:
    """``emit([entity dump], 2)``, assembled from per-field text (most changes touch one
    field, so the other fields' text is reused)."""
    parts = [
        f"  - name: {scalar(ent.name)}\n    plural: {scalar(ent.plural)}\n",
        f"    title_field: {scalar(ent.title_field)}\n",
    ]
    if ent.fields:
        parts.append("    fields:\n")
        parts.extend(_field_yaml(spec) for spec in ent.fields)
    else:
        parts.append("    fields: []\n")
    if ent.listing != Listing():
        parts.append(_listing_yaml(ent.listing))
    if ent.actions:
        parts.append("    actions:\n")
        parts.extend(_action_yaml(action) for action in ent.actions)
    return "".join(parts)


@by_identity()
def _listing_yaml(listing: Listing) -> str:
    return emit({"listing": listing.model_dump(mode="json", exclude_defaults=True)}, 4)


@by_identity()
def _action_yaml(action: Action) -> str:
    return emit([action.model_dump(mode="json", exclude_defaults=True)], 6)


@by_identity()
def _field_yaml(spec: FieldSpec) -> str:
    return emit([spec.model_dump(mode="json", exclude_defaults=True)], 6)


@by_identity()
def _analytics_yaml(an: Analytics) -> str:
    return emit([an.model_dump(mode="json", exclude_defaults=True)], 2)
