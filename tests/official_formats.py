"""The official definitions of the formats Enduro exports, fetched once from their
registries and cached under `.cache/official-formats/` (git-ignored):

* CTRF: the JSON schema in the `ctrf` npm package, the CTRF project's reference
  implementation (`npm pack ctrf@VERSION`).
* ATIF trajectories and Harbor job folders: the pydantic models of the `harbor` PyPI
  package (Harbor's own). Harbor's full dependency tree (LLM clients, cloud sandboxes, a
  web server) is far larger than its models need, so only the wheel is installed, with
  no dependencies, into the cache (`uv pip install --target`), plus the three small
  packages its model modules import; pydantic is the project's own.

Nothing of theirs is copied into the repository. A fetch that fails fails the test that
needed it, with the command and its output: a clean machine with the registries (CI)
must be able to check the formats, so it never skips.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "official-formats"
CTRF_PACKAGE = "ctrf@0.3.0"
CTRF_SCHEMA = "package/dist/ctrf-schema-0.0.json"
HARBOR_PACKAGES = ("harbor==0.26.0", "toml==0.10.2", "shortuuid==1.0.13", "pathspec==1.1.1")


@contextmanager
def _filled(name: str) -> Iterator[tuple[Path, Path | None]]:
    """(CACHE/name, a scratch folder to fill, or None when it is there already). The
    scratch folder becomes CACHE/name when the block ends without an error; a lock keeps
    parallel test workers from fetching twice."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / name
    with (CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_dir():
            yield target, None
            return
        scratch = Path(tempfile.mkdtemp(dir=CACHE, prefix=f".{name}-"))
        try:
            yield target, scratch
            scratch.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _fetch(what: str, command: list[str]) -> None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except FileNotFoundError:
        pytest.fail(f"cannot fetch {what}: {command[0]!r} is not installed", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"cannot fetch {what} (needs the registry): {' '.join(command)} exited "
            f"{proc.returncode}:\n{(proc.stdout + proc.stderr)[-3000:]}",
            pytrace=False,
        )


@cache
def ctrf_schema() -> dict[str, Any]:
    """The CTRF JSON schema of the CTRF project's reference implementation."""
    with _filled(CTRF_PACKAGE.replace("@", "-")) as (target, scratch):
        if scratch is not None:
            _fetch(
                f"the CTRF schema ({CTRF_PACKAGE} from npm)",
                ["npm", "pack", CTRF_PACKAGE, "--pack-destination", str(scratch)],
            )
            [tarball] = scratch.glob("*.tgz")
            with tarfile.open(tarball) as archive:
                archive.extractall(scratch, filter="data")
    schema: dict[str, Any] = json.loads((target / CTRF_SCHEMA).read_text())
    return schema


@cache
def harbor_models() -> SimpleNamespace:
    """Harbor's models: `Trajectory` (ATIF), `TrialResult`, `TrialConfig`, `JobResult`,
    `JobConfig`, and `JobStats` (its counting of a job's trials)."""
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    with _filled(HARBOR_PACKAGES[0].replace("==", "-")) as (target, scratch):
        if scratch is not None:
            _fetch(
                f"Harbor's models ({HARBOR_PACKAGES[0]} from PyPI)",
                [uv, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
                 "--target", str(scratch), *HARBOR_PACKAGES],
            )  # fmt: skip
    if str(target) not in sys.path:
        sys.path.append(str(target))  # after the project's own packages (its pydantic)
    from harbor.models.job.config import JobConfig
    from harbor.models.job.result import JobResult, JobStats
    from harbor.models.trajectories.trajectory import Trajectory
    from harbor.models.trial.config import TrialConfig
    from harbor.models.trial.result import TrialResult

    return SimpleNamespace(
        Trajectory=Trajectory,
        TrialResult=TrialResult,
        TrialConfig=TrialConfig,
        JobResult=JobResult,
        JobConfig=JobConfig,
        JobStats=JobStats,
    )


def _ignored(document: Any, value: Any, where: str) -> Iterator[str]:
    """Fields of `document` the model `value` was read from has no place for (pydantic
    drops them silently unless the model forbids extra fields)."""
    if isinstance(value, BaseModel) and isinstance(document, dict):
        fields = type(value).model_fields
        known = set(fields) | {f.alias for f in fields.values() if f.alias}
        for key, item in document.items():
            if key not in known:
                yield f"{where}{key}"
            else:
                yield from _ignored(item, getattr(value, key, None), f"{where}{key}/")
    elif isinstance(value, list | tuple) and isinstance(document, list):
        for i, (item, read) in enumerate(zip(document, value, strict=False)):
            yield from _ignored(item, read, f"{where}{i}/")
    elif isinstance(value, dict) and isinstance(document, dict):
        for key, item in document.items():
            yield from _ignored(item, value.get(key), f"{where}{key}/")


# What `conforms(format, path)` checks a file against.
FORMATS = {
    "ctrf": "the CTRF schema (npm ctrf)",
    "atif": "harbor's Trajectory model (ATIF)",
    "harbor-trial-result": "harbor's TrialResult model",
    "harbor-trial-config": "harbor's TrialConfig model",
    "harbor-job-result": "harbor's JobResult model",
    "harbor-job-config": "harbor's JobConfig model",
}


def problems(format: str, document: Any) -> list[str]:
    """Every way `document` breaks the official definition of `format` (empty: valid)."""
    if format == "ctrf":
        schema = ctrf_schema()
        validator = jsonschema.validators.validator_for(schema)(
            schema, format_checker=jsonschema.FormatChecker()
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(document)
        ]
    models = harbor_models()
    model = {
        "atif": models.Trajectory,
        "harbor-trial-result": models.TrialResult,
        "harbor-trial-config": models.TrialConfig,
        "harbor-job-result": models.JobResult,
        "harbor-job-config": models.JobConfig,
    }[format]
    try:
        value = model.model_validate(document)
    except ValidationError as error:
        return [f"{'/'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in error.errors()]
    return [f"{field}: not a field of {model.__name__}" for field in _ignored(document, value, "")]
