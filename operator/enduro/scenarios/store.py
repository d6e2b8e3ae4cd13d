"""Export and import of a generated scenario set (layout: docs/scenario-layout.md).

``export_set`` renders every turn of every scenario into a temporary sibling directory
and renames it into place only when complete, so a reader never sees a half-written
set; each scenario's files go into one zip, its pack (``packs``). ``load_set`` checks
the manifest and every file's SHA-256 digest and parses every changes.yaml (and, with
``deep=True``, every schema.yaml; otherwise schemas are parsed when a turn is first
read); any problem is a ``StoreError`` naming the file.

Per-turn renderers are a registry: sub-folder -> callable(turn) -> {relative path:
content}. The core files live at the turn folder's top level (sub-folder "").
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import secrets
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

import enduro
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.changes import Change, changes_from_yaml, changes_to_yaml
from enduro.scenarios.generator import GENERATOR_VERSION, ScenarioTurn, generate_scenario
from enduro.scenarios.packs import NAME, SUFFIX, PackTooLargeError, PackWriter
from enduro.scenarios.render.changes import render_changes
from enduro.scenarios.render.openapi import render_openapi
from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.spec import render_spec
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.schema import Schema

FORMAT: Literal["enduro-scenarios/v2"] = "enduro-scenarios/v2"
FILE_PER_PATH: Literal["enduro-scenarios/v1"] = "enduro-scenarios/v1"
"""The first format, a file per path; still read, so stored sets stay usable."""
MANIFEST = "manifest.json"

TurnRenderer = Callable[[ScenarioTurn], Mapping[str, str]]
TurnSource = Callable[[GeneratorSpec, int], list[ScenarioTurn]]
"""(spec, scenario) -> every turn of that scenario; ``generate_scenario`` by default."""


class StoreError(Exception):
    """A scenario set cannot be written or read; the message names the file and why.
    ``no_credentials``: the store holding it could not be asked for want of credentials."""

    def __init__(self, message: str, *, no_credentials: bool = False) -> None:
        super().__init__(message)
        self.no_credentials = no_credentials


def core_files(turn: ScenarioTurn) -> dict[str, str]:
    return {
        "schema.yaml": turn.schema.to_yaml(),
        "changes.yaml": changes_to_yaml(turn.changes),
        "CHANGES.md": render_changes(turn),
        "SPEC.md": render_spec(turn),
        "openapi.yaml": render_openapi(turn.schema),
    }


def suite_files(turn: ScenarioTurn) -> dict[str, str]:
    """The black-box pytest suite, under ``tests/``."""
    return {_strip("tests/", rel): text for rel, text in render_suite(turn).items()}


def ground_truth_files(turn: ScenarioTurn) -> dict[str, str]:
    """The ground-truth Flask server (``app.py``, ``run.sh``), under ``ground_truth/``."""
    return render_server(turn.schema)


def _strip(prefix: str, rel: str) -> str:
    return rel[len(prefix) :] if rel.startswith(prefix) else rel


RENDERERS: dict[str, TurnRenderer] = {
    "": core_files,
    "tests": suite_files,
    "ground_truth": ground_truth_files,
}


class Manifest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    format: Literal["enduro-scenarios/v1", "enduro-scenarios/v2"] = FORMAT
    enduro_version: str
    generator_version: str
    generator: GeneratorSpec
    files: dict[str, str] = Field(description="relative path -> sha256 hex digest")
    packs: dict[str, str] = Field(
        default_factory=dict,
        description="v2: each scenario's pack (scenario_000.zip) -> sha256 hex digest",
    )
    digest: str = Field(description="sha256 over the sorted 'path digest' lines")
    generation: dict[str, Any] | None = Field(
        default=None,
        description="How a model-sampled set was made: sampler, model id, token usage, "
        "fallbacks (absent for sets the seed regenerates)",
    )

    @field_validator("files")
    @classmethod
    def _relative_paths(cls, files: dict[str, str]) -> dict[str, str]:
        for rel in files:
            if rel.startswith("/") or ".." in rel.split("/"):
                raise ValueError(f"{rel!r}: a set's paths are relative and stay inside it")
        return files

    @field_validator("packs")
    @classmethod
    def _pack_names(cls, packs: dict[str, str]) -> dict[str, str]:
        for name in packs:
            if not NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a pack's name (scenario_000.zip)")
        return packs

    def stored(self) -> dict[str, str]:
        """The set's files as stored, each with its digest: the packs (v2), or every
        path (v1)."""
        return self.packs if self.format == FORMAT else self.files


def scenario_dir(scenario: int) -> str:
    return f"scenario_{scenario:03d}"


def turn_folder(turn: int) -> str:
    return f"turn_{turn:03d}"


def turn_dir(scenario: int, turn: int) -> str:
    return f"{scenario_dir(scenario)}/{turn_folder(turn)}"


def pack_name(scenario: int) -> str:
    """The pack holding the files under ``scenario_dir(scenario)``."""
    return f"{scenario_dir(scenario)}{SUFFIX}"


def set_digest(files: Mapping[str, str]) -> str:
    lines = "".join(f"{path} {files[path]}\n" for path in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise StoreError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise StoreError(f"{out}: directory is not empty (pass --force to replace it)")


def default_workers(spec: GeneratorSpec) -> int:
    return max(1, min(spec.scenarios, os.cpu_count() or 1, 8))


def export_set(
    spec: GeneratorSpec,
    out: Path,
    *,
    force: bool = False,
    renderers: Mapping[str, TurnRenderer] | None = None,
    workers: int | None = None,
    turns: TurnSource | None = None,
    generation: Callable[[], dict[str, Any]] | None = None,
) -> Manifest:
    """Generate and write the whole set described by ``spec`` to ``out``.

    ``workers`` > 1 renders scenarios in forked processes (scenarios are independent,
    so the bytes written are the same for any number of workers). ``turns`` replaces the
    generator (a model-backed sampler: one process), and ``generation()`` is recorded in
    the manifest once every turn is drawn."""
    out = out.absolute()
    _check_target(out, force)
    chosen = RENDERERS if renderers is None else renderers
    count = default_workers(spec) if workers is None else workers
    if turns is not None:
        count = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    try:
        written = _write_all(spec, tmp, chosen, count, turns or generate_scenario)
        manifest = Manifest(
            enduro_version=enduro.__version__,
            generator_version=GENERATOR_VERSION,
            generator=spec,
            files=written.files,
            packs=written.packs,
            digest=set_digest(written.files),
            generation=None if generation is None else generation(),
        )
        _write_manifest(tmp, manifest)
        _swap_into_place(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


@dataclass
class _Written:
    """What an export wrote: path -> its content's digest, pack -> the pack's digest."""

    files: dict[str, str] = field(default_factory=dict)
    packs: dict[str, str] = field(default_factory=dict)

    def update(self, other: _Written) -> None:
        self.files.update(other.files)
        self.packs.update(other.packs)


def _write_all(
    spec: GeneratorSpec,
    root: Path,
    renderers: Mapping[str, TurnRenderer],
    workers: int,
    turns: TurnSource = generate_scenario,
) -> _Written:
    root.mkdir()
    scenarios = list(range(spec.scenarios))
    if workers <= 1 or len(scenarios) <= 1:
        with _no_cycle_collection():
            return _write_turns(spec, root, renderers, scenarios, turns)
    # Plain forked processes, all started before any helper thread exists: they inherit
    # the job (renderers may be closures, which cannot be pickled) and send back only
    # their digests, or the exception that stopped them. Each takes the next
    # scenario from a shared queue when it is done with one, so a long scenario never
    # leaves the other cores idle; which worker writes a file never changes its bytes.
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    for scenario in scenarios:
        queue.put(scenario)
    children = []
    for _ in range(min(workers, len(scenarios))):
        queue.put(None)  # one stop mark per worker, after every scenario
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(send, spec, root, renderers, queue))
        child.start()
        send.close()
        children.append((child, receive))
    written = _Written()
    failure: BaseException | None = None
    for child, receive in children:
        try:
            ok, payload = receive.recv()
        except EOFError:
            ok, payload = False, StoreError(f"a worker died with exit code {child.exitcode}")
        child.join()
        if ok:
            written.update(payload)
        elif failure is None:
            failure = payload
    if failure is not None:
        raise failure
    return written


def _child(
    send: Connection,
    spec: GeneratorSpec,
    root: Path,
    renderers: Mapping[str, TurnRenderer],
    queue: SimpleQueue[int | None],
) -> None:
    # The collector stays off until the worker exits: turned on again, its first pass
    # would walk every object the renderers' caches hold (all of them young, as none was
    # ever collected), about a second of CPU at the end of each worker, to free nothing.
    gc.disable()
    try:
        written = _Written()
        while (scenario := queue.get()) is not None:
            written.update(_write_turns(spec, root, renderers, [scenario]))
        result: tuple[bool, object] = (True, written)
    except Exception as exc:
        result = (False, exc)
    try:
        send.send(result)
    except Exception as exc:  # an exception that does not pickle
        send.send((False, StoreError(f"a worker failed: {exc}")))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off while an export renders: rendering allocates
    millions of containers and almost no cycles (a few thousand objects a scenario), so
    the collector's passes over the young objects and the renderers' caches were about
    a sixth of the CPU and freed nothing; reference counting frees the rest."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_turns(
    spec: GeneratorSpec,
    root: Path,
    renderers: Mapping[str, TurnRenderer],
    scenarios: list[int],
    turns: TurnSource = generate_scenario,
) -> _Written:
    """Each scenario's turns into its pack, in the order they are rendered."""
    written = _Written()
    for scenario in scenarios:
        folder, name = scenario_dir(scenario), pack_name(scenario)
        # Each path's text of the turn before, with its bytes and digest: a renderer that
        # gives the very same object again (a remembered module) is not encoded and
        # hashed again.
        before: dict[tuple[str, str], tuple[str, bytes, str]] = {}
        with PackWriter(root / name) as pack:
            try:
                for turn in turns(spec, scenario):
                    base = turn_folder(turn.turn)
                    for sub, render in renderers.items():
                        for rel, content in render(turn).items():
                            member = f"{base}/{sub}/{rel}" if sub else f"{base}/{rel}"
                            known = before.get((sub, rel))
                            if known is not None and known[0] is content:
                                data, digest = known[1], known[2]
                            else:
                                data = content.encode("utf-8")
                                digest = hashlib.sha256(data).hexdigest()
                                before[sub, rel] = (content, data, digest)
                            written.files[f"{folder}/{member}"] = digest
                            pack.add(member, data, digest)
                written.packs[name] = pack.close()
            except PackTooLargeError as exc:
                raise StoreError(f"{name}: {exc}; generate fewer turns per scenario") from None
    return written


