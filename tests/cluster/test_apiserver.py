"""The emulated API server answers kubectl's requests the way a real one does: discovery,
OpenAPI, Tables, watch-list bookmarks, server-side apply, and validation of custom
resources against their CRD (schema, defaults, pruning, CEL). One test per behaviour
kubectl or a cluster would show differently."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cluster.cluster import ApiError, EmulatedCluster, KubeClient

GADGETS = "test.dev/v1/gadgets"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def gadget_crd() -> dict[str, Any]:
    spec_schema = {
        "type": "object",
        "required": ["size"],
        "x-kubernetes-validations": [
            {"rule": "self.size <= self.limit", "message": "size must not exceed limit"}
        ],
        "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "limit": {"type": "integer", "default": 5},
            "colour": {"type": "string", "enum": ["red", "blue"], "default": "red"},
            "code": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
            "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.test.dev"},
        "spec": {
            "group": "test.dev",
            "scope": "Namespaced",
            "names": {
                "kind": "Gadget",
                "plural": "gadgets",
                "singular": "gadget",
                "shortNames": ["gd"],
                "categories": ["toys"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                        {
                            "name": "Colour",
                            "type": "string",
                            "jsonPath": ".spec.colour",
                            "priority": 1,
                        },
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": spec_schema,
                                "status": {
                                    "type": "object",
                                    "properties": {"phase": {"type": "string"}},
                                },
                            },
                        }
                    },
                }
            ],
        },
    }


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[EmulatedCluster]:
    with EmulatedCluster(tmp_path, crds=[gadget_crd()]) as emulated:
        yield emulated


@pytest.fixture
def api(server: EmulatedCluster) -> KubeClient:
    return server.client("kubectl")


def gadget(name: str = "g1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "test.dev/v1", "kind": "Gadget", "metadata": {"name": name},
            "spec": {"size": 1, **spec}}  # fmt: skip


def get(server: EmulatedCluster, path: str, **headers: str) -> Any:
    response = requests.get(server.url + path, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


# -- discovery -------------------------------------------------------------------------


def test_core_discovery_names_group_version_v1(server: EmulatedCluster) -> None:
    assert get(server, "/api")["versions"] == ["v1"]
    core = get(server, "/api/v1")
    assert core["groupVersion"] == "v1"
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "events", "persistentvolumeclaims", "namespaces"} <= names


def test_subresources_carry_no_short_names_or_categories(server: EmulatedCluster) -> None:
    listed = {r["name"]: r for r in get(server, "/apis/test.dev/v1")["resources"]}
    assert listed["gadgets"]["shortNames"] == ["gd"]
    assert listed["gadgets"]["categories"] == ["toys"]
    status = listed["gadgets/status"]
    assert "shortNames" not in status and "categories" not in status
    assert status["verbs"] == ["get", "patch", "update"] and status["kind"] == "Gadget"
    groups = {g["name"] for g in get(server, "/apis")["groups"]}
    assert {"test.dev", "apps", "apiextensions.k8s.io"} <= groups


def test_installed_crds_are_listed_like_any_object(server: EmulatedCluster) -> None:
    crds = server.client().session.get(
        f"{server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions", timeout=5
    )
    assert [c["metadata"]["name"] for c in crds.json()["items"]] == ["gadgets.test.dev"]


# -- OpenAPI -----------------------------------------------------------------------------


def test_openapi_v3_lets_kubectl_leave_validation_to_the_server(server: EmulatedCluster) -> None:
    index = get(server, "/openapi/v3")["paths"]
    assert "apis/test.dev/v1" in index and "api/v1" in index
    document = get(server, index["apis/test.dev/v1"]["serverRelativeURL"])
    item = document["paths"]["/apis/test.dev/v1/namespaces/{namespace}/gadgets/{name}"]
    patch = item["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "test.dev", "version": "v1", "kind": "Gadget"
    }  # fmt: skip
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    # Custom resources take no strategic merge patch: kubectl must send a merge patch.
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    schema = document["components"]["schemas"]["dev.test.v1.Gadget"]
    assert schema["properties"]["spec"]["properties"]["size"]["maximum"] == 10


# -- Tables ----------------------------------------------------------------------------


def test_get_as_table_renders_the_printer_columns(server: EmulatedCluster, api: KubeClient) -> None:
    api.create(GADGETS, gadget(size=3))
    api.patch(GADGETS, "g1", {"status": {"phase": "Ready"}}, status=True)

    table = get(server, "/apis/test.dev/v1/namespaces/default/gadgets", Accept=TABLE)

    assert table["kind"] == "Table"
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns == [("Name", 0), ("Size", 0), ("Phase", 0), ("Colour", 1), ("Age", 0)]
    [row] = table["rows"]
    assert row["cells"][:4] == ["g1", 3, "Ready", "red"]
    assert row["cells"][4].endswith("s")  # an age, like "0s"
    assert row["object"]["metadata"]["name"] == "g1"


def test_pods_table_shows_ready_status_and_restarts(server: EmulatedCluster) -> None:
    pods = server.client()
    pods.create("v1/pods", {"metadata": {"name": "p1"}, "spec": {"containers": [{"name": "c"}]}})
    table = get(server, "/api/v1/namespaces/default/pods", Accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name", "Ready", "Status", "Restarts", "Age"
    ]  # fmt: skip
    assert table["rows"][0]["cells"][:4] == ["p1", "0/1", "Pending", "0"]


# -- watches -----------------------------------------------------------------------------


def test_watch_list_ends_the_initial_events_with_a_bookmark(
    server: EmulatedCluster, api: KubeClient
) -> None:
    api.create(GADGETS, gadget("a"))
    api.create(GADGETS, gadget("b"))
    params = {"watch": "true", "sendInitialEvents": "true", "allowWatchBookmarks": "true",
              "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": "1"}  # fmt: skip
    response = requests.get(
        f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets", params=params, timeout=5
    )
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in events] == [
        ("ADDED", "a"), ("ADDED", "b"), ("BOOKMARK", None)
    ]  # fmt: skip
    bookmark = events[-1]["object"]["metadata"]
    assert bookmark["annotations"] == {"k8s.io/initial-events-end": "true"}


# -- writes: conflicts and server-side apply ---------------------------------------------


def test_a_stale_update_is_a_409_conflict(api: KubeClient) -> None:
    created = api.create(GADGETS, gadget())
    api.patch(GADGETS, "g1", {"spec": {"size": 2}})
    stale = {**created, "spec": {"size": 3}}
    with pytest.raises(ApiError) as conflict:
        api.replace(GADGETS, "g1", stale)
    assert conflict.value.status == 409
    assert "the object has been modified" in conflict.value.body["message"]


def apply(server: EmulatedCluster, body: dict[str, Any], manager: str, **params: str) -> Any:
    return requests.patch(
        f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets/{body['metadata']['name']}",
        data=json.dumps(body),
        params={"fieldManager": manager, **params},
        headers={"Content-Type": "application/apply-patch+yaml"},
        timeout=5,
    )


def test_server_side_apply_creates_then_owns_and_prunes_its_fields(
    server: EmulatedCluster,
) -> None:
    created = apply(server, gadget(size=2, tags=["x"]), "kubectl")
    assert created.status_code == 201
    [entry] = created.json()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert entry["fieldsV1"]["f:spec"]["f:tags"] == {}

    again = apply(server, gadget(size=3), "kubectl")  # tags no longer applied

    assert again.status_code == 200
    assert again.json()["spec"] == {"size": 3, "limit": 5, "colour": "red"}


def test_applying_over_another_managers_field_conflicts_unless_forced(
    server: EmulatedCluster, api: KubeClient
) -> None:
    apply(server, gadget(size=2), "kubectl")
    api.patch(GADGETS, "g1", {"spec": {"size": 4}})  # manager "kubectl" here is the client

    other = apply(server, gadget(size=3), "ci-bot")
    assert other.status_code == 409
    assert other.json()["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl" using test.dev/v1: .spec.size'
    )
    forced = apply(server, gadget(size=3), "ci-bot", force="true")
    assert forced.status_code == 200 and forced.json()["spec"]["size"] == 3


def test_merge_patches_record_their_field_manager(api: KubeClient) -> None:
    api.create(GADGETS, gadget())
    patched = api.patch(GADGETS, "g1", {"metadata": {"labels": {"team": "a"}}})
    managers = {e["manager"]: e for e in patched["metadata"]["managedFields"]}
    assert managers["kubectl"]["operation"] == "Update"
    assert "f:labels" in managers["kubectl"]["fieldsV1"]["f:metadata"]


# -- validation --------------------------------------------------------------------------


def invalid(api: KubeClient, body: dict[str, Any], **params: str) -> dict[str, Any]:
    with pytest.raises(ApiError) as rejected:
        api._do("POST", api._path(GADGETS, "default"), json=body, params=params)
    error: dict[str, Any] = rejected.value.body
    error["code"] = rejected.value.status
    return error


def test_a_wrong_type_is_a_422_the_way_the_apiserver_words_it(api: KubeClient) -> None:
    error = invalid(api, gadget(size="two"))
    assert error["code"] == 422 and error["reason"] == "Invalid" and error["kind"] == "Status"
    assert error["message"] == (
        'Gadget.test.dev "g1" is invalid: spec.size: Invalid value: "two": '
        'spec.size in body must be of type integer: "two"'
    )
    assert error["details"]["causes"] == [
        {
            "reason": "FieldValueTypeInvalid",
            "field": "spec.size",
            "message": 'Invalid value: "two": spec.size in body must be of type integer: "two"',
        }
    ]
    assert error["details"]["kind"] == "Gadget" and error["details"]["group"] == "test.dev"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"size": 0}, "spec.size: Invalid value: 0: spec.size in body should be greater than"),
        ({"size": 11}, "spec.size in body should be less than or equal to 10"),
        ({"colour": "green"}, 'spec.colour: Unsupported value: "green": supported values: '),
        ({"code": "ABC"}, "spec.code in body should match '^[a-z]+$'"),
        ({"code": "abcdefghi"}, "spec.code: Too long: may not be more than 8 bytes"),
        ({"tags": ["a", "b", "c"]}, "spec.tags: Too many: 3: must have at most 2 items"),
    ],
)
def test_schema_limits_are_enforced(api: KubeClient, spec: dict[str, Any], says: str) -> None:
    assert says in invalid(api, gadget(**spec))["message"]


def test_a_missing_required_field_is_reported(api: KubeClient) -> None:
    body = gadget()
    del body["spec"]["size"]
    assert invalid(api, body)["message"].endswith("spec.size: Required value")


def test_cel_rules_run_against_the_defaulted_object(api: KubeClient) -> None:
    error = invalid(api, gadget(size=7))  # limit defaults to 5
    assert error["message"] == (
        'Gadget.test.dev "g1" is invalid: spec: Invalid value: "object": size must not exceed limit'
    )
    assert api.create(GADGETS, gadget(size=7, limit=8))["spec"]["limit"] == 8


def test_defaults_are_applied_on_create(api: KubeClient) -> None:
    assert api.create(GADGETS, gadget())["spec"] == {"size": 1, "limit": 5, "colour": "red"}


def test_unknown_fields_are_pruned_with_a_warning_by_default(server: EmulatedCluster) -> None:
    body = gadget(shape="round", extra={"anything": 1})
    response = requests.post(
        f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets", json=body, timeout=5
    )
    assert response.status_code == 201
    assert "shape" not in response.json()["spec"]
    assert response.json()["spec"]["extra"] == {"anything": 1}  # preserved
    assert response.headers["Warning"] == '299 - "unknown field \\"spec.shape\\""'


def test_unknown_fields_are_rejected_under_strict_field_validation(api: KubeClient) -> None:
    error = invalid(api, gadget(shape="round"), fieldValidation="Strict")
    assert error["code"] == 400 and error["reason"] == "BadRequest"
    assert error["message"] == (
        'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: '
        'unknown field "spec.shape"'
    )


def test_a_label_value_over_63_characters_is_rejected(api: KubeClient) -> None:
    body = gadget()
    body["metadata"]["labels"] = {"run": "x" * 64}
    error = invalid(api, body)
    assert error["code"] == 422
    assert (
        f'metadata.labels: Invalid value: "{"x" * 64}": must be no more than 63 characters'
        in (error["message"])
    )


def test_status_writes_are_validated_too(api: KubeClient) -> None:
    api.create(GADGETS, gadget())
    with pytest.raises(ApiError) as rejected:
        api.patch(GADGETS, "g1", {"status": {"phase": 3}}, status=True)
    assert rejected.value.status == 422
    assert "status.phase in body must be of type string" in rejected.value.body["message"]


def test_unchanged_invalid_fields_ratchet_through_updates(server: EmulatedCluster) -> None:
    # Stored under a laxer schema (admission off), the object can still be written as long
    # as the invalid field is left alone (CRD validation ratcheting, GA in 1.33).
    api = server.client("kubectl")
    server.call(setattr, server.emulator, "admission", False)
    api.create(GADGETS, gadget(size=0))
    server.call(setattr, server.emulator, "admission", True)

    labelled = api.patch(GADGETS, "g1", {"metadata": {"labels": {"a": "b"}}})
    status = api.patch(GADGETS, "g1", {"status": {"phase": "Broken"}}, status=True)

    assert labelled["spec"]["size"] == 0 and status["status"]["phase"] == "Broken"
    with pytest.raises(ApiError) as rejected:
        api.patch(GADGETS, "g1", {"spec": {"size": -1}})
    assert rejected.value.status == 422


def test_watching_as_table_sends_the_columns_once(server: EmulatedCluster, api: KubeClient) -> None:
    api.create(GADGETS, gadget("a", size=2))
    api.create(GADGETS, gadget("b", size=3))
    response = requests.get(
        f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets",
        params={"watch": "true", "timeoutSeconds": "1"},
        headers={"Accept": TABLE},
        timeout=5,
    )
    tables = [json.loads(line)["object"] for line in response.text.splitlines()]
    assert [t["kind"] for t in tables] == ["Table", "Table"]
    assert [c["name"] for c in tables[0]["columnDefinitions"]][:2] == ["Name", "Size"]
    assert tables[1]["columnDefinitions"] == []
    assert [t["rows"][0]["cells"][:2] for t in tables] == [["a", 2], ["b", 3]]


def test_orphan_deletion_keeps_the_dependents(server: EmulatedCluster, api: KubeClient) -> None:
    owner = api.create(GADGETS, gadget("owner"))
    ref = {"apiVersion": "test.dev/v1", "kind": "Gadget", "name": "owner",
           "uid": owner["metadata"]["uid"]}  # fmt: skip
    api.create(
        GADGETS, {**gadget("child"), "metadata": {"name": "child", "ownerReferences": [ref]}}
    )
    url = f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets/owner"

    requests.delete(url, json={"propagationPolicy": "Orphan"}, timeout=5)

    child = api.get(GADGETS, "child")
    assert "ownerReferences" not in child["metadata"]


def test_pod_logs_need_a_container_name_when_there_are_several(server: EmulatedCluster) -> None:
    pods = server.client()
    spec = {"initContainers": [{"name": "init"}], "containers": [{"name": "main"}]}
    pods.create("v1/pods", {"metadata": {"name": "p1"}, "spec": spec})
    url = f"{server.url}/api/v1/namespaces/default/pods/p1/log"

    unnamed = requests.get(url, timeout=5)
    assert unnamed.status_code == 400
    assert unnamed.json()["message"] == (
        "a container name must be specified for pod p1, choose one of: [main init]"
    )
    waiting = requests.get(url, params={"container": "main"}, timeout=5)
    assert 'container "main" in pod "p1" is waiting to start' in waiting.json()["message"]


def test_quiet_watches_that_allow_bookmarks_get_them(
    server: EmulatedCluster, api: KubeClient
) -> None:
    server.call(setattr, server.emulator, "bookmark_seconds", 0.2)
    created = api.create(GADGETS, gadget())
    params = {"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": "1",
              "resourceVersion": created["metadata"]["resourceVersion"]}  # fmt: skip
    response = requests.get(
        f"{server.url}/apis/test.dev/v1/namespaces/default/gadgets", params=params, timeout=5
    )
    events = [json.loads(line) for line in response.text.splitlines()]
    assert len(events) >= 3 and {e["type"] for e in events} == {"BOOKMARK"}
    assert events[0]["object"]["metadata"] == {
        "resourceVersion": created["metadata"]["resourceVersion"]
    }


def test_lists_come_in_name_order_like_etcd_keys(api: KubeClient) -> None:
    """A real API server lists by key, so `kubectl get` shows names sorted, whatever the
    order they were created in."""
    for name in ("b", "c", "a"):
        api.create(GADGETS, gadget(name))
    assert [g["metadata"]["name"] for g in api.list(GADGETS)] == ["a", "b", "c"]
