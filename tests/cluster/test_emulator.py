"""The emulator behaves like an apiserver where our operator depends on it."""

from __future__ import annotations

import json
from typing import Any

import kopf
import pytest
import requests

from cluster.cluster import ApiError, EmulatedCluster, KubeClient
from cluster.emulator import clone, json_patch, merge_patch, parse_selector
from cluster.fixtures import WIDGETS
from cluster.operator_thread import OperatorThread


def widget(name: str, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, **extra.pop("metadata", {})}, "spec": {"size": 1}, **extra}


def test_create_fills_server_fields_and_answers_201(cluster: EmulatedCluster) -> None:
    url = f"{cluster.url}/apis/test.dev/v1/namespaces/ns1/widgets"
    response = requests.post(url, json=widget("w1", status={"ready": True}), timeout=5)

    assert response.status_code == 201
    created = response.json()
    meta = created["metadata"]
    assert meta["namespace"] == "ns1"  # taken from the URL
    assert meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
    assert meta["generation"] == 1
    assert created["kind"] == "Widget" and created["apiVersion"] == "test.dev/v1"
    assert "status" not in created  # status subresource: create ignores it


def test_duplicate_name_is_409_and_foreign_namespace_is_400(kube: KubeClient) -> None:
    kube.create(WIDGETS, widget("w1"))
    with pytest.raises(ApiError) as duplicate:
        kube.create(WIDGETS, widget("w1"))
    assert duplicate.value.status == 409
    assert duplicate.value.body["reason"] == "AlreadyExists"
    with pytest.raises(ApiError) as foreign:
        kube.create(WIDGETS, widget("w2", metadata={"namespace": "other"}), namespace="default")
    assert foreign.value.status == 400


def test_generate_name(kube: KubeClient) -> None:
    created = kube.create(WIDGETS, {"metadata": {"generateName": "w-"}, "spec": {}})
    assert created["metadata"]["name"].startswith("w-") and len(created["metadata"]["name"]) > 2


def test_every_write_bumps_the_resource_version_and_stale_writes_conflict(
    kube: KubeClient,
) -> None:
    first = kube.create(WIDGETS, widget("w1"))["metadata"]["resourceVersion"]
    second = kube.patch(WIDGETS, "w1", {"metadata": {"labels": {"a": "b"}}})
    assert int(second["metadata"]["resourceVersion"]) > int(first)

    with pytest.raises(ApiError) as stale:
        kube.patch(WIDGETS, "w1", {"metadata": {"resourceVersion": first}, "spec": {"size": 2}})
    assert stale.value.status == 409
    assert kube.get(WIDGETS, "w1")["spec"]["size"] == 1

    current = second["metadata"]["resourceVersion"]
    accepted = kube.patch(
        WIDGETS, "w1", {"metadata": {"resourceVersion": current}, "spec": {"size": 2}}
    )
    assert accepted["spec"]["size"] == 2


def test_a_no_op_write_keeps_the_resource_version(kube: KubeClient) -> None:
    created = kube.create(WIDGETS, widget("w1"))
    same = kube.patch(WIDGETS, "w1", {"spec": {"size": 1}})
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_generation_follows_spec_changes_only(kube: KubeClient) -> None:
    kube.create(WIDGETS, widget("w1"))
    kube.patch(WIDGETS, "w1", {"metadata": {"labels": {"x": "1"}}})
    kube.patch(WIDGETS, "w1", {"status": {"phase": "Running"}}, status=True)
    assert kube.get(WIDGETS, "w1")["metadata"]["generation"] == 1
    kube.patch(WIDGETS, "w1", {"spec": {"size": 5}})
    assert kube.get(WIDGETS, "w1")["metadata"]["generation"] == 2


def test_status_subresource_separates_spec_and_status_writes(kube: KubeClient) -> None:
    kube.create(WIDGETS, widget("w1"))
    kube.patch(WIDGETS, "w1", {"spec": {"size": 9}, "status": {"phase": "A"}}, status=True)
    after_status_write = kube.get(WIDGETS, "w1")
    assert after_status_write["status"] == {"phase": "A"}
    assert after_status_write["spec"]["size"] == 1  # /status ignores the spec

    kube.patch(WIDGETS, "w1", {"spec": {"size": 3}, "status": {"phase": "B"}})
    after_main_write = kube.get(WIDGETS, "w1")
    assert after_main_write["spec"]["size"] == 3
    assert after_main_write["status"] == {"phase": "A"}  # the main resource ignores status


