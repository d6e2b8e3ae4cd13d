"""Server-side apply and `metadata.managedFields`, simplified but with the same outcomes.

A field is a path to a leaf: a scalar, a list (lists are atomic here, as the apiserver
treats lists without merge keys) or an empty object. Every write records which manager
set which fields:

* an update (create, PUT, merge or JSON patch) gives the fields it changed to its manager
  (the `fieldManager` parameter, else the client's name from its User-Agent) and takes
  them away from everybody else;
* an apply (`application/apply-patch+yaml`) sets the fields of its configuration, owns
  them, and removes the fields it applied before and no longer does (unless another
  manager owns them too); changing a field another manager owns is a 409 conflict unless
  `force=true`, which moves the field to the applier.
"""

from __future__ import annotations

import datetime
from typing import Any

Obj = dict[str, Any]
Path = tuple[str, ...]

_SKIPPED_META = {"labels", "annotations", "finalizers", "ownerReferences"}


def leaves(obj: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Every field path of a document (minus apiVersion, kind and server-set metadata)."""
    found: dict[Path, Any] = {}
    if isinstance(obj, dict) and obj:
        for key, value in obj.items():
            if not prefix and key in ("apiVersion", "kind"):
                continue
            if prefix == ("metadata",) and key not in _SKIPPED_META:
                continue
            found.update(leaves(value, (*prefix, key)))
    elif prefix:
        found[prefix] = obj
    return found


def to_fields_v1(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return tree


def from_fields_v1(tree: Obj, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for key, sub in tree.items():
        if not key.startswith("f:"):
            continue
        path = (*prefix, key[2:])
        paths |= from_fields_v1(sub, path) if sub else {path}
    return paths


def _get(doc: Any, path: Path) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return False, None
        doc = doc[part]
    return True, doc


def _set(doc: Obj, path: Path, value: Any) -> None:
    for part in path[:-1]:
        child = doc.get(part)
        if not isinstance(child, dict):
            child = doc[part] = {}
        doc = child
    doc[path[-1]] = value


def _remove(doc: Obj, path: Path) -> None:
    parents = [doc]
    for part in path[:-1]:
        child = parents[-1].get(part)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(parents) - 1, 0, -1):  # drop objects the removal emptied
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)


def _now() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj: Obj) -> list[Obj]:
    entries: list[Obj] = obj.get("metadata", {}).get("managedFields") or []
    return entries


def _owned(entry: Obj) -> set[Path]:
    return from_fields_v1(entry.get("fieldsV1") or {})


def _store(
    entries: list[Obj],
    *,
    manager: str,
    operation: str,
    api_version: str,
    paths: set[Path],
    subresource: str | None,
) -> list[Obj]:
    kept = [
        e
        for e in entries
        if not (
            e["manager"] == manager
            and e["operation"] == operation
            and e.get("subresource") == subresource
        )
    ]
    if paths:
        entry: Obj = {
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": _now(),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(paths),
        }
        if subresource:
            entry["subresource"] = subresource
        kept.append(entry)
    return kept


def record_update(old: Obj | None, new: Obj, manager: str, subresource: str | None = None) -> None:
    """Give the fields `new` changed against `old` to `manager` (in place on `new`)."""
    before = leaves(old) if old is not None else {}
    after = leaves(new)
    changed = {p for p, v in after.items() if p not in before or before[p] != v}
    gone = set(before) - set(after)
    entries = []
    for entry in _entries(old) if old is not None else []:
        owned = _owned(entry) - changed - gone
        owned = {p for p in owned if p in after}
        if owned:
            entries.append({**entry, "fieldsV1": to_fields_v1(owned)})
    mine = next(
        (
            e
            for e in entries
            if e["manager"] == manager
            and e["operation"] == "Update"
            and e.get("subresource") == subresource
        ),
        None,
    )
    owned = (_owned(mine) if mine else set()) | changed
    entries = _store(
        entries,
        manager=manager,
        operation="Update",
        api_version=new["apiVersion"],
        paths=owned,
        subresource=subresource,
    )
    new["metadata"]["managedFields"] = entries


class ApplyConflictError(Exception):
    def __init__(self, conflicts: list[tuple[str, Path]], api_version: str) -> None:
        self.conflicts = conflicts
        lines = [
            f'conflict with "{manager}" using {api_version}: .{".".join(path)}'
            for manager, path in conflicts
        ]
        plural = "conflict" if len(lines) == 1 else "conflicts"
        if len(lines) == 1:
            message = f"Apply failed with 1 {plural}: {lines[0]}"
        else:
            message = f"Apply failed with {len(lines)} {plural}: " + "\n".join(lines)
        super().__init__(message)


def apply(old: Obj | None, config: Obj, manager: str, *, force: bool) -> Obj:
    """The object after `manager` applies `config` (a new object if `old` is None)."""
    applied = leaves({k: v for k, v in config.items() if k != "status"})
    api_version = config.get("apiVersion", "")
    entries = [dict(e) for e in _entries(old)] if old is not None else []
    current = leaves(old) if old is not None else {}
    conflicts: list[tuple[str, Path]] = []
    for entry in entries:
        if entry["manager"] == manager or entry.get("subresource"):
            continue
        for path in sorted(_owned(entry) & set(applied)):
            if path in current and current[path] != applied[path]:
                conflicts.append((entry["manager"], path))
    if conflicts and not force:
        raise ApplyConflictError(conflicts, api_version)
    taken = {path for _, path in conflicts}
    previous: set[Path] = set()
    others: set[Path] = set()
    result_entries: list[Obj] = []
    for entry in entries:
        owned = _owned(entry)
        if entry["manager"] == manager and entry["operation"] == "Apply":
            previous = owned
            continue
        owned -= taken
        others |= owned
        if owned:
            result_entries.append({**entry, "fieldsV1": to_fields_v1(owned)})
    new: Obj = _deep_copy(old) if old is not None else {}
    for path in previous - set(applied) - others:
        _remove(new, path)
    for path, value in applied.items():
        _set(new, path, _deep_copy(value))
    for key in ("apiVersion", "kind"):
        if key in config:
            new[key] = config[key]
    meta = new.setdefault("metadata", {})
    for key in ("name", "namespace", "generateName"):
        if key in (config.get("metadata") or {}):
            meta[key] = config["metadata"][key]
    meta["managedFields"] = _store(
        result_entries,
        manager=manager,
        operation="Apply",
        api_version=api_version,
        paths=set(applied),
        subresource=None,
    )
    return new


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