def _write_manifest(root: Path, manifest: Manifest) -> None:
    # A v1 manifest without `packs`, as the first format wrote it (and earlier readers,
    # which forbid unknown keys, read it).
    exclude = {"packs"} if manifest.format == FILE_PER_PATH else None
    text = manifest.model_dump_json(by_alias=True, indent=2, exclude_none=True, exclude=exclude)
    text += "\n"
    (root / MANIFEST).write_text(text, encoding="utf-8")


def write_file_tree(loaded: ScenarioSet, into: Path) -> None:
    """The set in the first format, a file per path (equal contents hard-linked), into
    the new directory ``into``: what a ConfigMap packs, since one gzip stream over the
    plain files is smaller than over packs already deflated."""
    first: dict[str, Path] = {}
    for rel, digest in sorted(loaded.manifest.files.items()):
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if digest in first:
            os.link(first[digest], target)
        else:
            target.write_bytes(loaded.read(rel))
            first[digest] = target
    _write_manifest(into, loaded.manifest.model_copy(update={"format": FILE_PER_PATH, "packs": {}}))


def _swap_into_place(tmp: Path, out: Path, force: bool) -> None:
    if not out.exists():
        tmp.rename(out)
        return
    _check_target(out, force)
    trash = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    out.rename(trash)
    tmp.rename(out)
    shutil.rmtree(trash, ignore_errors=True)


