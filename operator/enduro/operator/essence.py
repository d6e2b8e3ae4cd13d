"""kopf's diff-base storage without its per-event deep copy of the whole object.

kopf builds an object's "essence" (spec, labels and annotations: what its diffs are taken
on) for every watch event of every resource it watches, by deep-copying the whole body
and then dropping `status` and most of `metadata`. A ScenarioRun's status and a pod's
status and managed fields are most of their bytes, so that copy was the largest single
cost of a watch event. `LeanDiffBaseStorage` hands kopf a view of the body without
those stanzas instead: the essence is the same, only what kopf would throw away is no
longer copied. Only the kinds it is told to follow have an essence at all: kopf uses
it for the handlers of changes (create, update, delete) and to wake idle daemons, and the
operator has those for ScenarioRuns and BenchmarkRuns only; a pod's essence (its whole
spec, copied twice per event) was built on each of its events and never read.

`handled` records a ScenarioRun the operator creates as handled already (kopf's
annotation of its essence set at creation): kopf would otherwise patch that annotation
on right after the creation, a write per ScenarioRun, although no handler of ours reacts
to a creation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, cast

import kopf

from enduro.api.resources import BENCHMARK_RUN, SCENARIO_RUN

# What kopf keeps of `metadata` in an essence, plus what its annotation keys depend on.
KEPT_METADATA = ("labels", "annotations", "ownerReferences")


def essential_view(body: kopf.Body) -> kopf.Body:
    """The body without `status` and without the metadata an essence never holds."""
    raw: dict[str, Any] = {key: value for key, value in body.items() if key != "status"}
    metadata = body.get("metadata") or {}
    raw["metadata"] = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
    return kopf.Body(cast(kopf.RawBody, raw))


class LeanDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    def __init__(self, *, followed_kinds: Collection[str], prefix: str, key: str) -> None:
        super().__init__(prefix=prefix, key=key)
        self.followed_kinds = frozenset(followed_kinds)

    def build(
        self,
        *,
        body: kopf.Body,
        extra_fields: Iterable[kopf.FieldSpec] | None = None,
    ) -> kopf.BodyEssence:
        extra = list(extra_fields or [])
        if extra:  # a handler follows fields of its own (maybe in status): kopf's way
            return super().build(body=body, extra_fields=extra)
        if body.get("kind") not in self.followed_kinds:
            return cast(kopf.BodyEssence, {})  # no handler of changes reads it
        return super().build(body=essential_view(body))


def diff_base_storage() -> LeanDiffBaseStorage:
    """The operator's diff-base storage: kopf's annotation, under Enduro's prefix, for
    the kinds with handlers of changes or daemons."""
    return LeanDiffBaseStorage(
        followed_kinds=(SCENARIO_RUN.kind, BENCHMARK_RUN.kind),
        prefix="enduro.dev",
        key="last-handled-configuration",
    )


def handled(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """`manifest` (a copy) with kopf's diff-base annotation of its essence as kopf would
    store it after handling its creation. Should the API server change the spec (a
    default, say), kopf sees a change and stores the annotation itself, as without it."""
    storage = diff_base_storage()
    body = kopf.Body(cast(kopf.RawBody, manifest))
    patch = kopf.Patch()
    storage.store(body=body, patch=patch, essence=storage.build(body=body))
    metadata = manifest["metadata"]
    annotations = {**metadata.get("annotations", {}), **patch["metadata"]["annotations"]}
    return {**manifest, "metadata": {**metadata, "annotations": annotations}}
