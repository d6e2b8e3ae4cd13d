"""The operator's diff-base storage: kopf's essence, without copying what it drops."""

from __future__ import annotations

import copy
from typing import Any

import kopf
import pytest

from enduro.operator.essence import LeanDiffBaseStorage, diff_base_storage, handled
from enduro.operator.handlers import configure


class Uncopyable(dict[str, Any]):
    """A stanza that fails the test if anything deep-copies it."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        raise AssertionError("the status was deep-copied")


def scenario_run(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "ScenarioRun",
        "metadata": {
            "name": "r-s000",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "42",
            "generation": 1,
            "labels": {"enduro.dev/benchmark-run": "r"},
            "annotations": {
                "note": "kept",
                "enduro.dev/last-handled-configuration": '{"spec":{}}\n',
                "enduro.dev/kopf-managed": "yes",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "other.example/kopf-managed": "yes",
                "other.example/last-handled-configuration": "{}",
            },
            "finalizers": ["enduro.dev/finalizer"],
            "ownerReferences": [{"kind": "BenchmarkRun", "name": "r", "uid": "u-0"}],
            "managedFields": [{"manager": "kopf", "fieldsV1": {"f:status": {}}}],
        },
        "spec": {"scenario": {"seed": 1, "index": 0}, "attemptLimit": 3},
        "status": status,
    }


def storages() -> tuple[kopf.AnnotationsDiffBaseStorage, LeanDiffBaseStorage]:
    kopfs = kopf.AnnotationsDiffBaseStorage(prefix="enduro.dev", key="last-handled-configuration")
    return kopfs, diff_base_storage()


def test_the_essence_is_kopfs_own() -> None:
    kopfs, lean = storages()
    body = kopf.Body(scenario_run({"phase": "Running", "turns": [{"turn": 1}]}))  # type: ignore[arg-type]
    assert lean.build(body=body) == kopfs.build(body=body)
    assert lean.build(body=body) == {
        "spec": {"scenario": {"seed": 1, "index": 0}, "attemptLimit": 3},
        "metadata": {
            "labels": {"enduro.dev/benchmark-run": "r"},
            "annotations": {"note": "kept"},
        },
    }


def test_a_watch_event_does_not_copy_the_status() -> None:
    """kopf builds the essence on every watch event with the operator's storage: the
    status (most of a ScenarioRun's bytes) is never copied for it."""
    settings = kopf.OperatorSettings()
    configure(settings=settings, memo=kopf.Memo())
    storage = settings.persistence.diffbase_storage
    body = kopf.Body(scenario_run(Uncopyable(phase="Running")))  # type: ignore[arg-type]
    assert "status" not in storage.build(body=body)
    with pytest.raises(AssertionError, match="deep-copied"):
        copy.deepcopy(dict(body))  # the check itself works


def test_fields_followed_by_a_handler_are_still_in_the_essence() -> None:
    kopfs, lean = storages()
    body = kopf.Body(scenario_run({"phase": "Running"}))  # type: ignore[arg-type]
    fields = [("status", "phase")]
    assert lean.build(body=body, extra_fields=fields) == kopfs.build(body=body, extra_fields=fields)
    assert lean.build(body=body, extra_fields=fields)["status"] == {"phase": "Running"}


def test_a_scenario_run_created_as_handled_has_nothing_left_for_kopf() -> None:
    """kopf compares the essence it stored with the one it builds: the same, once the
    API server has added its own metadata, so kopf has no creation to handle and nothing
    to patch on."""
    manifest = scenario_run({})
    del manifest["status"]
    for server_side in ("uid", "resourceVersion", "generation", "managedFields"):
        del manifest["metadata"][server_side]
    manifest["metadata"]["annotations"] = {"note": "kept"}
    created = handled(manifest)
    created["metadata"].update(uid="u-2", resourceVersion="7", generation=1)
    created["status"] = {"phase": "Pending"}
    settings = kopf.OperatorSettings()
    configure(settings=settings, memo=kopf.Memo())
    storage, progress = settings.persistence.diffbase_storage, settings.persistence.progress_storage
    body = kopf.Body(created)  # type: ignore[arg-type]
    stored = storage.fetch(body=body)
    assert stored is not None
    assert progress.clear(essence=stored) == progress.clear(essence=storage.build(body=body))
    assert manifest["metadata"]["annotations"] == {"note": "kept"}  # left as it was


def test_a_pod_has_no_essence_built() -> None:
    """No handler of changes follows pods: their essence (the whole pod spec, copied on
    each of their events) is not built."""
    settings = kopf.OperatorSettings()
    configure(settings=settings, memo=kopf.Memo())
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "r-s000-t001-a1-agent", "labels": {"enduro.dev/turn": "1"}},
        "spec": Uncopyable(containers=[{"name": "agent"}]),
        "status": {"phase": "Running"},
    }
    assert settings.persistence.diffbase_storage.build(body=kopf.Body(pod)) == {}  # type: ignore[arg-type]


def test_every_kind_with_handlers_of_changes_or_daemons_has_its_essence() -> None:
    """kopf reads the essence for handlers of changes (on.create/update/delete/field)
    and daemons: a handler of that kind added for another resource must be followed."""
    registry = kopf.get_default_registry()
    handlers = [*registry._changing.get_all_handlers(), *registry._spawning.get_all_handlers()]
    plurals = {handler.selector.any_name for handler in handlers if handler.selector is not None}
    followed = {kind.lower() + "s" for kind in diff_base_storage().followed_kinds}
    assert plurals and plurals <= followed


def test_the_essence_shares_the_bodys_stanzas_instead_of_copying_them() -> None:
    """The spec (a ScenarioRun's scenario and agent snapshots) is not copied for the
    essence of each watch event: nothing changes a watch event's body in place."""
    kopfs, lean = storages()
    plain = scenario_run({"phase": "Running"})
    spec = Uncopyable(plain["spec"])
    body = kopf.Body({**plain, "spec": spec})  # type: ignore[arg-type]
    essence = lean.build(body=body)
    assert essence == kopfs.build(body=kopf.Body(plain))  # type: ignore[arg-type]
    assert essence["spec"] is spec


def test_clearing_progress_is_kopfs_own_without_copying_the_essence() -> None:
    settings = kopf.OperatorSettings()
    configure(settings=settings, memo=kopf.Memo())
    progress = settings.persistence.progress_storage
    essence = {
        "spec": {"attemptLimit": 3},
        "metadata": {
            "labels": {"a": "b"},
            "annotations": {"note": "kept", "enduro.dev/handler-x": "{}"},
        },
    }
    kopfs = kopf.AnnotationsProgressStorage(prefix="enduro.dev").clear(essence=essence)  # type: ignore[arg-type]
    shared = Uncopyable(essence["spec"])
    given = {**essence, "spec": shared}
    cleared = progress.clear(essence=given)  # type: ignore[arg-type]
    assert cleared == kopfs
    assert cleared["spec"] is shared
    assert given["metadata"]["annotations"] == {"note": "kept", "enduro.dev/handler-x": "{}"}
    only_progress = {"metadata": {"annotations": {"enduro.dev/handler-x": "{}"}}}
    assert progress.clear(essence=only_progress) == {}  # type: ignore[arg-type]
