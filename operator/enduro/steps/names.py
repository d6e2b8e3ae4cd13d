"""Deterministic child names: a restarted operator finds what it created, never a twin."""

from __future__ import annotations

import hashlib
import re

NAME_MAX = 63  # a DNS label: Pod hostnames and label values must fit
HASH_LEN = 5


def _fit(base: str, suffix: str, limit: int = NAME_MAX) -> str:
    """`base` + `suffix`, with `base` cut and tagged with a short hash of the full base when
    the whole would exceed `limit`, so distinct long bases stay distinct."""
    base = re.sub(r"[^a-z0-9-]", "-", base.lower())
    if len(base) + len(suffix) <= limit:
        return base + suffix
    digest = hashlib.sha256(base.encode()).hexdigest()[:HASH_LEN]
    keep = limit - len(suffix) - HASH_LEN - 1
    return f"{base[:keep].rstrip('-')}-{digest}{suffix}"


def step_name(
    scenario_run: str, turn: int, attempt: int, role: str, retry: int = 0, *, restores: int = 0
) -> str:
    """`<sr>-t003-a1-agent`; an infrastructure re-run appends `-r<retry>`, the steps after
    the n-th workspace restore (a lost volume: the turn starts again) `-w<n>`."""
    suffix = (
        f"-t{turn:03d}-a{attempt}-{role}"
        + (f"-r{retry}" if retry else "")
        + (f"-w{restores}" if restores else "")
    )
    return _fit(scenario_run, suffix)


def environment_name(scenario_run: str, turn: int) -> str:
    """`<sr>-t003-env`: the environment of turn 3 of an external agent's run."""
    return _fit(scenario_run, f"-t{turn:03d}-env")


def workspace_claim_name(scenario_run: str) -> str:
    """`<sr>-workspace`: the PVC holding the workspace and artifacts of a ScenarioRun."""
    return _fit(scenario_run, "-workspace")


def scenario_run_name(benchmark_run: str, scenario: int) -> str:
    """`<br>-s007`: the ScenarioRun of scenario 7 of a BenchmarkRun."""
    return _fit(benchmark_run, f"-s{scenario:03d}")


def report_reader_name(scenario_run: str) -> str:
    """`<sr>-report`: the short-lived pod that reads a ScenarioRun's artifacts for a report."""
    return _fit(scenario_run, "-report")
