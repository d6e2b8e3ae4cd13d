"""Server-side Table rendering (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`).

kubectl asks every `get` for a Table and prints its columns. Custom resources get theirs
from the CRD's `additionalPrinterColumns` (Name first; Age when none are declared), the
built-in kinds we use (pods, events, PVCs, namespaces) the columns the apiserver prints.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
Column = dict[str, Any]

NAME = {"name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace."}  # fmt: skip


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def human_age(timestamp: str | None) -> str:
    """Go's duration.HumanDuration of the time since `timestamp` (what AGE shows)."""
    if not timestamp:
        return "<unknown>"
    then = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    seconds = int((datetime.datetime.now(tz=datetime.UTC) - then).total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{hours // 24}d"


_SEGMENT = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.(\w+)==[\"']([^\"']*)[\"']\)\]")


def json_path(obj: Any, path: str) -> Any:
    """The subset of JSONPath printer columns use: `.a.b`, `.a[0]`, `.a[?(@.type=="X")].b`."""
    path = path.strip().removeprefix("{").removesuffix("}")
    node: Any = obj
    for match in _SEGMENT.finditer(path):
        key, index, field, value = match.groups()
        if node is None:
            return None
        if key is not None:
            node = node.get(key) if isinstance(node, dict) else None
        elif index is not None:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
        else:
            found = [i for i in node or [] if isinstance(i, dict) and i.get(field) == value]
            node = found[0] if found else None
    return node


def _cell(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ == "date":
        return human_age(str(value))
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return value


def crd_columns(version: Obj) -> list[Column]:
    declared = version.get("additionalPrinterColumns")
    if declared is None:
        declared = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    return [
        {
            "name": c["name"],
            "type": c["type"],
            "format": c.get("format", ""),
            "description": c.get("description", ""),
            "priority": c.get("priority", 0),
            "jsonPath": c["jsonPath"],
        }
        for c in declared
    ]


def _crd_row(columns: list[Column]) -> Callable[[Obj], list[Any]]:
    def row(obj: Obj) -> list[Any]:
        cells = [obj["metadata"]["name"]]
        cells += [_cell(json_path(obj, c["jsonPath"]), c["type"]) for c in columns]
        return cells

    return row


# -- built-in kinds ----------------------------------------------------------------------


def _col(name: str, type_: str = "string", priority: int = 0) -> Column:
    return {"name": name, "type": type_, "format": "", "description": "", "priority": priority}


def _pod_row(pod: Obj) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    containers = spec.get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for s in statuses:
        state = s.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state and reason not in ("Succeeded", "Failed"):
            terminated = state["terminated"]
            reason = terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}"
    if status.get("phase") == "Succeeded":
        reason = "Completed"
    elif status.get("phase") == "Failed":
        reason = status.get("reason") or "Error"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    if any(g for g in spec.get("schedulingGates") or []) and status.get("phase") == "Pending":
        reason = "SchedulingGated"
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(containers)}",
        reason,
        str(restarts),
        human_age(pod["metadata"].get("creationTimestamp")),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        "<none>",
        "<none>",
    ]


_POD = [
    NAME,
    _col("Ready"),
    _col("Status"),
    _col("Restarts"),
    _col("Age"),
    _col("IP", priority=1),
    _col("Node", priority=1),
    _col("Nominated Node", priority=1),
    _col("Readiness Gates", priority=1),
]


def _event_row(event: Obj) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = event.get("lastTimestamp") or event.get("eventTime")
    source = event.get("source") or {}
    return [
        human_age(last),
        event.get("type", ""),
        event.get("reason", ""),
        f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        source.get("component") or event.get("reportingComponent", ""),
        event.get("message", ""),
        human_age(event.get("firstTimestamp") or last),
        event.get("count", 1),
        event["metadata"]["name"],
    ]


_EVENT = [
    _col("Last Seen"),
    _col("Type"),
    _col("Reason"),
    _col("Object"),
    _col("Subobject", priority=1),
    _col("Source", priority=1),
    _col("Message"),
    _col("First Seen", priority=1),
    _col("Count", "integer", priority=1),
    {**_col("Name", priority=1), "format": "name"},
]


def _pvc_row(pvc: Obj) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage", "")
    modes = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}
    return [
        pvc["metadata"]["name"],
        status.get("phase", "Pending"),
        spec.get("volumeName", ""),
        capacity,
        ",".join(modes.get(m, m) for m in status.get("accessModes") or []),
        spec.get("storageClassName") or "<unset>",
        "<unset>",
        human_age(pvc["metadata"].get("creationTimestamp")),
        spec.get("volumeMode", "Filesystem"),
    ]


_PVC = [
    NAME,
    _col("Status"),
    _col("Volume"),
    _col("Capacity"),
    _col("Access Modes"),
    _col("StorageClass"),
    _col("VolumeAttributesClass"),
    _col("Age"),
    _col("VolumeMode", priority=1),
]


def _namespace_row(ns: Obj) -> list[Any]:
    return [
        ns["metadata"]["name"],
        (ns.get("status") or {}).get("phase", "Active"),
        human_age(ns["metadata"].get("creationTimestamp")),
    ]


BUILTIN: dict[str, tuple[list[Column], Callable[[Obj], list[Any]]]] = {
    "pods": (_POD, _pod_row),
    "events": (_EVENT, _event_row),
    "persistentvolumeclaims": (_PVC, _pvc_row),
    "namespaces": ([NAME, _col("Status"), _col("Age")], _namespace_row),
}


def _default_row(obj: Obj) -> list[Any]:
    return [obj["metadata"]["name"], human_age(obj["metadata"].get("creationTimestamp"))]


def table(
    objects: list[Obj],
    *,
    plural: str,
    crd_version: Obj | None,
    resource_version: str,
    include_object: str = "Metadata",
) -> Obj:
    """A meta.k8s.io/v1 Table of `objects`."""
    if crd_version is not None:
        columns = crd_columns(crd_version)
        definitions = [NAME, *({k: v for k, v in c.items() if k != "jsonPath"} for c in columns)]
        row = _crd_row(columns)
    elif plural in BUILTIN:
        definitions, row = BUILTIN[plural]
    else:
        definitions, row = [NAME, _col("Age")], _default_row
    rows = []
    for obj in objects:
        entry: Obj = {"cells": row(obj)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
