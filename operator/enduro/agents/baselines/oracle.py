"""The oracle baseline: writes the turn's ground-truth server into the workspace, or, on
an explicit scenario, applies the turn's `referenceOutput` in its working directory."""

from __future__ import annotations

import sys
from pathlib import Path

from enduro.agents.baselines.context import BaselineContext, ground_truth, read_context
from enduro.artifacts import write_tree
from enduro.sandbox.policy import Isolation


def main() -> None:
    ctx = read_context()
    if ctx.definition is not None:
        sys.exit(_apply_reference(ctx))
    files = ground_truth(ctx)
    write_tree(Path.cwd(), files)
    print(f"oracle: wrote {', '.join(sorted(files))} for turn {ctx.turn}")


def _apply_reference(ctx: BaselineContext) -> int:
    """Apply the turn's reference output (the scenario's own solution). A turn without
    one is left as the earlier turns' solutions made it; a reference that does not
    apply is the agent's failure (exit 1), with the reason."""
    from enduro.scoring.reference import ReferenceError, apply_reference

    assert ctx.definition is not None
    spec = ctx.definition.spec
    reference = spec.turn(ctx.turn).reference_output
    if reference is None:
        print(f"oracle: scenario {ctx.definition.name} has no referenceOutput for turn {ctx.turn}")
        return 0
    workdir = Path.cwd() / spec.environment.working_dir
    try:
        apply_reference(reference, workdir, confined=ctx.isolation is Isolation.BWRAP)
    except ReferenceError as exc:
        print(f"oracle: {exc}")
        return 1
    print(f"oracle: applied the reference output of turn {ctx.turn}")
    return 0


if __name__ == "__main__":
    main()