class ScenarioSet:
    """A loaded set: its manifest, and every turn's schema and changes as they are read,
    each file checked against its digest."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest
        self._changes: dict[tuple[int, int], list[Change]] = {}
        self._schemas: dict[tuple[int, int], Schema] = {}
        self._packs: dict[str, zipfile.ZipFile] = {}

    def read(self, rel: str) -> bytes:
        """The bytes of the set's file ``rel`` (a path the manifest lists), checked
        against its digest."""
        expected = self.manifest.files.get(rel)
        if expected is None:
            raise StoreError(f"{self.root / rel}: missing from {MANIFEST}")
        data = self._stored_bytes(rel)
        if hashlib.sha256(data).hexdigest() != expected:
            raise StoreError(
                f"{self.root / rel}: content does not match its digest in {MANIFEST} "
                "(corrupt or edited)"
            )
        return data

    def read_text(self, rel: str) -> str:
        return self.read(rel).decode("utf-8")

    def _stored_bytes(self, rel: str) -> bytes:
        if self.manifest.format == FILE_PER_PATH:
            path = self.root / rel
            if not path.is_file():
                raise StoreError(f"{path}: listed in {MANIFEST} but missing")
            return path.read_bytes()
        folder, _, member = rel.partition("/")
        name = folder + SUFFIX
        try:
            return self._pack(name).read(member)
        except KeyError:
            raise StoreError(f"{self.root / rel}: listed in {MANIFEST} but not in {name}") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise StoreError(f"{self.root / rel}: cannot be read from {name} ({exc})") from None

    def _pack(self, name: str) -> zipfile.ZipFile:
        found = self._packs.get(name)
        if found is None:
            path = self.root / name
            if name not in self.manifest.packs:
                raise StoreError(f"{path}: holds listed files but is not in {MANIFEST}'s packs")
            if not path.is_file():
                raise StoreError(f"{path}: listed in {MANIFEST} but missing")
            try:
                found = self._packs[name] = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise StoreError(f"{path}: not a readable zip ({exc})") from None
        return found

    @property
    def spec(self) -> GeneratorSpec:
        return self.manifest.generator

    def _check_has(self, scenario: int, turn: int) -> None:
        if not (0 <= scenario < self.spec.scenarios and 1 <= turn <= self.spec.turns):
            raise StoreError(f"{self.root}: has no scenario {scenario} turn {turn}")

    def changes(self, scenario: int, turn: int) -> list[Change]:
        found = self._changes.get((scenario, turn))
        if found is None:
            self._check_has(scenario, turn)
            rel = f"{turn_dir(scenario, turn)}/changes.yaml"
            found = self._changes[(scenario, turn)] = _parse(self, rel, changes_from_yaml)
        return found

    def schema(self, scenario: int, turn: int) -> Schema:
        self._check_has(scenario, turn)
        found = self._schemas.get((scenario, turn))
        if found is None:
            rel = f"{turn_dir(scenario, turn)}/schema.yaml"
            found = _parse(self, rel, _schema)
            self._schemas[(scenario, turn)] = found
        return found

    def turn(self, scenario: int, turn: int) -> ScenarioTurn:
        schema = self.schema(scenario, turn)
        return ScenarioTurn(
            scenario=scenario,
            turn=turn,
            domain=schema.domain,
            schema_=schema,
            previous=self.schema(scenario, turn - 1) if turn > 1 else None,
            changes=self.changes(scenario, turn),
        )

    def turns(self) -> Iterator[ScenarioTurn]:
        for scenario in range(self.spec.scenarios):
            for turn in range(1, self.spec.turns + 1):
                yield self.turn(scenario, turn)


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_set(root: Path, *, deep: bool = False, every_file: bool = True) -> ScenarioSet:
    """Read and verify a set written by ``export_set``: every file against its digest,
    every changes.yaml parsed (``deep``: every schema too, rather than on first use).
    Without ``every_file`` (a step reading a few turns of a set verified when it was
    fetched) only each pack's digest is checked now, without unpacking it, and a file
    when it is first read: a set of 20 x 100 takes seconds to check file by file."""
    manifest = _read_manifest(root)
    loaded = ScenarioSet(root, manifest)
    if every_file:
        for rel in sorted(manifest.files):
            loaded.read(rel)
    else:
        from enduro.storage.base import sha256_file

        for name, digest in sorted(manifest.packs.items()):
            try:
                found = sha256_file(root / name)
            except OSError:
                found = None
            if found != digest:
                raise StoreError(
                    f"{root / name}: missing, or its content does not match its digest in "
                    f"{MANIFEST} (corrupt or edited)"
                )
    if set_digest(manifest.files) != manifest.digest:
        raise StoreError(f"{root / MANIFEST}: the set digest does not match the file list")
    spec = manifest.generator
    for scenario in range(spec.scenarios):
        for turn in range(1, spec.turns + 1):
            base = turn_dir(scenario, turn)
            for name in ("schema.yaml", "changes.yaml"):
                if f"{base}/{name}" not in manifest.files:
                    raise StoreError(f"{root / base}/{name}: missing from {MANIFEST}")
            if every_file:
                loaded.changes(scenario, turn)
            if deep:
                loaded.schema(scenario, turn)
    return loaded


def _schema(text: str) -> Schema:
    return Schema.model_validate(yaml.load(text, Loader=_Loader))


def _parse[T](loaded: ScenarioSet, rel: str, parse: Callable[[str], T]) -> T:
    text = loaded.read_text(rel)
    try:
        return parse(text)
    except (ValidationError, yaml.YAMLError, ValueError) as exc:
        raise StoreError(f"{loaded.root / rel}: invalid: {first_line(exc)}") from exc


def first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"])
        return f"{where}: {errors[0]['msg']}" if where else errors[0]["msg"]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if not root.is_dir():
        raise StoreError(f"{root}: not a directory")
    if not path.is_file():
        raise StoreError(f"{path}: missing; {root} is not a generated scenario set")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and data.get("format") not in (None, FILE_PER_PATH, FORMAT):
        raise StoreError(f"{path}: unknown format {data.get('format')!r}, expected {FORMAT!r}")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise StoreError(f"{path}: invalid: {first_line(exc)}") from exc