def test_replace_with_put(kube: KubeClient) -> None:
    created = kube.create(WIDGETS, widget("w1", metadata={"labels": {"a": "1"}}))
    created["spec"] = {"size": 7}
    del created["metadata"]["labels"]
    replaced = kube.replace(WIDGETS, "w1", created)
    assert replaced["spec"] == {"size": 7} and "labels" not in replaced["metadata"]
    with pytest.raises(ApiError) as stale:
        kube.replace(WIDGETS, "w1", created)  # carries the old resourceVersion
    assert stale.value.status == 409


def test_list_has_kind_and_honours_label_selectors(
    kube: KubeClient, cluster: EmulatedCluster
) -> None:
    kube.create(WIDGETS, widget("a", metadata={"labels": {"team": "x", "tier": "1"}}))
    kube.create(WIDGETS, widget("b", metadata={"labels": {"team": "y"}}))
    kube.create(WIDGETS, widget("c"))

    def names(selector: str) -> set[str]:
        return {o["metadata"]["name"] for o in kube.list(WIDGETS, selector=selector)}

    assert names("team=x") == {"a"}
    assert names("team!=x") == {"b", "c"}
    assert names("team in (x,y)") == {"a", "b"}
    assert names("team notin (x)") == {"b", "c"}
    assert names("tier") == {"a"}
    assert names("!tier") == {"b", "c"}
    assert names("team,tier=1") == {"a"}
    body = requests.get(f"{cluster.url}/apis/test.dev/v1/namespaces/default/widgets", timeout=5)
    assert body.json()["kind"] == "WidgetList"
    assert body.json()["metadata"]["resourceVersion"]


def test_selector_parser_rejects_garbage() -> None:
    with pytest.raises(Exception, match="unable to parse"):
        parse_selector("a=b=c")


def test_deletion_waits_for_finalizers(kube: KubeClient) -> None:
    kube.create(WIDGETS, widget("w1", metadata={"finalizers": ["test.dev/cleanup"]}))
    deleted = kube.delete(WIDGETS, "w1")
    assert deleted["metadata"]["deletionTimestamp"]
    assert kube.get(WIDGETS, "w1")["metadata"]["deletionTimestamp"]

    with pytest.raises(ApiError) as forbidden:
        kube.patch(WIDGETS, "w1", {"metadata": {"finalizers": ["test.dev/cleanup", "more"]}})
    assert forbidden.value.status == 422

    kube.patch(WIDGETS, "w1", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiError) as gone:
        kube.get(WIDGETS, "w1")
    assert gone.value.status == 404


def test_deleting_an_owner_cascades_to_dependents(kube: KubeClient) -> None:
    def owned_by(owner: dict[str, Any]) -> dict[str, Any]:
        return {
            "ownerReferences": [
                {
                    "apiVersion": "test.dev/v1",
                    "kind": "Widget",
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                }
            ]
        }

    root = kube.create(WIDGETS, widget("root"))
    child = kube.create(WIDGETS, widget("child", metadata=owned_by(root)))
    kube.create(WIDGETS, widget("grandchild", metadata=owned_by(child)))
    kube.create("v1/configmaps", {"metadata": {"name": "cm", **owned_by(root)}})
    kube.create(WIDGETS, widget("bystander"))

    kube.delete(WIDGETS, "root")

    assert [o["metadata"]["name"] for o in kube.list(WIDGETS)] == ["bystander"]
    assert kube.list("v1/configmaps") == []


def test_a_dependent_with_finalizers_is_only_marked(kube: KubeClient) -> None:
    root = kube.create(WIDGETS, widget("root"))
    ref = {
        "apiVersion": "test.dev/v1",
        "kind": "Widget",
        "name": "root",
        "uid": root["metadata"]["uid"],
    }
    kube.create(WIDGETS, widget("child", metadata={"ownerReferences": [ref], "finalizers": ["f"]}))
    kube.delete(WIDGETS, "root")
    assert kube.get(WIDGETS, "child")["metadata"]["deletionTimestamp"]


