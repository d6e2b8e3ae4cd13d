"""The baselines' harnesses: each launches its baseline as ``python -m`` in the agent
step (or that module in a fork of the step, ``enduro.agents.warmstart``), with the step
context in ``ENDURO_CONTEXT``. Kept apart from the package so a
baseline's own process imports none of the harness machinery."""

from __future__ import annotations

import sys
from typing import ClassVar

from enduro.agents.baselines import CONTEXT_ENV
from enduro.agents.harness import AgentRun, Harness, Invocation
from enduro.agents.registry import register


class _Baseline(Harness):
    module: ClassVar[str]

    def command(self, run: AgentRun) -> Invocation:
        module = f"enduro.agents.baselines.{self.module}"
        return Invocation(
            # -P: the workspace (its working directory) is not put on sys.path, where a
            # repository's `yaml/` or `enum.py` would shadow what the baseline imports.
            argv=[sys.executable, "-P", "-m", module],
            env={CONTEXT_ENV: run.context_json},
            warm_module=module,  # trusted: run in a fork of the warm step where it can
        )


@register
class OracleHarness(_Baseline):
    name = "oracle"
    module = "oracle"


@register
class NullHarness(_Baseline):
    name = "null"
    module = "null"


@register
class FlakyHarness(_Baseline):
    name = "flaky"
    module = "flaky"
