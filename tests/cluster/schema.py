"""What a real apiserver does to a custom resource before it stores it.

Against the installed CRD's `openAPIV3Schema` (structural schemas only, as v1 CRDs are):

* **defaulting**: `default` values fill in absent fields (under parents that exist);
* **pruning**: fields the schema does not declare are dropped (unless
  `x-kubernetes-preserve-unknown-fields`); with `fieldValidation=Strict` they are an error
  instead, with `Warn` (the default) a warning header;
* **validation**: types, enum, minimum/maximum, length and item limits, pattern, required,
  nullable, `x-kubernetes-int-or-string`;
* **CEL**: every `x-kubernetes-validations` rule runs (with `oldSelf` on updates), through
  the `common-expression-language` package.

Errors come back as `Cause`s worded like the apiserver's field errors, so a test sees what
`kubectl` would print.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from collections.abc import Iterator
from typing import Any

import cel

Obj = dict[str, Any]

_TYPE_NAMES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


@dataclasses.dataclass(frozen=True)
class Cause:
    """One field error: `reason` is the apiserver's cause type (FieldValueInvalid...)."""

    reason: str
    field: str
    message: str  # without the field: "Invalid value: 3: ..."

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _show(value: Any) -> str:
    """Values as Go's field errors quote them: strings in quotes, objects as their type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    if value is None:
        return "null"
    return str(value)


def _type_ok(value: Any, schema: Obj) -> bool:
    wanted = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if wanted is None:
        return True
    if wanted == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPE_NAMES[wanted])


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def apply_defaults(value: Any, schema: Obj) -> Any:
    """Fill in `default`s recursively (a copy is not made: mutate the given document)."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key not in value and "default" in sub:
                value[key] = _copy(sub["default"])
            if key in value and value[key] is not None:
                value[key] = apply_defaults(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in properties:
                    value[key] = apply_defaults(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(item, schema["items"]) for item in value]
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def prune(value: Any, schema: Obj, path: str = "") -> Iterator[str]:
    """Drop undeclared fields in place; yield each one's path (for Strict/Warn)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        if isinstance(value, dict) and "properties" in schema:
            for key, sub in schema["properties"].items():
                if key in value:
                    yield from prune(value[key], sub, _join(path, key))
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if properties is None and extra is None and schema.get("type") != "object":
            return
        for key in list(value):
            if properties and key in properties:
                yield from prune(value[key], properties[key], _join(path, key))
            elif isinstance(extra, dict):
                yield from prune(value[key], extra, _join(path, key))
            elif extra is True:
                continue
            else:
                del value[key]
                yield _join(path, key)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from prune(item, schema["items"], _join(path, index))


def validate(value: Any, schema: Obj, path: str, old: Any = None) -> list[Cause]:
    """Structural validation and CEL rules of one value against its schema."""
    causes: list[Cause] = []
    if value is None:
        if not schema.get("nullable"):
            causes.append(
                Cause(
                    "FieldValueTypeInvalid",
                    path,
                    f'Invalid value: "null": {path} in body must be of type '
                    f'{schema.get("type", "object")}: "null"',
                )
            )
        return causes
    if not _type_ok(value, schema):
        kind = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema["type"]
        causes.append(
            Cause(
                "FieldValueTypeInvalid",
                path,
                f"Invalid value: {_show(value)}: {path} in body must be of type {kind}: "
                f"{_show(value)}",
            )
        )
        return causes
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(_show(v) for v in schema["enum"])
        causes.append(
            Cause(
                "FieldValueNotSupported",
                path,
                f"Unsupported value: {_show(value)}: supported values: {supported}",
            )
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # OpenAPI v3.0 (what CRDs use): `exclusiveMinimum: true` makes `minimum` strict.
        if schema.get("exclusiveMinimum") is True and value <= schema.get("minimum", value - 1):
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {value}: {path} in body should be greater than "
                    f"{schema['minimum']}",
                )
            )
        elif "minimum" in schema and value < schema["minimum"]:
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {value}: {path} in body should be greater than or equal "
                    f"to {schema['minimum']}",
                )
            )
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {value}: {path} in body should be less than or equal "
                    f"to {schema['maximum']}",
                )
            )
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(
                Cause(
                    "FieldValueTooLong",
                    path,
                    f"Too long: may not be more than {schema['maxLength']} bytes",
                )
            )
        if "minLength" in schema and len(value) < schema["minLength"]:
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {_show(value)}: {path} in body should be at least "
                    f"{schema['minLength']} chars long",
                )
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {_show(value)}: {path} in body should match "
                    f"'{schema['pattern']}'",
                )
            )
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(
                Cause(
                    "FieldValueTooMany",
                    path,
                    f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
                )
            )
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    path,
                    f"Invalid value: {len(value)}: {path} in body should have at least "
                    f"{schema['minItems']} items",
                )
            )
        items = schema.get("items")
        if isinstance(items, dict):
            old_items = old if isinstance(old, list) else []
            for index, item in enumerate(value):
                before = old_items[index] if index < len(old_items) else None
                causes += validate(item, items, _join(path, index), before)
    if isinstance(value, dict):
        for required in schema.get("required", []):
            if required not in value:
                causes.append(Cause("FieldValueRequired", _join(path, required), "Required value"))
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        for key, sub in value.items():
            sub_schema = properties.get(key) or (extra if isinstance(extra, dict) else None)
            if sub_schema is not None:
                causes += validate(sub, sub_schema, _join(path, key), old_map.get(key))
    if not causes:
        causes += run_rules(value, schema, path, old)
    return causes


@functools.cache
def _program(rule: str) -> Any:
    return cel.compile(rule)


# A use of ``self`` that may read more than the fields named after it: ``self`` alone
# (``size(self)``, ``self == x``) or a method or macro called on it (``self.all(...)``).
_WHOLE_SELF = re.compile(r"\bself\b(?:(?!\.\w)|\.\w+\s*\()")
# ``self.a.b`` (and what follows: a call makes the last name a method, not a field).
_SELF_PATH = re.compile(r"\bself((?:\.\w+)+)(\s*\()?")

Paths = dict[str, "Paths"]  # a trie of field names; "*" marks a value read whole


@functools.cache
def _paths_read(expression: str) -> tuple[tuple[str, ...], ...] | None:
    """The field paths of ``self`` a rule reads, when it reads ``self`` only by field
    paths (``self.metadata.name.size()``, ``has(self.spec.x)``); None when it may read
    more."""
    if "oldSelf" in expression or _WHOLE_SELF.search(expression):
        return None
    paths = []
    for chain, call in _SELF_PATH.findall(expression):
        names = chain.split(".")[1:]
        paths.append(tuple(names[:-1] if call else names))
    return tuple(paths)


def _trie(paths: Iterator[tuple[str, ...]]) -> Paths:
    """The paths as one trie; a value read whole wins over paths below it."""
    trie: Paths = {}
    for path in paths:
        node = trie
        for name in path:
            if "*" in node:
                break
            node = node.setdefault(name, {})
        else:
            node.clear()
            node["*"] = {}
    return trie


def _pruned(value: Any, trie: Paths) -> Any:
    """``value`` cut down to the paths of ``trie``."""
    if "*" in trie or not isinstance(value, dict):
        return value
    return {key: _pruned(value[key], sub) for key, sub in trie.items() if key in value}


def _context(value: Any, old: Any, rules: list[Obj]) -> Any:
    """One CEL context for a node's rules: CEL converts its variables once, on first use
    (converting a whole ScenarioRun, its status and managed fields too, for each rule
    was most of what a status write cost). When every rule reads ``self`` by field
    paths, only those paths are converted."""
    read = [_paths_read(rule["rule"]) for rule in rules]
    if None not in read:
        value = _pruned(value, _trie(path for paths in read if paths for path in paths))
    context = cel.Context()
    context.add_variable("self", value)
    if old is not None and any("oldSelf" in rule["rule"] for rule in rules):
        context.add_variable("oldSelf", old)
    return context


def run_rules(value: Any, schema: Obj, path: str, old: Any = None) -> list[Cause]:
    """The node's `x-kubernetes-validations`; transition rules (oldSelf) only on updates.
    On an update that leaves the node as it was, a rule whose error would name the node
    itself (no fieldPath) is not run: ``ratchet`` would let that error through anyway,
    and most of an update (a status write's spec, say) is unchanged."""
    causes: list[Cause] = []
    unchanged = old is not None and value == old
    rules = [
        rule
        for rule in schema.get("x-kubernetes-validations", [])
        if not (unchanged and not rule.get("fieldPath"))
        and not ("oldSelf" in rule["rule"] and old is None)
    ]
    if not rules:
        return causes
    context = _context(value, old, rules)
    for rule in rules:
        expression = rule["rule"]
        try:
            passed = _program(expression).execute(context)
        except Exception as exc:  # an evaluation error fails the rule, like the apiserver
            field = _join(path, rule["fieldPath"].lstrip(".")) if rule.get("fieldPath") else path
            causes.append(
                Cause("FieldValueInvalid", field, f"Invalid value: {_show(value)}: {exc}")
            )
            continue
        if passed is True:
            continue
        message = rule.get("message") or f"failed rule: {expression}"
        if rule.get("messageExpression"):
            with contextlib.suppress(Exception):  # the apiserver falls back to `message`
                whole = {"self": value} if old is None else {"self": value, "oldSelf": old}
                message = str(_program(rule["messageExpression"]).execute(whole))
        field = path
        if rule.get("fieldPath"):
            field = (path + rule["fieldPath"]) if rule["fieldPath"].startswith(".") else path
        reason = {
            "FieldValueRequired": "FieldValueRequired",
            "FieldValueDuplicate": "FieldValueDuplicate",
            "FieldValueForbidden": "FieldValueForbidden",
        }.get(rule.get("reason", ""), "FieldValueInvalid")
        if reason == "FieldValueInvalid":
            causes.append(Cause(reason, field, f"Invalid value: {_show(value)}: {message}"))
        else:
            causes.append(Cause(reason, field, message))
    return causes


_MISSING = object()


def value_at(doc: Any, field: str) -> Any:
    """The value at a field error's path (`spec.env[0].name`); `_MISSING` if absent."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        if index:
            if not isinstance(doc, list) or int(index) >= len(doc):
                return _MISSING
            doc = doc[int(index)]
        elif isinstance(doc, dict) and name in doc:
            doc = doc[name]
        else:
            return _MISSING
    return doc


def ratchet(causes: list[Cause], new: Any, old: Any) -> list[Cause]:
    """Validation ratcheting (GA in 1.33): on updates, errors in fields left unchanged
    are let through, so an object stored under a laxer schema can still be written."""
    if old is None:
        return causes
    return [
        c for c in causes if value_at(new, c.field) is _MISSING
        or value_at(new, c.field) != value_at(old, c.field)
    ]  # fmt: skip


# -- metadata (every kind) ---------------------------------------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _qualified_name_errors(key: str) -> list[str]:
    prefix, _, name = key.rpartition("/")
    errors = []
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        errors.append("prefix part a lowercase RFC 1123 subdomain must consist of lower case")
    if not name or len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME.match(name):
        errors.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character"
        )
    return errors


def validate_metadata(meta: Obj, *, dns_label_name: bool = False) -> list[Cause]:
    """Name and label rules the apiserver applies to every object."""
    causes: list[Cause] = []
    name = meta.get("name", "")
    limit, pattern = (63, _DNS_LABEL) if dns_label_name else (253, _DNS_SUBDOMAIN)
    if name and (len(name) > limit or not pattern.match(name)):
        what = "RFC 1123 label" if dns_label_name else "RFC 1123 subdomain"
        causes.append(
            Cause(
                "FieldValueInvalid",
                "metadata.name",
                f'Invalid value: "{name}": a lowercase {what} must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character",
            )
        )
    for key, value in (meta.get("labels") or {}).items():
        for error in _qualified_name_errors(key):
            causes.append(
                Cause("FieldValueInvalid", "metadata.labels", f'Invalid value: "{key}": {error}')
            )
        if not isinstance(value, str):
            continue
        if len(value) > 63:
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    "metadata.labels",
                    f'Invalid value: "{value}": must be no more than 63 characters',
                )
            )
        elif not _LABEL_VALUE.match(value):
            causes.append(
                Cause(
                    "FieldValueInvalid",
                    "metadata.labels",
                    f'Invalid value: "{value}": a valid label must be an empty string or '
                    "consist of alphanumeric characters, '-', '_' or '.', and must start and "
                    "end with an alphanumeric character",
                )
            )
    for key in meta.get("annotations") or {}:
        for error in _qualified_name_errors(key):
            causes.append(
                Cause(
                    "FieldValueInvalid", "metadata.annotations", f'Invalid value: "{key}": {error}'
                )
            )
    return causes


def version_schema(crd: Obj, version: str) -> Obj | None:
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            schema: Obj | None = (entry.get("schema") or {}).get("openAPIV3Schema")
            return schema
    return None


def body_schema(schema: Obj) -> Obj:
    """The CRD schema minus apiVersion/kind/metadata, which the server checks itself."""
    properties = {
        k: v
        for k, v in (schema.get("properties") or {}).items()
        if k not in ("apiVersion", "kind", "metadata")
    }
    known = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}
    meta = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {**schema, "properties": {**known, "metadata": meta, **properties}}