def test_an_object_given_owners_that_are_all_gone_is_collected(kube: KubeClient) -> None:
    kube.create(WIDGETS, widget("kept"))
    gone = {"apiVersion": "test.dev/v1", "kind": "Widget", "name": "old", "uid": "no-such-uid"}
    kube.patch(WIDGETS, "kept", {"metadata": {"ownerReferences": [gone]}})

    assert kube.list(WIDGETS) == []  # at once, not at the next create or delete


def test_a_dependent_keeps_living_while_one_of_its_owners_does(kube: KubeClient) -> None:
    first, second = kube.create(WIDGETS, widget("first")), kube.create(WIDGETS, widget("second"))
    refs = [
        {"apiVersion": "test.dev/v1", "kind": "Widget", "name": o["metadata"]["name"],
         "uid": o["metadata"]["uid"]}
        for o in (first, second)
    ]  # fmt: skip
    kube.create(WIDGETS, widget("shared", metadata={"ownerReferences": refs}))

    kube.delete(WIDGETS, "first")
    assert sorted(o["metadata"]["name"] for o in kube.list(WIDGETS)) == ["second", "shared"]
    kube.delete(WIDGETS, "second")
    assert kube.list(WIDGETS) == []


def test_a_resumed_watch_replays_whole_objects(kube: KubeClient, cluster: EmulatedCluster) -> None:
    listed = requests.get(f"{cluster.url}/apis/test.dev/v1/namespaces/default/widgets", timeout=5)
    since = listed.json()["metadata"]["resourceVersion"]
    kube.create(WIDGETS, widget("w", metadata={"labels": {"team": "a"}}))
    kube.patch(WIDGETS, "w", {"status": {"ready": True}}, status=True)

    resumed = _watch(cluster, resourceVersion=since, labelSelector="team=a")
    assert [(e["type"], e["object"]["status"]) for e in resumed[1:]] == [
        ("MODIFIED", {"ready": True})
    ]
    assert resumed[0]["object"]["metadata"]["labels"] == {"team": "a"}


def test_clone_copies_what_orjson_refuses() -> None:
    document = {"huge": 2**70, "nested": {"list": [1, "two", None, 3.5]}}
    copied = clone(document)
    assert copied == document and copied["nested"] is not document["nested"]


def _watch(cluster: EmulatedCluster, **params: str) -> list[dict[str, Any]]:
    url = f"{cluster.url}/apis/test.dev/v1/namespaces/default/widgets"
    query = {"watch": "true", "timeoutSeconds": "1", **params}
    with requests.get(url, params=query, stream=True, timeout=10) as response:
        return [json.loads(line) for line in response.iter_lines() if line]


def test_watch_resumes_from_a_resource_version(kube: KubeClient, cluster: EmulatedCluster) -> None:
    kube.create(WIDGETS, widget("old"))
    listed = requests.get(f"{cluster.url}/apis/test.dev/v1/namespaces/default/widgets", timeout=5)
    since = listed.json()["metadata"]["resourceVersion"]
    kube.create(WIDGETS, widget("new"))
    kube.delete(WIDGETS, "old")

    resumed = _watch(cluster, resourceVersion=since)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in resumed] == [
        ("ADDED", "new"),
        ("DELETED", "old"),
    ]
    fresh = _watch(cluster)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in fresh] == [("ADDED", "new")]


def test_watch_honours_label_selectors(kube: KubeClient, cluster: EmulatedCluster) -> None:
    kube.create(WIDGETS, widget("a", metadata={"labels": {"x": "1"}}))
    kube.create(WIDGETS, widget("b"))
    events = _watch(cluster, labelSelector="x=1")
    assert [e["object"]["metadata"]["name"] for e in events] == ["a"]


