"""The scenario subcommands of ``enduro``: thin wrappers that turn errors into exit 2."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import typer
from pydantic import ValidationError

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import ScenarioTurn
from enduro.scenarios.sources import download_set, upload_set
from enduro.scenarios.store import (
    Manifest,
    StoreError,
    TurnSource,
    export_set,
    load_set,
)

BAD_INPUT = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(BAD_INPUT)


def _spec_error(exc: ValidationError) -> str:
    flags = {"changes_per_turn": "--changes-per-turn"}
    parts = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "input"
        flag = flags.get(name, f"--{name.replace('_', '-')}")
        parts.append(f"{flag}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


@dataclass(frozen=True)
class SamplerOptions:
    """``--sampler bedrock --model-id ID [--region R] [--bedrock-endpoint URL]``."""

    sampler: str = "weighted"
    model_id: str | None = None
    region: str | None = None
    endpoint: str | None = None
    max_attempts: int = 3


def generate_command(
    *,
    out: str,
    scenarios: int,
    turns: int,
    changes_per_turn: int,
    seed: int,
    force: bool,
    sampling: SamplerOptions | None = None,
    configmap: str | None = None,
) -> None:
    sampling = sampling or SamplerOptions()
    if configmap is not None:
        from enduro.api.storage import ConfigMapRef
        from enduro.storage import is_s3_url

        if is_s3_url(out):
            raise _fail("--out-configmap writes a manifest file: give --out FILE.yaml, not s3://")
        try:
            ConfigMapRef(name=configmap)
        except ValidationError:
            raise _fail(
                f"--out-configmap: {configmap!r} is not a ConfigMap name (lowercase letters, "
                "digits, '-' and '.', starting and ending with a letter or digit)"
            ) from None
    if sampling.sampler == "bedrock" and not sampling.model_id:
        raise _fail("--sampler bedrock needs --model-id (a Bedrock model id)")
    try:
        spec = GeneratorSpec(
            seed=seed,
            scenarios=scenarios,
            turns=turns,
            changes_per_turn=changes_per_turn,
            sampler=sampling.sampler,
        )
    except ValidationError as exc:
        raise _fail(_spec_error(exc)) from None
    started = time.perf_counter()
    try:
        manifest = _generate(spec, out, force, sampling, configmap)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    seconds = time.perf_counter() - started
    typer.echo(
        f"wrote {spec.scenarios} scenario(s) x {spec.turns} turn(s), {len(manifest.files)} files "
        f"to {out} in {seconds:.1f}s (set digest {manifest.digest[:16]})"
    )


def _generate(
    spec: GeneratorSpec,
    out: str,
    force: bool,
    sampling: SamplerOptions,
    configmap: str | None = None,
) -> Manifest:
    """Generate locally (a model's set is drawn once, here); upload when ``out`` is
    ``s3://``; a ConfigMap manifest with ``configmap``. Nothing is written to ``out``
    unless the whole set was made."""
    from enduro.storage import is_s3_url

    turns: TurnSource | None = None
    generation = None
    if sampling.sampler == "bedrock":
        from enduro.scenarios.bedrock_sampler import (
            BedrockSampler,
            BedrockSamplerError,
            bedrock_client,
        )
        from enduro.scenarios.generator import generate_with

        client = bedrock_client(sampling.region, sampling.endpoint)
        sampler = BedrockSampler(
            client,
            str(sampling.model_id),
            region=sampling.region,
            max_attempts=sampling.max_attempts,
        )

        def bedrock_turns(spec: GeneratorSpec, scenario: int) -> list[ScenarioTurn]:
            try:
                return generate_with(spec, scenario, sampler)
            except BedrockSamplerError as exc:
                raise StoreError(str(exc)) from None

        turns, generation = bedrock_turns, sampler.log.to_json
    if configmap is not None:
        from enduro.scenarios.configmap import write_configmap

        return write_configmap(
            spec, Path(out), configmap, force=force, turns=turns, generation=generation
        )
    if not is_s3_url(out):
        return export_set(spec, Path(out), force=force, turns=turns, generation=generation)
    with tempfile.TemporaryDirectory(prefix="enduro-set-") as tmp:
        local = Path(tmp) / "set"
        export_set(spec, local, turns=turns, generation=generation)
        return upload_set(local, out, force=force)


def check_command(path: str) -> None:
    from enduro.storage import is_s3_url

    try:
        if is_s3_url(path):
            with tempfile.TemporaryDirectory(prefix="enduro-set-") as tmp:
                loaded = download_set(path, Path(tmp) / "set")
                for turn in loaded.turns():  # deep: every schema parses
                    assert turn.schema is not None
        else:
            loaded = load_set(Path(path), deep=True)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    spec = loaded.spec
    typer.echo(
        f"ok: {spec.scenarios} scenario(s) x {spec.turns} turn(s), "
        f"{len(loaded.manifest.files)} files verified (seed {spec.seed})"
    )
