"""Stored scenario sets (``Benchmark.spec.source``) where the steps run.

* In a step (``prepare-workspace``, ``test-runner``, a trusted baseline agent):
  ``use_stored_set`` fetches and verifies the set once into a cache folder (the
  scenario's artifact root on a cluster) and points the generator at it
  (``ENDURO_SCENARIO_SET``). A run on one machine has done that already for its steps.
* In a pod: ``with_scenario_set`` mounts a ``configMap`` source read-only into the
  trusted containers only (never the agent CLI's: the set holds the suites and the
  ground truth) and gives them the Secret of an ``s3`` source's credentials.
* In the operator: ``source_condition`` checks the set once before any ScenarioRun
  starts (``ScenarioSetReady``: False names the file whose digest does not match).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from enduro.api.conditions import Condition
from enduro.api.generator import GeneratorSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.api.storage import SourceSpec

SET_CONDITION = "ScenarioSetReady"
VOLUME = "scenario-set"
TRUSTED_CONTAINERS = ("prepare-workspace", "warm-suite", "test-runner")
SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
MOUNT = "/etc/enduro/scenario-set"  # where step pods see the ConfigMap's files
MOUNT_ENV = "ENDURO_SCENARIO_SET_MOUNT"  # where they are, if not at MOUNT


def use_stored_set(source: SourceSpec | None, generator: GeneratorSpec | None, cache: Path) -> None:
    """Point this process's generator at the verified stored set; raises ``StoreError``."""
    from enduro.scenarios.generator import SCENARIO_SET_ENV

    if source is None or generator is None or os.environ.get(SCENARIO_SET_ENV):
        return
    from enduro.scenarios.configmap import KEY, unpack_set
    from enduro.scenarios.sources import fetch_source
    from enduro.scenarios.store import StoreError

    if source.config_map is not None:
        name = source.config_map.name
        packed = Path(os.environ.get(MOUNT_ENV) or MOUNT) / KEY
        if not packed.is_file():
            raise StoreError(f"ConfigMap {name}: binaryData.{KEY} is not mounted at {packed}")
        path = unpack_set(
            packed.read_bytes(), cache, name=name, digest=source.digest, generator=generator
        )
    else:
        path = fetch_source(source, generator, cache)
    os.environ[SCENARIO_SET_ENV] = str(path)


def with_scenario_set(pod: Mapping[str, Any], spec: ScenarioRunSpec) -> dict[str, Any]:
    """The pod manifest with what its trusted containers need to read the set. `pod` is
    left as it was; only what changes is copied (the operator builds a pod per step).
    The operator never imports the generator for it (``enduro.scenarios``: a tenth of a
    second of imports, and memory it keeps)."""
    out = dict(pod)
    source = spec.source
    if source is None:
        return out
    names = set(TRUSTED_CONTAINERS)
    if spec.agent is not None and spec.agent.harness.baseline:
        names.add("agent")  # a trusted baseline (the oracle) reads the ground truth
    pod_spec = out["spec"] = dict(out["spec"])
    for key in ("initContainers", "containers"):
        if key in pod_spec:
            pod_spec[key] = [
                _reading_set(c, source, MOUNT) if c["name"] in names else c for c in pod_spec[key]
            ]
    if source.config_map is not None:
        volume = {"name": VOLUME, "configMap": {"name": source.config_map.name}}
        pod_spec["volumes"] = [*pod_spec["volumes"], volume]
    return out


def _reading_set(
    container: Mapping[str, Any], source: SourceSpec, mount_path: str
) -> dict[str, Any]:
    """A trusted container (a copy) with the set's mount or the Secret of its keys."""
    out = dict(container)
    if source.config_map is not None:
        mount = {"name": VOLUME, "mountPath": mount_path, "readOnly": True}
        out["volumeMounts"] = [*out.get("volumeMounts", []), mount]
        out["env"] = [*out.get("env", []), {"name": MOUNT_ENV, "value": mount_path}]
    if source.s3 is not None and source.s3.credentials_secret is not None:
        if any(e["name"] == SECRET_KEYS[0] for e in out.get("env", [])):
            return out  # the artifact store's keys: one set of keys per container
        secret = source.s3.credentials_secret.name
        out["env"] = [
            *out.get("env", []),
            *(
                {
                    "name": key,
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": secret,
                            "key": key,
                            "optional": key.endswith("TOKEN"),
                        }
                    },
                }
                for key in SECRET_KEYS
            ),
        ]
    return out


def source_condition(
    source: SourceSpec, generator: GeneratorSpec, config_map: Mapping[str, Any] | None
) -> Condition:
    """The operator's check of a Benchmark's stored set (with its own credentials for
    S3): every file's digest and the set digest. Unknown when it has no credentials."""
    # Here, not at the top: the operator imports this module, and the set store brings
    # the generator and every renderer with it, which only this check needs.
    from enduro.scenarios.sources import fetch_source
    from enduro.scenarios.store import StoreError

    where = source.where
    try:
        with tempfile.TemporaryDirectory(prefix="enduro-set-") as tmp:
            fetch_source(source, generator, Path(tmp) / "set", config_map=config_map)
    except StoreError as exc:
        if exc.no_credentials:
            return Condition(
                type=SET_CONDITION, status="Unknown", reason="NoOperatorCredentials",
                message=f"{where}: the operator cannot check the set itself; the steps will",
            )  # fmt: skip
        return Condition(
            type=SET_CONDITION, status="False", reason="SetRefused",
            message=f"Benchmark spec.source: {exc}",
        )  # fmt: skip
    return Condition(type=SET_CONDITION, status="True", reason="SetVerified", message=where)