def test_watch_from_an_expired_resource_version_is_410(
    kube: KubeClient, cluster: EmulatedCluster
) -> None:
    for index in range(3):
        kube.create(WIDGETS, widget(f"w{index}"))
    cluster.call(cluster.emulator.history.clear)
    events = _watch(cluster, resourceVersion="1")
    assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410


def test_requests_are_counted_by_client_verb_and_resource(
    kube: KubeClient, cluster: EmulatedCluster
) -> None:
    kube.create(WIDGETS, widget("w1"))
    kube.patch(WIDGETS, "w1", {"status": {"a": 1}}, status=True)
    kube.get(WIDGETS, "w1")
    counts = cluster.emulator.counts
    assert counts[("enduro-test", "create", "widgets")] == 1
    assert counts[("enduro-test", "patch", "widgets/status")] == 1
    assert counts[("enduro-test", "get", "widgets")] == 1
    assert cluster.emulator.requests_by("enduro-test", ["create", "patch"]) == 2


def test_discovery_lists_crds_with_their_status_subresource(cluster: EmulatedCluster) -> None:
    listed = requests.get(f"{cluster.url}/apis/test.dev/v1", timeout=5).json()
    names = {r["name"] for r in listed["resources"]}
    assert names == {"widgets", "widgets/status"}
    pods = requests.get(f"{cluster.url}/api/v1", timeout=5).json()
    assert "pods" in {r["name"] for r in pods["resources"]}


def test_creating_a_crd_registers_its_resource(kube: KubeClient, cluster: EmulatedCluster) -> None:
    crd = {
        "metadata": {"name": "gadgets.extra.dev"},
        "spec": {
            "group": "extra.dev",
            "scope": "Namespaced",
            "names": {"kind": "Gadget", "plural": "gadgets"},
            "versions": [{"name": "v1"}],
        },
    }
    kube.create_cluster_scoped("apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    created = kube.create("extra.dev/v1/gadgets", {"metadata": {"name": "g"}})
    assert created["kind"] == "Gadget"


def test_namespaces_are_served(cluster: EmulatedCluster) -> None:
    namespaces = requests.get(f"{cluster.url}/api/v1/namespaces", timeout=5).json()
    assert [n["metadata"]["name"] for n in namespaces["items"]] == ["default"]


def test_patch_helpers_follow_the_rfcs() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None}, "l": [2]}) == {
        "a": {"c": 2},
        "l": [2],
    }
    doc = {"metadata": {"annotations": {"x/y": "1"}}, "items": [1, 2]}
    patched = json_patch(
        doc,
        [
            {"op": "test", "path": "/items/0", "value": 1},
            {"op": "add", "path": "/items/-", "value": 3},
            {"op": "replace", "path": "/metadata/annotations/x~1y", "value": "2"},
            {"op": "remove", "path": "/items/0"},
        ],
    )
    assert patched == {"metadata": {"annotations": {"x/y": "2"}}, "items": [2, 3]}
    with pytest.raises(Exception, match="test failed"):
        json_patch(doc, [{"op": "test", "path": "/items/0", "value": 9}])


@pytest.mark.slow
def test_a_kopf_operator_runs_against_the_emulator(
    kube: KubeClient, cluster: EmulatedCluster
) -> None:
    registry = kopf.OperatorRegistry()
    deleted: list[str] = []

    @kopf.on.create("test.dev", "v1", "widgets", registry=registry)
    def created(spec: dict[str, Any], patch: kopf.Patch, **_: Any) -> None:
        patch.status["seen"] = spec["size"]

    @kopf.on.delete("test.dev", "v1", "widgets", registry=registry)
    def removed(name: str, **_: Any) -> None:
        deleted.append(name)

    settings = kopf.OperatorSettings()
    settings.posting.enabled = False
    with OperatorThread(cluster.url, registry=registry, settings=settings):
        kube.create(WIDGETS, widget("w1"))
        status = kube.wait_for(
            "the handler's status", lambda: kube.get(WIDGETS, "w1").get("status")
        )
        assert status["seen"] == 1
        kube.delete(WIDGETS, "w1")
        kube.wait_for("the widget to be gone", lambda: not kube.list(WIDGETS), timeout=10)
    assert deleted == ["w1"]
