"""kopf's diff-base storage without its per-event deep copy of the whole object.

kopf builds an object's "essence" (spec, labels and annotations: what its diffs are taken
on) for every watch event of every resource it watches, by deep-copying the whole body
and then dropping `status` and most of `metadata`. A ScenarioRun's status and a pod's
status and managed fields are most of their bytes, so that copy was the largest single
cost of a watch event. `LeanDiffBaseStorage` hands kopf a view of the body without
those stanzas instead: the essence is the same, only what kopf would throw away is no
longer copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import kopf

# What kopf keeps of `metadata` in an essence, plus what its annotation keys depend on.
KEPT_METADATA = ("labels", "annotations", "ownerReferences")


def essential_view(body: kopf.Body) -> kopf.Body:
    """The body without `status` and without the metadata an essence never holds."""
    raw: dict[str, Any] = {key: value for key, value in body.items() if key != "status"}
    metadata = body.get("metadata") or {}
    raw["metadata"] = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
    return kopf.Body(cast(kopf.RawBody, raw))


class LeanDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    def build(
        self,
        *,
        body: kopf.Body,
        extra_fields: Iterable[kopf.FieldSpec] | None = None,
    ) -> kopf.BodyEssence:
        extra = list(extra_fields or [])
        if extra:  # a handler follows fields of its own (maybe in status): kopf's way
            return super().build(body=body, extra_fields=extra)
        return super().build(body=essential_view(body))
