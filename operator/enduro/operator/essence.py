"""kopf's diff-base and progress storages without their per-event deep copies.

kopf builds an object's "essence" (spec, labels and annotations: what its diffs are taken
on) for every watch event of every resource it watches, by deep-copying the whole body
and then dropping `status` and most of `metadata`; it then deep-copies that essence
again, and the one it stored, to clear its progress annotations from both. A
ScenarioRun's spec (its scenario and agent snapshots) and status are most of its bytes,
so those copies were the largest single cost of a watch event. Nothing changes a watch
event's body in place (kopf gives a daemon a fresh body by replacing its source), and
an essence is built afresh for each event, so both storages here share the body's
stanzas instead of copying them: `LeanDiffBaseStorage` builds the same essence from the
body without copying it, `LeanProgressStorage` copies only the stanzas it clears. Only
the kinds the diff-base storage is told to follow have an essence at all: kopf uses it
for the handlers of changes (create, update, delete) and to wake idle daemons, and the
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

# System-set or kopf-private annotation, never part of an essence (kopf drops it too).
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


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
        return self._shared(body)

    def _shared(self, body: kopf.Body) -> kopf.BodyEssence:
        """kopf's essence (its `build` without extra or ignored fields), sharing the
        body's stanzas: every top-level stanza but the identifying ones, `metadata` and
        `status`; labels; annotations but other kopf storages', kubectl's last applied
        configuration and this storage's own."""
        skipped = ("apiVersion", "kind", "metadata", "status")
        essence: dict[str, Any] = {k: v for k, v in body.items() if k not in skipped}
        metadata = body.get("metadata") or {}
        kept: dict[str, Any] = {}
        if metadata.get("labels"):
            kept["labels"] = dict(metadata["labels"])
        annotations = metadata.get("annotations") or {}
        ignored = self._detect_marked_prefixes(annotations)
        own = set(self.make_keys(self.key, body=body))
        annotations = {
            key: value
            for key, value in annotations.items()
            if key != LAST_APPLIED
            and key not in own
            and not any(key.startswith(f"{prefix}/") for prefix in ignored)
        }
        if annotations:
            kept["annotations"] = annotations
        if kept:
            essence["metadata"] = kept
        return cast(kopf.BodyEssence, essence)


class LeanProgressStorage(kopf.AnnotationsProgressStorage):
    def clear(self, *, essence: kopf.BodyEssence) -> kopf.BodyEssence:
        """kopf's own, without its deep copy of the essence: only the stanzas it changes
        (the essence and its metadata) are copied; `essence` is left as it was."""
        copied: dict[str, Any] = dict(essence)
        if isinstance(copied.get("metadata"), Mapping):
            copied["metadata"] = dict(copied["metadata"])
        cleared = cast(kopf.BodyEssence, copied)
        annotations = copied.get("metadata", {}).get("annotations", {})
        keys = {key for key in annotations if self.prefix and key.startswith(f"{self.prefix}/")}
        self.remove_annotations(cleared, keys)
        self.remove_empty_stanzas(cleared)
        return cleared


def progress_storage() -> LeanProgressStorage:
    """The operator's progress storage: kopf's annotations, under Enduro's prefix."""
    return LeanProgressStorage(prefix="enduro.dev")


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
