"""`enduro dev cluster`: a playground Kubernetes on this machine, for users with no cluster.

The emulated API server, kubelet and the operator live in the repository's test support
code (`tests/cluster/`), which is not part of the installed package: this command runs
from a source checkout with the dev dependencies (`uv sync`), and says so otherwise.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import enduro


class DevClusterError(RuntimeError):
    """The emulated cluster cannot be started from this installation."""


def find_test_support(start: Path | None = None) -> Path:
    """The `tests/` folder holding `cluster/` (the emulator), from the package or the cwd."""
    here = Path(enduro.__file__).resolve().parent
    cwd = start or Path.cwd()
    candidates = [here.parents[1], cwd, *cwd.parents]
    for root in candidates:
        if (root / "tests" / "cluster" / "emulator.py").is_file():
            return root / "tests"
    raise DevClusterError(
        "the emulated cluster lives in tests/cluster/ of Enduro's source checkout: run "
        "`uv sync && uv run enduro dev cluster` from a clone of the repository"
    )


def load_playground(tests: Path) -> Any:
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    try:
        return importlib.import_module("cluster.playground")
    except ImportError as error:
        raise DevClusterError(
            f"cannot import the emulated cluster ({error}); install the dev dependencies "
            "with `uv sync`"
        ) from error


def run(workdir: Path, port: int | None) -> None:
    """Serve the playground until Ctrl-C; the kubeconfig is written to workdir/kubeconfig."""
    playground = load_playground(find_test_support())
    playground.serve(workdir.resolve(), port=port)
