"""Discovery and OpenAPI documents, as a real apiserver serves them to kubectl.

* `/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`: the legacy discovery documents
  (kubectl falls back to them when the aggregated form is not offered). The core group's
  version is `v1`, not `/v1`; subresources (`pods/status`) are listed with their parent's
  kind and their own verbs, and no short names or categories (or `kubectl get sr` would
  also match `scenarioruns/status`).
* `/openapi/v3` and `/openapi/v3/<api|apis/group>/<version>`: per group-version documents
  with a path per resource (the PATCH operation lists the patch types the server accepts
  and the `fieldValidation` parameter, which is how kubectl decides to leave validation
  to the server) and a schema per kind taken from the CRD (`x-kubernetes-group-version-kind`).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "log": ["get"],
    "exec": ["create", "get"],
    "attach": ["create", "get"],
    "portforward": ["create", "get"],
    "proxy": ["create", "delete", "get", "patch", "update"],
    "eviction": ["create"],
    "binding": ["create"],
    "ephemeralcontainers": ["get", "patch", "update"],
    "resize": ["get", "patch", "update"],
    "finalize": ["update"],
}


def group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _entries(resources: Any) -> list[tuple[Any, Any]]:
    return [(key, resources[key]) for key in resources]


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_groups(resources: Any) -> Obj:
    versions: dict[str, list[str]] = {}
    for key, _ in _entries(resources):
        if key.group and key.version not in versions.setdefault(key.group, []):
            versions[key.group].append(key.version)
    groups = []
    for group, found in versions.items():
        listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in found]
        groups.append({"name": group, "versions": listed, "preferredVersion": listed[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(resources: Any, group: str, version: str) -> Obj | None:
    entries: list[Obj] = []
    for key, info in _entries(resources):
        if key.group != group or key.version != version:
            continue
        kind = info.kind or key.plural.capitalize()
        entry: Obj = {
            "name": key.plural,
            "singularName": info.singular or kind.lower(),
            "namespaced": bool(info.namespaced),
            "kind": kind,
            "verbs": sorted(info.verbs or {"get", "list"}),
        }
        if info.shortnames:
            entry["shortNames"] = sorted(info.shortnames)
        if info.categories:
            entry["categories"] = sorted(info.categories)
        entries.append(entry)
        for sub in sorted(info.subresources or ()):
            entries.append(
                {
                    "name": f"{key.plural}/{sub}",
                    "singularName": "",
                    "namespaced": bool(info.namespaced),
                    "kind": kind,
                    "verbs": SUBRESOURCE_VERBS.get(sub, ["get"]),
                }
            )
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": entries,
    }


# -- OpenAPI v3 --------------------------------------------------------------------------

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
PATCH_TYPES_CUSTOM = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
PATCH_TYPES_BUILTIN = (*PATCH_TYPES_CUSTOM, "application/strategic-merge-patch+json")


def _schema_name(group: str, version: str, kind: str) -> str:
    if not group:
        return f"io.k8s.api.core.{version}.{kind}"
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def openapi_index(resources: Any) -> Obj:
    paths: dict[str, Obj] = {}
    for key, _ in _entries(resources):
        prefix = f"apis/{key.group}/{key.version}" if key.group else f"api/{key.version}"
        paths[prefix] = {"serverRelativeURL": f"/openapi/v3/{prefix}?hash=emulated"}
    return {"paths": paths}


def _param(name: str, where: str = "query") -> Obj:
    return {"name": name, "in": where, "schema": {"type": "string", "uniqueItems": True}}


def openapi_group_version(resources: Any, crds: list[Obj], group: str, version: str) -> Obj | None:
    schemas: dict[str, Obj] = {
        OBJECT_META: {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    }
    paths: dict[str, Obj] = {}
    crd_schemas = {
        (crd["spec"]["group"], crd["spec"]["names"]["plural"]): v
        for crd in crds
        for v in crd["spec"]["versions"]
        if v["name"] == version
    }
    for key, info in _entries(resources):
        if key.group != group or key.version != version:
            continue
        kind = info.kind or key.plural.capitalize()
        gvk = {"group": group, "version": version, "kind": kind}
        name = _schema_name(group, version, kind)
        crd_version = crd_schemas.get((group, key.plural))
        if crd_version is not None:
            schema = dict((crd_version.get("schema") or {}).get("openAPIV3Schema") or {})
            properties = dict(schema.get("properties") or {})
            properties["metadata"] = {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}]}
            schema["properties"] = properties
        else:
            schema = {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}]},
                },
                "x-kubernetes-preserve-unknown-fields": True,
            }
        schemas[name] = {**schema, "x-kubernetes-group-version-kind": [gvk]}
        ref = {"$ref": f"#/components/schemas/{name}"}
        patch_types = PATCH_TYPES_CUSTOM if crd_version is not None else PATCH_TYPES_BUILTIN
        base = f"/apis/{group}/{version}" if group else f"/api/{version}"
        scope = f"{base}/namespaces/{{namespace}}" if info.namespaced else base
        query = [_param(p) for p in ("dryRun", "fieldManager", "fieldValidation")]
        content = {"application/json": {"schema": ref}}
        bound = {"kind": kind, "query": query, "content": content, "gvk": gvk}

        def operation(action: str, verb: str, body: bool, **bound: Any) -> Obj:
            return {
                "operationId": f"{verb}{bound['kind']}",
                "parameters": bound["query"] if body else [],
                "responses": {"200": {"description": "OK", "content": bound["content"]}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": bound["gvk"],
            }

        patch = operation("patch", "patch", True, **bound)
        patch["parameters"] = [*query, _param("force")]
        patch["requestBody"] = {
            "content": {t: {"schema": {"type": "object"}} for t in patch_types},
            "required": True,
        }
        put = operation("put", "replace", True, **bound)
        put["requestBody"] = {"content": {"*/*": {"schema": ref}}, "required": True}
        paths[f"{scope}/{key.plural}/{{name}}"] = {
            "get": operation("get", "read", False, **bound),
            "put": put,
            "patch": patch,
            "delete": operation("delete", "delete", False, **bound),
            "parameters": [_param("name", "path")]
            + ([_param("namespace", "path")] if info.namespaced else []),
        }
        post = operation("post", "create", True, **bound)
        post["requestBody"] = {"content": {"*/*": {"schema": ref}}, "required": True}
        paths[f"{scope}/{key.plural}"] = {
            "get": operation("list", "list", False, **bound),
            "post": post,
            "parameters": [_param("namespace", "path")] if info.namespaced else [],
        }
    if len(schemas) == 1:
        return None
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
