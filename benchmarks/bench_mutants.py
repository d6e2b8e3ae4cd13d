"""Mutation benchmark: how many single-behaviour changes of a ground-truth server does
the turn's own suite catch?

For each chosen seed and turn it renders the ground truth (``app.py``) and the suite,
runs the ground truth once under ``sys.settrace`` to learn which lines the suite
executes, then derives mutants from the source's AST and runs the suite against each,
two at a time in forked workers (the validator's machinery: ``validate.run_forked`` and
``validate.check``, ground truth compiled as ``python app.py`` compiles it). A mutant is
killed when a test fails or the server does not start. Survivors on lines the suite
never executes are counted apart: no black-box suite can see them.

Mutation kinds:
  compare    a comparison operator swapped (< <=, > >=, == !=, in / not in, is / is not)
  boolop     ``and`` <-> ``or``
  constant   an integer constant + 1, a boolean flipped
  status     an HTTP status code replaced by a neighbouring one
  guard      an ``if`` whose body raises removed (a validation or a 409/404 check)
  statement  an assignment or call statement inside a function removed
  default    a default changed: a parameter default or ``.get(key, default)``

Survivors on executed lines, and why they remain (the reason the target is 95%, not
100%). The ground-truth prelude is generic (the same helpers for every schema), so a
line can run while the schema never feeds it the input that would show a change:
  * ``holds``: ``value is None or other is None`` -> ``and`` only shows when a null
    reaches an ordering guard or condition; the suite sends one whenever an ordering
    guard or condition reads an optional field, and a schema without one cannot tell.
  * ``delete_*``: dropping the ``raise`` of a restrict check is invisible when no
    reference of the schema is ``restrict`` (every blocker answers None).
  * ``sort_items``: ``text[1:]`` -> ``text[2:]`` is invisible when no field is sortable
    (every ``?sort=`` is 422 either way).
  * ``read_body``: ``get_data(as_text=True)`` -> ``False`` is equivalent (``json.loads``
    reads bytes too); so is dropping ``super().__init__(message)`` in ``ApiError``
    (the answer is built from ``error.message``).
  * An analytics equality filter on a read-only state field is invisible when every
    scoped row is in the same state.
Equivalent code the ground truth used to carry was removed instead of explained: an
enum's type check (its choice check rejects every non-string), the explicit null check
of required fields (their type check rejects null), a uniqueness check called for
entities without unique fields, and ``description or name`` in error messages. Every
survivor on an executed line is printed with its line, so a new one is easy to judge.

    uv run python benchmarks/bench_mutants.py                  # quick: sampled subset
    uv run python benchmarks/bench_mutants.py --seeds 0 1 --turns 5 20 40 --sample 40
    uv run python benchmarks/bench_mutants.py --all            # every mutant (long)
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.validate import (
    SuiteRun,
    check,
    load_app,
    run_forked,
    run_pytest,
    serve_keep_alive,
    write_files,
)

KINDS = ("compare", "boolop", "constant", "status", "guard", "statement", "default")
SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
STATUS = {200: 201, 201: 200, 204: 200, 400: 422, 404: 400, 409: 422, 422: 400}


@dataclass(frozen=True)
class Mutation:
    kind: str
    node: int  # index of the node in ``ast.walk`` order of the original tree
    slot: str  # what to change at that node (a list field and position, or "")
    first: int  # original source lines the mutated node spans
    last: int
    text: str  # a short description


# --------------------------------------------------------------------------- mutants


def _in_function(parents: dict[int, ast.AST], node: ast.AST) -> bool:
    current = parents.get(id(node))
    while current is not None:
        if isinstance(current, ast.FunctionDef):
            return True
        current = parents.get(id(current))
    return False


def _is_get_with_default(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and len(node.args) == 2
    )


def mutations(tree: ast.Module) -> list[Mutation]:
    """Every mutation the kinds above derive from one module, in source order."""
    parents: dict[int, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    found: list[Mutation] = []
    for index, node in enumerate(ast.walk(tree)):
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line

        def add(kind: str, text: str, slot: str = "", first: int = line, last: int = end) -> None:
            found.append(Mutation(kind, index, slot, first, last, text))  # noqa: B023

        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
            add("compare", f"{type(node.ops[0]).__name__} swapped")
        elif isinstance(node, ast.BoolOp):
            add("boolop", f"{type(node.op).__name__} swapped")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            add("constant", f"{node.value} flipped")
        elif isinstance(node, ast.Constant) and isinstance(node.value, int):
            if node.value in STATUS:
                add("status", f"{node.value} -> {STATUS[node.value]}")
            else:
                add("constant", f"{node.value} -> {node.value + 1}")
        elif _is_get_with_default(node):
            add("default", "dict.get default changed")
        if isinstance(node, ast.FunctionDef) and node.args.defaults:
            for position, _ in enumerate(node.args.defaults):
                add("default", f"default {position} of {node.name}()", f"defaults:{position}")
        inside = isinstance(node, ast.FunctionDef) or _in_function(parents, node)
        for field in ("body", "orelse"):
            statements = getattr(node, field, None)
            if not inside or not isinstance(statements, list):
                continue
            for position, stmt in enumerate(statements):
                first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
                slot = f"{field}:{position}"
                if (
                    isinstance(stmt, ast.If)
                    and not stmt.orelse
                    and any(isinstance(s, ast.Raise) for s in stmt.body)
                ):
                    add("guard", "raising if removed", slot, first, last)
                elif isinstance(stmt, ast.Assign | ast.AugAssign) or (
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                ):
                    add("statement", f"{type(stmt).__name__} removed", slot, first, last)
    return found


def apply(tree: ast.Module, mutation: Mutation) -> str:
    """The source of ``tree`` with one mutation applied (the tree is not changed)."""
    mutated = copy.deepcopy(tree)
    node: Any = list(ast.walk(mutated))[mutation.node]
    kind = mutation.kind
    if kind == "compare":
        node.ops = [SWAPS[type(node.ops[0])]()]
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "constant" and isinstance(node.value, bool):
        node.value = not node.value
    elif kind == "constant":
        node.value = node.value + 1
    elif kind == "status":
        node.value = STATUS[node.value]
    elif kind == "default" and mutation.slot.startswith("defaults:"):
        index = int(mutation.slot.split(":")[1])
        node.args.defaults[index] = _other_default(node.args.defaults[index])
    elif kind == "default":
        node.args[1] = _other_default(node.args[1])
    else:  # guard, statement: the statement goes, ``pass`` keeps the block valid
        field, position = mutation.slot.split(":")
        getattr(node, field)[int(position)] = ast.Pass()
    return ast.unparse(ast.fix_missing_locations(mutated))


def _other_default(old: ast.expr) -> ast.Constant:
    """``None`` becomes ``0``; anything else becomes ``None``."""
    return ast.Constant(0 if isinstance(old, ast.Constant) and old.value is None else None)


# --------------------------------------------------------------------------- coverage


def executed_lines(source: str, suite: dict[str, str], workdir: Path) -> set[int]:
    """Lines of ``app.py`` the suite makes the ground truth execute (call in a fork)."""
    write_files(workdir, suite)
    path = str(workdir / "server" / "app.py")
    out = workdir / "lines.json"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        lines: set[int] = set()

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                lines.add(frame.f_lineno)
            return local

        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            if frame.f_code.co_filename != path:
                return None
            lines.add(frame.f_lineno)
            return local

        def dump(signum: int, frame: object) -> None:
            out.write_text(json.dumps(sorted(lines)))
            os._exit(0)

        signal.signal(signal.SIGTERM, dump)
        sys.settrace(tracer)
        threading.settrace(tracer)
        server = serve_keep_alive(load_app(source, path))
        os.write(write_end, str(server.server_address[1]).encode())
        server.serve_forever()
        os._exit(1)
    os.close(write_end)
    port = os.read(read_end, 32).decode()
    run = run_pytest(workdir, f"http://127.0.0.1:{port}")
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    if run.passed != run.tests:
        raise RuntimeError(f"the ground truth fails its own suite: {run.failures[:2]}")
    return set(json.loads(out.read_text()))


# --------------------------------------------------------------------------- runs


@dataclass
class Turn:
    seed: int
    turn: int
    source: str
    suite: dict[str, str]
    tree: ast.Module
    lines: set[int]


@dataclass
class Outcome:
    seed: int
    turn: int
    mutation: Mutation
    executed: bool
    killed: bool


def load_turns(seeds: list[int], turns: list[int], scratch: Path) -> list[Turn]:
    loaded: list[Turn] = []
    jobs: list[tuple[int, Callable[[], SuiteRun]]] = []
    for seed in seeds:
        spec = GeneratorSpec(seed=seed, scenarios=1, turns=max(turns))
        scenario = generate_scenario(spec, 0)
        for number in turns:
            pair = scenario[number - 1]
            source = render_server(pair.schema)["app.py"]
            turn = Turn(seed, number, source, render_suite(pair), ast.parse(source), set())
            loaded.append(turn)
    files = [scratch / f"lines-{index}" for index in range(len(loaded))]

    def job(index: int) -> Callable[[], SuiteRun]:
        def run() -> SuiteRun:
            turn = loaded[index]
            lines = executed_lines(turn.source, turn.suite, files[index])
            (scratch / f"lines-{index}.json").write_text(json.dumps(sorted(lines)))
            return SuiteRun(turn=index, tests=1, passed=1)

        return run

    jobs = [(index, job(index)) for index in range(len(loaded))]
    for run in run_forked(jobs):
        if run.error is not None:
            raise RuntimeError(f"coverage run failed: {run.error}")
    for index, turn in enumerate(loaded):
        turn.lines = set(json.loads((scratch / f"lines-{index}.json").read_text()))
    return loaded


def choose(found: list[Mutation], sample: int | None, rng: random.Random) -> list[Mutation]:
    """Every mutation, or ``sample`` of them spread over the kinds."""
    if sample is None or len(found) <= sample:
        return found
    by_kind: dict[str, list[Mutation]] = defaultdict(list)
    for mutation in found:
        by_kind[mutation.kind].append(mutation)
    chosen: list[Mutation] = []
    kinds = [k for k in KINDS if by_kind[k]]
    share = max(1, sample // len(kinds))
    for kind in kinds:
        pool = by_kind[kind]
        chosen += rng.sample(pool, min(share, len(pool)))
    return sorted(chosen, key=lambda m: (m.first, m.node, m.slot))


def run_mutants(
    turns: list[Turn], sample: int | None, executed_only: bool, scratch: Path, workers: int
) -> list[Outcome]:
    cases: list[tuple[Turn, Mutation, bool]] = []
    rng = random.Random(16)
    for turn in turns:
        found = mutations(turn.tree)
        if executed_only:
            found = [m for m in found if _executed(turn, m)]
        for mutation in choose(found, sample, rng):
            cases.append((turn, mutation, _executed(turn, mutation)))

    def job(index: int) -> Callable[[], SuiteRun]:
        def run() -> SuiteRun:
            turn, mutation, _ = cases[index]
            _quiet()  # a broken server logs its tracebacks to stderr
            return check(apply(turn.tree, mutation), turn.suite, scratch / f"mutant-{index}")

        return run

    runs = run_forked([(index, job(index)) for index in range(len(cases))], workers)
    return [
        Outcome(turn.seed, turn.turn, mutation, executed, run.error is not None or not run.ok)
        for (turn, mutation, executed), run in zip(cases, runs, strict=True)
    ]


def _quiet() -> None:
    """Sends this process's (and its children's) stderr to /dev/null."""
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 2)
    os.close(sink)


def _executed(turn: Turn, mutation: Mutation) -> bool:
    return any(line in turn.lines for line in range(mutation.first, mutation.last + 1))


def report(outcomes: list[Outcome], unexecuted: Counter[str]) -> Iterator[str]:
    """Per kind: mutants run on executed lines, killed, the kill ratio; and (not run
    unless asked) how many mutants of every turn sit on lines the suite never executes."""
    yield f"{'kind':<10} {'run':>5} {'killed':>6} {'ratio':>7}   {'on unexecuted lines':>19}"
    total: Counter[str] = Counter()
    for kind in KINDS:
        executed = [o for o in outcomes if o.mutation.kind == kind and o.executed]
        killed = sum(o.killed for o in executed)
        ratio = f"{killed / len(executed):.1%}" if executed else "-"
        total.update(run=len(executed), killed=killed)
        yield f"{kind:<10} {len(executed):>5} {killed:>6} {ratio:>7}   {unexecuted[kind]:>19}"
    ratio = f"{total['killed'] / total['run']:.1%}" if total["run"] else "-"
    unexec = sum(unexecuted.values())
    yield f"{'all':<10} {total['run']:>5} {total['killed']:>6} {ratio:>7}   {unexec:>19}"
    ran_unexecuted = [o for o in outcomes if not o.executed]
    if ran_unexecuted:
        killed = sum(o.killed for o in ran_unexecuted)
        yield f"mutants run on unexecuted lines: {len(ran_unexecuted)}, killed {killed}"
    survivors = [o for o in outcomes if o.executed and not o.killed]
    if survivors:
        yield "survivors on executed lines:"
    for outcome in survivors:
        m = outcome.mutation
        yield f"  seed {outcome.seed} turn {outcome.turn} line {m.first}: {m.kind}: {m.text}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--turns", type=int, nargs="+", default=[5, 20, 40])
    parser.add_argument("--sample", type=int, default=14, help="mutants per seed and turn")
    parser.add_argument("--all", action="store_true", help="every mutant (ignores --sample)")
    parser.add_argument(
        "--with-unexecuted",
        action="store_true",
        help="also run mutants on lines the suite never executes (they always survive)",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="enduro-mutants-"))
    try:
        _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"total: {time.perf_counter() - started:.1f} s")


def _run(args: argparse.Namespace, scratch: Path) -> None:
    turns = load_turns(args.seeds, args.turns, scratch)
    unexecuted: Counter[str] = Counter()
    for turn in turns:
        found = mutations(turn.tree)
        executed = [m for m in found if _executed(turn, m)]
        unexecuted.update(m.kind for m in found if not _executed(turn, m))
        print(
            f"seed {turn.seed} turn {turn.turn}: {len(turn.source.splitlines())} lines, "
            f"{len(turn.lines)} executed, {len(found)} mutants "
            f"({len(executed)} on executed lines)"
        )
    sample = None if args.all else args.sample
    outcomes = run_mutants(turns, sample, not args.with_unexecuted, scratch, args.workers)
    for line in report(outcomes, unexecuted):
        print(line)


if __name__ == "__main__":
    main()
