"""Baseline agents: real programs launched through the same harness as any CLI agent
(as a fork of the warm agent step where it can, ``enduro.agents.warmstart``).

* ``oracle`` writes the turn's ground-truth server: it must score 1.0 everywhere.
* ``null`` changes nothing: it scores 0 and has stamina 0.
* ``flaky`` is the oracle, but with probability ``baseline.breakProbability`` it breaks
  one randomly chosen route, seeded by (seed, scenario, turn, attempt) so a retry can
  succeed: it exercises feedback and retries.

They are the only agents that read the step context (``ENDURO_CONTEXT``): they stand in
for an agent that knows the answer.
"""

CONTEXT_ENV = "ENDURO_CONTEXT"
