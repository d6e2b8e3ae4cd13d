"""Samplers: where a scenario's initial schema and its change requests come from.

The action space is the typed change catalogue (``enduro.scenarios.changes``): a sampler
only *proposes* changes; the catalogue decides whether they apply (``precondition``) and
what they do (``apply``), and ``Schema.check()`` guards the result. So any sampler,
however creative, can only produce consistent, implementable, testable schemas.

``WeightedSampler`` is the deterministic built-in: per-kind weights, a seeded
``random.Random`` and the domain vocabulary (``enduro.scenarios.vocabulary``).

A model-backed sampler (``enduro.scenarios.bedrock_sampler.BedrockSampler``) overrides
``refine``: the kind is still drawn here, exactly as the weighted sampler draws it, and
the model only fills the details; an unusable answer falls back to the programmatic
candidate. Its output cannot be regenerated, so it is stored (docs/scenario-layout.md).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Protocol

from enduro.scenarios import turn_rules
from enduro.scenarios import vocabulary as vocab
from enduro.scenarios.changes import CHANGE_KINDS, Change, ChangeNotApplicableError
from enduro.scenarios.proposals import (
    PROPOSERS,
    Context,
    build_entity,
    domain_for,
    reference_spec,
)
from enduro.scenarios.schema import Action, Entity, FieldSpec, FieldType, Schema


class Sampler(Protocol):
    def initial_schema(self, rng: random.Random, domain: str) -> Schema:
        """A consistent starting API of 2-4 entities flavoured by ``domain``."""
        ...

    def propose_changes(self, schema: Schema, rng: random.Random, count: int) -> list[Change]:
        """``count`` changes that apply one after the other to ``schema`` and leave it
        consistent."""
        ...


class SamplerExhaustedError(RuntimeError):
    """No applicable change was found within the attempt budget."""


DEFAULT_WEIGHTS: Mapping[str, float] = {
    "add_entity": 1.2,
    "rename_entity": 1,
    "remove_entity": 1.5,
    "add_field": 5,
    "add_enum_field": 2,
    "rename_field": 3,
    "remove_field": 3,
    "set_minimum": 3,
    "set_maximum": 3,
    "set_length_bounds": 3,
    "set_pattern": 2,
    "make_required": 3,
    "make_optional": 2,
    "set_default": 3,
    "add_unique": 2,
    "add_enum_value": 2,
    "add_reference": 2,
    "change_on_delete": 2,
    "add_action": 3,
    "extend_action": 3,
    "add_field_guard": 3,
    "add_related_guard": 2,
    "add_filter": 4,
    "add_sorting": 3,
    "add_pagination": 2,
    "add_analytics": 4,
    "remove_analytics": 1,
    "add_computed_field": 2,
}


class WeightedSampler:
    """Picks a change kind by weight, asks that kind's proposer for a candidate, and
    keeps it when it applies cleanly; repeats until it has ``count`` changes."""

    def __init__(
        self, weights: Mapping[str, float] | None = None, attempts_per_change: int = 200
    ) -> None:
        chosen = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = sorted(set(chosen) - set(CHANGE_KINDS))
        if unknown:
            raise ValueError(f"unknown change kinds in weights: {', '.join(unknown)}")
        if any(w < 0 for w in chosen.values()) or not any(w > 0 for w in chosen.values()):
            raise ValueError("weights must be >= 0 with at least one positive weight")
        # Fixed catalogue order, so the draw sequence never depends on dict order.
        self.kinds = [k for k in CHANGE_KINDS if chosen.get(k, 0) > 0]
        self.weights = [chosen[k] for k in self.kinds]
        self.attempts_per_change = attempts_per_change

    def initial_schema(self, rng: random.Random, domain: str) -> Schema:
        dom = vocab.domain(domain)
        count = rng.randint(2, min(4, len(dom.entities)))
        words = rng.sample(dom.entities, count)
        schema = Schema(domain=domain, entities=[])
        ctx = Context(schema, rng, dom)
        entities: list[Entity] = []
        for index, word in enumerate(words):
            ent = build_entity(ctx, word, rng.randint(2, 4))
            if index > 0 and rng.random() < 0.7:
                ref = reference_spec(ctx, ent, rng.choice(entities))
                if ref is not None:
                    ent = ent.model_copy(update={"fields": [*ent.fields, ref]})
            entities.append(ent)
        if rng.random() < 0.5:
            flow = rng.choice(dom.workflows)
            index = rng.randrange(len(entities))
            entities[index] = _with_workflow(entities[index], flow)
        schema = Schema(domain=domain, entities=entities)
        problems = schema.check()
        if problems:
            raise AssertionError(f"initial schema for {domain} is inconsistent: {problems}")
        return schema

    def propose_changes(self, schema: Schema, rng: random.Random, count: int) -> list[Change]:
        changes, _ = self.propose_and_apply(schema, rng, count)
        return changes

    def propose_and_apply(
        self, schema: Schema, rng: random.Random, count: int
    ) -> tuple[list[Change], Schema]:
        """Like ``propose_changes``, also returning the schema after the changes (the
        generator uses it to avoid applying every change twice)."""
        # Checking the whole schema once per batch is ~count times cheaper than after
        # every change; if the batch fails, the same draws are replayed with a check per
        # change, so the outcome is still a pure function of (schema, rng state).
        state = rng.getstate()
        changes, result = self._draw(schema, rng, count, check_each=False)
        if not result.check():
            return changes, result
        rng.setstate(state)
        return self._draw(schema, rng, count, check_each=True)

    def refine(self, kind: str, schema: Schema, candidate: Change) -> Change:
        """The change to keep for a drawn ``kind`` whose programmatic ``candidate`` applies
        to ``schema``: the candidate itself here; a model-backed sampler
        (``enduro.scenarios.bedrock_sampler``) asks its model for the details instead."""
        return candidate

    def _draw(
        self, schema: Schema, rng: random.Random, count: int, *, check_each: bool
    ) -> tuple[list[Change], Schema]:
        dom = domain_for(schema)
        changes: list[Change] = []
        current = schema
        budget = self.attempts_per_change * count
        while len(changes) < count:
            if budget <= 0:
                raise SamplerExhaustedError(
                    f"found only {len(changes)} of {count} applicable changes"
                )
            budget -= 1
            kind = rng.choices(self.kinds, weights=self.weights)[0]
            change = PROPOSERS[kind](Context(current, rng, dom))
            if change is None or change.precondition(current) is not None:
                continue
            if not turn_rules.fits(changes, change):
                continue
            refined = self.refine(kind, current, change)
            if turn_rules.fits(changes, refined):  # else keep the programmatic choice
                change = refined
            try:
                current = change.apply(current, check=check_each)
            except ChangeNotApplicableError:
                continue
            changes.append(change)
        return changes, current


def _with_workflow(ent: Entity, flow: vocab.Workflow) -> Entity:
    if ent.has_field(flow.field):
        return ent
    state = FieldSpec(
        name=flow.field,
        type=FieldType.ENUM,
        choices=list(flow.states),
        default=flow.states[0],
        read_only=True,
    )
    actions = [
        Action(
            name=verb, field=flow.field, from_states=[flow.states[i]], to_state=flow.states[i + 1]
        )
        for i, verb in enumerate(flow.verbs)
    ]
    return ent.model_copy(update={"fields": [*ent.fields, state], "actions": actions})


SAMPLERS: Mapping[str, type[WeightedSampler]] = {"weighted": WeightedSampler}
