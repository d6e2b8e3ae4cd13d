"""The flaky baseline: the oracle, breaking one route with probability p per attempt.

The coin and the route are drawn from (seed, scenario, turn, attempt), so a run is
reproducible and a retry of the same turn flips a fresh coin.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from enduro.agents.baselines.context import BaselineContext, ground_truth, read_context
from enduro.artifacts import write_tree
from enduro.engine.catalogue import FLAKY_GENERATED_ONLY

ROUTE = re.compile(r"""@app\.(?:route|get|post|patch|delete)\(\s*["']([^"']+)["']""")
APP_LINE = "app = Flask(__name__)\n"


def break_route(app_py: str, rng: random.Random) -> tuple[str, str]:
    """``app_py`` with one route (never ``/health``) answering 500, and that route."""
    routes = sorted({r for r in ROUTE.findall(app_py) if r != "/health"})
    if not routes or APP_LINE not in app_py:
        raise ValueError("the ground-truth server has no route the flaky agent can break")
    route = rng.choice(routes)
    hook = (
        f"{APP_LINE}\n\n@app.before_request\n"
        "def _flaky_break():\n"
        f"    if request.url_rule is not None and request.url_rule.rule == {route!r}:\n"
        "        return {'error': 'broken by the flaky agent'}, 500\n"
        "    return None\n"
    )
    return app_py.replace(APP_LINE, hook, 1), route


def draw(ctx: BaselineContext) -> random.Random:
    """The attempt's random stream; its first number is the coin."""
    assert ctx.generator is not None
    key = f"{ctx.baseline.seed}:{ctx.generator.seed}:{ctx.scenario}:{ctx.turn}:{ctx.attempt}"
    return random.Random(key)


def breaks(ctx: BaselineContext) -> bool:
    return draw(ctx).random() < ctx.baseline.break_probability


def main() -> None:
    ctx = read_context()
    if ctx.generator is None:  # runs refuse it before they start: `enduro.engine.catalogue`
        sys.exit(f"flaky: {FLAKY_GENERATED_ONLY}")
    files = ground_truth(ctx)
    rng = draw(ctx)
    if rng.random() < ctx.baseline.break_probability:
        files["app.py"], route = break_route(files["app.py"], rng)
        print(f"flaky: broke {route} on turn {ctx.turn} attempt {ctx.attempt}")
    else:
        print(f"flaky: wrote the ground truth for turn {ctx.turn} attempt {ctx.attempt}")
    write_tree(Path.cwd(), files)


if __name__ == "__main__":
    main()
