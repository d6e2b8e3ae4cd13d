"""A flaky agent whose behaviour on turn 1 the end-to-end tests can count on."""

from __future__ import annotations

from enduro.agents.baselines.context import BaselineContext
from enduro.agents.baselines.flaky import breaks
from enduro.api.agent import Baseline
from enduro.api.generator import GeneratorSpec


def flaky_seed() -> int:
    """A seed whose flaky agent (break probability 0.5, benchmark seed 1) breaks turn 1 on
    attempt 1 and not on attempt 2."""
    generator = GeneratorSpec(seed=1, scenarios=1, turns=1)
    for seed in range(1000):
        baseline = Baseline(break_probability=0.5, seed=seed)
        first, second = (
            BaselineContext(generator, scenario=0, turn=1, attempt=a, baseline=baseline)
            for a in (1, 2)
        )
        if breaks(first) and not breaks(second):
            return seed
    raise AssertionError("no such seed in 0..999")
