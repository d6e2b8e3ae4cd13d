"""Every file generated for one turn of one scenario, as text, from (generator, scenario, turn).

The single place that calls the scenario renderers, so the workspace, the artifacts,
the test runner's pristine suite and the oracle agent all see the same files.

A turn's step pair (prepare-workspace, test-runner; and every further attempt) needs
the same files, so `TurnFiles.cached` renders them once into the artifact root, which
only trusted steps can write (the agent's container mounts ``agent_logs/`` and
``trajectory/`` of it, never the rest): a folder named by the digest of everything the
files are a function of, with the SHA-256 of every file recorded last. A reader checks
every digest and renders afresh on any mismatch. Nothing the agent can write (its
workspace, its logs) is ever read as a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import enduro
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import GENERATOR_VERSION, SCENARIO_SET_ENV, ScenarioTurn

SUITE_DIR = "tests"
GROUND_TRUTH_DIR = "ground_truth"
SPEC_MD, CHANGES_MD, OPENAPI_YAML, SCHEMA_YAML = (
    "SPEC.md",
    "CHANGES.md",
    "openapi.yaml",
    "schema.yaml",
)
DIGESTS = "digests.json"  # written last: a folder without it is incomplete


@dataclass(frozen=True)
class TurnFiles:
    generator: GeneratorSpec
    scenario: int
    turn: int

    @cached_property
    def scenario_turn(self) -> ScenarioTurn:
        from enduro.scenarios.generator import scenario_turn

        return scenario_turn(self.generator, self.scenario, self.turn)

    def spec_md(self) -> str:
        from enduro.scenarios.render.spec import render_spec

        return render_spec(self.scenario_turn)

    def changes_md(self) -> str:
        from enduro.scenarios.render.changes import render_changes

        return render_changes(self.scenario_turn)

    def openapi_yaml(self) -> str:
        from enduro.scenarios.render.openapi import render_openapi

        return render_openapi(self.scenario_turn.schema)

    def schema_yaml(self) -> str:
        return self.scenario_turn.schema.to_yaml()

    def suite(self) -> dict[str, str]:
        """The pytest suite, paths relative to the suite's root directory."""
        from enduro.scenarios.render.suite import render_suite

        prefix = SUITE_DIR + "/"
        return {
            path.removeprefix(prefix): text
            for path, text in render_suite(self.scenario_turn).items()
        }

    def ground_truth(self) -> dict[str, str]:
        """The ground-truth server (``app.py``, ``run.sh``)."""
        from enduro.scenarios.render.server import render_server

        return render_server(self.scenario_turn.schema)

    def key(self) -> str:
        """The digest of everything this turn's files are a function of."""
        inputs = {
            "generator": self.generator.model_dump(mode="json"),
            "scenario": self.scenario,
            "turn": self.turn,
            "enduro": enduro.__version__,
            "generatorVersion": GENERATOR_VERSION,
            "storedSet": os.environ.get(SCENARIO_SET_ENV, ""),
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def all_files(self) -> dict[str, str]:
        """Every file of the turn, by its path in a `CachedTurn` folder."""
        return {
            SPEC_MD: self.spec_md(),
            CHANGES_MD: self.changes_md(),
            OPENAPI_YAML: self.openapi_yaml(),
            SCHEMA_YAML: self.schema_yaml(),
            **{f"{SUITE_DIR}/{rel}": text for rel, text in self.suite().items()},
            **{f"{GROUND_TRUTH_DIR}/{rel}": text for rel, text in self.ground_truth().items()},
        }

    def cached(self, cache_root: Path) -> CachedTurn:
        """The turn's files in ``cache_root`` (under the trusted artifact root), rendered
        only when no complete, intact copy is there."""
        folder = cache_root / self.key()
        found = _read_cached(folder)
        if found is None:
            found = _write_cache(folder, self.all_files())
        return found


@dataclass(frozen=True)
class CachedTurn:
    """A turn's files on disk, checked against their digests when opened."""

    folder: Path
    texts: dict[str, str]

    @property
    def suite_dir(self) -> Path:
        """The pristine suite, where the runner may run it (pytest adds only bytecode)."""
        return self.folder / SUITE_DIR

    def tree(self, sub: str) -> dict[str, str]:
        prefix = sub + "/"
        return {
            rel.removeprefix(prefix): text
            for rel, text in self.texts.items()
            if rel.startswith(prefix)
        }


def _read_cached(folder: Path) -> CachedTurn | None:
    try:
        digests = json.loads((folder / DIGESTS).read_text())
        if not isinstance(digests, dict):
            return None
        texts = {}
        for rel, digest in digests.items():
            data = (folder / rel).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                return None
            texts[rel] = data.decode()
    except (OSError, ValueError):
        return None
    return CachedTurn(folder, texts)


def _write_cache(folder: Path, texts: dict[str, str]) -> CachedTurn:
    """Write into a sibling folder and rename it into place: a reader sees all or nothing.
    A damaged copy already there is replaced, and other turns' copies are removed (a
    scenario runs one turn at a time; the cache stays the size of one turn)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}")
    digests = {}
    for rel, text in texts.items():
        path = partial / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        digests[rel] = hashlib.sha256(data).hexdigest()
    (partial / DIGESTS).write_text(json.dumps(digests, indent=0, sort_keys=True))
    if folder.exists():
        shutil.rmtree(folder)
    try:
        partial.rename(folder)
    except OSError:  # another writer won the race: its copy is as good
        shutil.rmtree(partial, ignore_errors=True)
    for other in folder.parent.iterdir():  # one turn at a time: earlier turns' copies go
        if other != folder and len(other.name) == len(folder.name) and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    return CachedTurn(folder, texts)
