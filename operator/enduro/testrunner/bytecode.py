"""Reuse pytest's assert-rewritten bytecode of unchanged suite modules across turns.

Collecting a suite is mostly pytest rewriting the asserts of every module and compiling
the result, and from one turn to the next most modules of a suite are unchanged. pytest
caches the rewritten code of ``m.py`` in ``__pycache__/m.<tag>.pyc`` and uses it only
when the hash stamped in it is the source's, fixing the file name on load. So the
runner keeps every such file in a store keyed by the SHA-256 of its source, under the
artifact root (trusted: only trusted steps write it), puts the stored file of each
unchanged module in place before the run and stores the new ones after. The agent
step's sidecar fills the store with the turn's new modules beforehand (``prepare``,
``enduro.testrunner.warmup``). A file pytest does not accept (another version) is
rewritten as before: only the time changes.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
from _pytest.assertion.rewrite import _write_pyc_fp, rewrite_asserts

PYC_TAIL = f".{sys.implementation.cache_tag}-pytest-{pytest.__version__}.pyc"
CACHE_DIR = "__pycache__"


def _pyc(source: Path) -> Path:
    return source.parent / CACHE_DIR / (source.stem + PYC_TAIL)


def _key(source: bytes) -> str:
    """The store's name for the bytecode of a module with this source."""
    return hashlib.sha256(source).hexdigest() + PYC_TAIL


REWRITTEN = ("conftest.py", "test_*.py", "*_test.py")  # what pytest's import hook rewrites


def prepare(suite_dir: Path, store: Path) -> list[str]:
    """Rewrite and compile, as pytest's import hook does on import, every module of
    ``suite_dir`` whose bytecode the store does not hold yet, into the store (nothing
    of the suite runs); the names of the modules rewritten."""
    store.mkdir(parents=True, exist_ok=True)
    rewritten = []
    for source in sorted(suite_dir.rglob("*.py")):
        if not any(fnmatch(source.name, pattern) for pattern in REWRITTEN):
            continue
        data = source.read_bytes()
        stored = store / _key(data)
        if stored.exists():
            continue
        tree = ast.parse(data, filename=str(source))
        rewrite_asserts(tree, data, str(source))
        code = compile(tree, str(source), "exec", dont_inherit=True)
        partial = stored.with_name(f".{stored.name}.{os.getpid()}")
        with partial.open("wb") as out:
            _write_pyc_fp(out, importlib.util.source_hash(data), code)
        partial.replace(stored)
        rewritten.append(str(source.relative_to(suite_dir)))
    return rewritten


def restore(suite_dir: Path, store: Path) -> None:
    """Put the stored bytecode of every module of ``suite_dir`` that has some in place."""
    for source in suite_dir.rglob("*.py"):
        stored = store / _key(source.read_bytes())
        target = _pyc(source)
        if stored.is_file() and not target.exists():
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(stored, target)


def keep(suite_dir: Path, store: Path) -> None:
    """Store the bytecode pytest wrote for the modules of ``suite_dir``, and only theirs:
    the next turn's unchanged modules are this turn's, so the store stays one suite's
    size."""
    store.mkdir(parents=True, exist_ok=True)
    kept = set()
    for source in suite_dir.rglob("*.py"):
        written = _pyc(source)
        stored = store / _key(source.read_bytes())
        if written.is_file() and not stored.exists():
            partial = stored.with_name(f".{stored.name}.{os.getpid()}")
            shutil.copyfile(written, partial)
            partial.replace(stored)
        kept.add(stored.name)
    for old in store.iterdir():
        if old.name not in kept and not old.name.startswith("."):
            old.unlink(missing_ok=True)


@contextlib.contextmanager
def writing_bytecode() -> Iterator[None]:
    """Let pytest write its rewritten bytecode (``PYTHONDONTWRITEBYTECODE`` may forbid it)."""
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        yield
    finally:
        sys.dont_write_bytecode = previous
