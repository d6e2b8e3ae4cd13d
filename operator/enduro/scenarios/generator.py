"""The iterative-REST scenario generator: (spec, scenario, turn) -> one turn's schema
and change requests, deterministically.

Turn 1 is the sampler's initial schema (no changes: CHANGES.md asks for the initial
API). Turn t > 1 is turn t - 1 plus ``changes_per_turn`` changes. Each scenario draws
from its own ``random.Random`` seeded by a SHA-256 digest of (seed, scenario), so the
output is byte-identical across processes, machines and ``PYTHONHASHSEED`` values,
and a scenario's first turns do not depend on how many turns are asked for.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from enduro.api.generator import GeneratorSpec
from enduro.scenarios import vocabulary as vocab
from enduro.scenarios.changes import Change
from enduro.scenarios.sampler import SAMPLERS, WeightedSampler
from enduro.scenarios.schema import Schema

if TYPE_CHECKING:
    from enduro.scenarios.store import ScenarioSet

# Bumped whenever the same spec would generate different output (catalogue, sampler,
# vocabulary or REST-convention changes); recorded in every exported set's manifest.
GENERATOR_VERSION = "3"  # 2: #16 suite fidelity; 3: the suites carry their own HTTP client (#17)


class ScenarioTurn(BaseModel):
    """One turn of one scenario: the API to build and how it differs from the last.

    The field is ``schema`` on the wire and as a property; it is stored as ``schema_``
    because ``BaseModel.schema`` is taken.
    """

    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    scenario: int  # 0-based
    turn: int  # 1-based
    domain: str
    schema_: Schema = Field(alias="schema")
    previous: Schema | None = None
    changes: list[Change] = Field(default_factory=list)

    @property
    def schema(self) -> Schema:  # type: ignore[override]
        return self.schema_


def scenario_seed(seed: int, scenario: int) -> int:
    """A 64-bit seed for one scenario, stable everywhere (never Python's ``hash``)."""
    digest = hashlib.sha256(f"enduro/iterative-rest/{seed}/{scenario}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class _Stream:
    """The turns of one scenario generated so far, extended on demand."""

    def __init__(
        self, seed: int, scenario: int, changes_per_turn: int, sampler: str | WeightedSampler
    ) -> None:
        self.rng = random.Random(scenario_seed(seed, scenario))
        self.sampler = _sampler(sampler) if isinstance(sampler, str) else sampler
        self.scenario = scenario
        self.changes_per_turn = changes_per_turn
        self.domain = self.rng.choice(vocab.DOMAIN_NAMES)
        first = self.sampler.initial_schema(self.rng, self.domain)
        self.turns = [ScenarioTurn(scenario=scenario, turn=1, domain=self.domain, schema_=first)]
        self.lock = threading.Lock()

    def upto(self, turn: int) -> list[ScenarioTurn]:
        with self.lock:
            while len(self.turns) < turn:
                last = self.turns[-1]
                changes, schema = self.sampler.propose_and_apply(
                    last.schema, self.rng, self.changes_per_turn
                )
                self.turns.append(
                    ScenarioTurn(
                        scenario=self.scenario,
                        turn=last.turn + 1,
                        domain=self.domain,
                        schema_=schema,
                        previous=last.schema,
                        changes=changes,
                    )
                )
            return self.turns[:turn]


def _sampler(name: str) -> WeightedSampler:
    if name not in SAMPLERS:
        raise ValueError(
            f"sampler {name!r} cannot regenerate a set: load the stored set instead "
            "(Benchmark.spec.source, `enduro generate --sampler {name} --out ...`)"
        )
    return SAMPLERS[name]()


def generate_with(
    spec: GeneratorSpec, scenario: int, sampler: WeightedSampler
) -> list[ScenarioTurn]:
    """Every turn of one scenario drawn by ``sampler`` (not memoised): the same seeds
    and draws as ``generate_scenario``, with another sampler's details."""
    return _Stream(spec.seed, scenario, spec.changes_per_turn, sampler).upto(spec.turns)


_STREAMS: OrderedDict[tuple[int, int, int, str], _Stream] = OrderedDict()
_STREAMS_LOCK = threading.Lock()
_MAX_STREAMS = 64


def _stream(spec: GeneratorSpec, scenario: int) -> _Stream:
    if not 0 <= scenario < spec.scenarios:
        raise ValueError(f"scenario {scenario} is out of range: the set has {spec.scenarios}")
    key = (spec.seed, scenario, spec.changes_per_turn, spec.sampler)
    with _STREAMS_LOCK:
        stream = _STREAMS.get(key)
        if stream is None:
            stream = _Stream(*key)
            _STREAMS[key] = stream
            while len(_STREAMS) > _MAX_STREAMS:
                _STREAMS.popitem(last=False)
        _STREAMS.move_to_end(key)
        return stream


def generate_scenario(spec: GeneratorSpec, scenario: int) -> list[ScenarioTurn]:
    """Every turn of one scenario, turn 1 first. Treat the result as read-only: turns
    are memoised and share unchanged schema nodes."""
    return _stream(spec, scenario).upto(spec.turns)


def scenario_turn(spec: GeneratorSpec, scenario: int, turn: int) -> ScenarioTurn:
    """One turn (1-based); cheap when called again for the same scenario. Read from the
    stored set named by ``ENDURO_SCENARIO_SET`` when it holds ``spec``'s scenarios."""
    if not 1 <= turn <= spec.turns:
        raise ValueError(f"turn {turn} is out of range: scenarios have turns 1..{spec.turns}")
    stored = _stored_set(spec)
    if stored is not None:
        return stored.turn(scenario, turn)
    return _stream(spec, scenario).upto(turn)[turn - 1]


SCENARIO_SET_ENV = "ENDURO_SCENARIO_SET"
"""A verified local copy of a stored set (``Benchmark.spec.source``), set by the runtime."""
_STORED: dict[str, ScenarioSet] = {}


def _stored_set(spec: GeneratorSpec) -> ScenarioSet | None:
    path = os.environ.get(SCENARIO_SET_ENV)
    if not path:
        return None
    from enduro.scenarios.store import load_set

    with _STREAMS_LOCK:
        loaded = _STORED.get(path)
        if loaded is None:
            # Fetched and checked file by file before any step: a step checks the
            # packs, and each file it reads.
            loaded = _STORED[path] = load_set(Path(path), every_file=False)
    return loaded if loaded.spec == spec else None
