"""openapi.yaml: the API of one turn as an OpenAPI 3.1 document."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from enduro.scenarios import wording, yamltext
from enduro.scenarios.consistency import filter_parameter
from enduro.scenarios.memo import by_identity
from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    ComputedKind,
    Entity,
    FieldSpec,
    FieldType,
    FilterOp,
    Schema,
)

Json = dict[str, Any]

BASE_TYPES = {
    FieldType.STRING: "string",
    FieldType.EMAIL: "string",
    FieldType.ENUM: "string",
    FieldType.DATE: "string",
    FieldType.DATETIME: "string",
    FieldType.INTEGER: "integer",
    FieldType.REFERENCE: "integer",
    FieldType.NUMBER: "number",
    FieldType.BOOLEAN: "boolean",
}
FORMATS = {FieldType.EMAIL: "email", FieldType.DATE: "date"}
# Not format: date-time, which is RFC 3339 and demands an offset; ours is optional.
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$"
ERRORS = {
    "400": ("BadRequest", "The body is not valid JSON or not a JSON object."),
    "404": ("NotFound", "No such object (or path)."),
    "409": ("Conflict", "Unique violation, wrong state, failing guard or restricted delete."),
    "422": ("Unprocessable", "Validation failed; `field` names the offending key."),
}


def render_openapi(schema: Schema) -> str:
    """The document as YAML: ``yaml.safe_load`` of it equals ``openapi_document(schema)``.
    Text of entities, fields and list endpoints unchanged since an earlier turn is
    reused (see ``enduro.scenarios.memo``)."""
    parts = [_frame_text(schema.domain)[0]]
    parts.extend(_paths_text(ent) for ent in schema.entities)
    for an in schema.analytics:
        group = None
        if an.group_by is not None:
            group = schema.entity(an.entity).field(an.group_by).type
        parts.append(
            _cached(
                ("analytics", id(an), group),
                an,
                functools.partial(_analytics_text, schema, an),
            )
        )
    parts.append(_frame_text(schema.domain)[1])
    parts.extend(_schemas_text(ent) for ent in schema.entities)
    parts.append(_frame_text(schema.domain)[2])
    return "".join(parts)


@functools.lru_cache(maxsize=64)
def _frame_text(domain: str) -> tuple[str, str, str]:
    """The parts of the document that depend on nothing but the domain."""
    doc = openapi_document(Schema(domain=domain, entities=[]))
    head = yamltext.emit({"openapi": doc["openapi"], "info": doc["info"]}) + "paths:\n"
    head += yamltext.emit(doc["paths"], 2)
    middle = "components:\n  schemas:\n" + yamltext.emit(doc["components"]["schemas"], 4)
    tail = "  responses:\n" + yamltext.emit(doc["components"]["responses"], 4)
    return head, middle, tail


_PATHS: dict[tuple[object, ...], tuple[object, str]] = {}


def _cached(key: tuple[object, ...], pinned: object, make: Callable[[], str]) -> str:
    """Text for ``key``, whose ids belong to ``pinned`` (kept alive by the cache, so the
    ids cannot be reused by other objects while the entry exists)."""
    hit = _PATHS.get(key)
    if hit is not None and hit[0] is pinned:
        return hit[1]
    text = make()
    if len(_PATHS) > 16384:
        _PATHS.clear()
    _PATHS[key] = (pinned, text)
    return text


def _paths_text(ent: Entity) -> str:
    """Paths depend only on names, listing and single actions, which most changes leave
    alone; each part's text is reused while its inputs stay the same objects."""
    types = tuple(ent.field(flt.field).type for flt in ent.listing.filters)
    base_key = ("base", ent.name, ent.plural, id(ent.listing), types)
    parts = [
        _cached(
            base_key,
            ent.listing,
            lambda: yamltext.emit(_entity_paths(ent.model_copy(update={"actions": []})), 2),
        )
    ]
    for action in ent.actions:
        parts.append(
            _cached(
                ("action", ent.name, ent.plural, id(action)),
                action,
                functools.partial(_action_text, ent, action),
            )
        )
    return "".join(parts)


@by_identity()
def _property_texts(spec: FieldSpec) -> tuple[str, str]:
    """The property that may be null, and the one that may not."""
    nullable = yamltext.emit({spec.name: field_schema(spec, nullable=True)}, 8)
    return nullable, yamltext.emit({spec.name: field_schema(spec, nullable=False)}, 8)


def response_nullable(ent: Entity, spec: FieldSpec) -> bool:
    """Whether a response can hold null in this field: optional writable fields, state
    fields without a default, and computed fields with an input that can be null."""
    computed = spec.computed
    if computed is not None:
        if computed.kind is ComputedKind.RELATED_COUNT:
            return False
        return any(response_nullable(ent, ent.field(name)) for name in computed.inputs)
    if spec.read_only:
        return spec.default is None
    return not spec.required


@by_identity()
def _schemas_text(ent: Entity) -> str:
    name = yamltext.key(ent.name)
    out = [f"    {name}:\n      type: object\n      required:\n      - id\n"]
    out.extend(f"      - {yamltext.key(f.name)}\n" for f in ent.fields)
    out.append("      properties:\n")
    out.append(
        "        id:\n          type: integer\n          readOnly: true\n          minimum: 1\n"
    )
    out.extend(_property_texts(f)[0 if response_nullable(ent, f) else 1] for f in ent.fields)
    writable = ent.writable_fields()
    for suffix in ("create", "update"):
        out.append(f"    {yamltext.key(ent.name + '.' + suffix)}:\n      type: object\n")
        out.append("      additionalProperties: false\n")
        required = [f for f in writable if f.required]
        if suffix == "create" and required:
            out.append("      required:\n")
            out.extend(f"      - {yamltext.key(f.name)}\n" for f in required)
        if writable:
            out.append("      properties:\n")
            out.extend(_property_texts(f)[0 if not f.required else 1] for f in writable)
        else:
            out.append("      properties: {}\n")
    return "".join(out)


def openapi_document(schema: Schema, *, entities: bool = True) -> Json:
    """The OpenAPI 3.1 document as data (``entities=False``: without entity parts)."""
    paths: Json = {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Readiness probe",
                "responses": {
                    "200": _json(
                        "Ready", {"type": "object", "properties": {"status": {"const": "ok"}}}
                    )
                },
            }
        }
    }
    schemas: Json = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
        }
    }
    for ent in schema.entities if entities else []:
        paths.update(_entity_paths(ent))
        schemas.update(_entity_schemas(ent))
    for an in schema.analytics:
        paths[f"/analytics/{an.name}"] = _analytics_path(schema, an)
    responses = {
        name: _json(text, {"$ref": "#/components/schemas/Error"}) for name, text in ERRORS.values()
    }
    title = schema.domain.replace("_", " ").title()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title} API",
            "version": "1.0.0",
            "description": "Generated by enduro; SPEC.md is the authoritative description.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "responses": responses},
    }


def _json(description: str, body: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> Json:
    return {code: {"$ref": f"#/components/responses/{ERRORS[code][0]}"} for code in codes}


def _num(value: float, spec: FieldSpec) -> float | int:
    return int(value) if spec.type is FieldType.INTEGER or float(value).is_integer() else value


def field_schema(spec: FieldSpec, nullable: bool) -> Json:
    out: Json = {"type": [BASE_TYPES[spec.type], "null"] if nullable else BASE_TYPES[spec.type]}
    if spec.type in FORMATS:
        out["format"] = FORMATS[spec.type]
    if spec.type is FieldType.ENUM:
        out["enum"] = [*spec.choices, None] if nullable else list(spec.choices)
    if spec.minimum is not None:
        out["minimum"] = _num(spec.minimum, spec)
    if spec.maximum is not None:
        out["maximum"] = _num(spec.maximum, spec)
    if spec.min_length is not None:
        out["minLength"] = spec.min_length
    if spec.max_length is not None:
        out["maxLength"] = spec.max_length
    if spec.pattern is not None:
        out["pattern"] = f"^(?:{spec.pattern})$"
    if spec.type is FieldType.DATETIME:
        out["pattern"] = DATETIME_PATTERN
    if spec.default is not None:
        out["default"] = spec.default
    if spec.read_only:
        out["readOnly"] = True
    description = wording.field_phrase(spec).split(": ", 1)[1]
    if spec.unique:
        out["x-unique"] = True
    if spec.type is FieldType.REFERENCE:
        out["x-references"] = spec.target
        out["x-on-delete"] = spec.on_delete.value if spec.on_delete else None
    out["description"] = description
    return out


def _entity_schemas(ent: Entity) -> Json:
    title = ent.name
    props: Json = {"id": {"type": "integer", "readOnly": True, "minimum": 1}}  # see _schemas_text
    for spec in ent.fields:
        props[spec.name] = field_schema(spec, nullable=response_nullable(ent, spec))
    writable = ent.writable_fields()
    create_props = {f.name: field_schema(f, nullable=not f.required) for f in writable}
    update_props = {f.name: field_schema(f, nullable=not f.required) for f in writable}
    create: Json = {"type": "object", "additionalProperties": False, "properties": create_props}
    required = [f.name for f in writable if f.required]
    if required:
        create["required"] = required
    return {
        title: {
            "type": "object",
            "required": ["id", *(f.name for f in ent.fields)],
            "properties": props,
        },
        f"{title}.create": create,
        f"{title}.update": {
            "type": "object",
            "additionalProperties": False,
            "properties": update_props,
        },
    }


def _list_parameters(ent: Entity) -> list[Json]:
    params: list[Json] = []
    for flt in ent.listing.filters:
        spec = ent.field(flt.field)
        kind = "string" if flt.op is FilterOp.CONTAINS else BASE_TYPES[spec.type]
        params.append(
            {
                "name": filter_parameter(flt),
                "in": "query",
                "required": False,
                "description": f"{flt.op.value} filter on `{flt.field}`",
                "schema": {"type": kind},
            }
        )
    if ent.listing.sort_fields:
        values = [v for name in ent.listing.sort_fields for v in (name, f"-{name}")]
        params.append(
            {"name": "sort", "in": "query", "required": False, "schema": {"enum": values}}
        )
    page = ent.listing.pagination
    if page is not None:
        params.append(
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": page.max_limit,
                    "default": page.default_limit,
                },
            }
        )
        params.append(
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            }
        )
    return params


def _entity_paths(ent: Entity) -> Json:
    name, plural = ent.name, ent.plural
    body_create = {
        "required": True,
        "content": {"application/json": {"schema": _ref(f"{name}.create")}},
    }
    body_update = {
        "required": True,
        "content": {"application/json": {"schema": _ref(f"{name}.update")}},
    }
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    paths: Json = {
        f"/{plural}": {
            "post": {
                "operationId": f"create_{name}",
                "requestBody": body_create,
                "responses": {"201": _json("Created", _ref(name)), **_errors("400", "409", "422")},
            },
            "get": {
                "operationId": f"list_{plural}",
                "parameters": _list_parameters(ent),
                "responses": {
                    "200": _json("Objects", {"type": "array", "items": _ref(name)}),
                    **_errors("422"),
                },
            },
        },
        f"/{plural}/{{id}}": {
            "parameters": [id_param],
            "get": {
                "operationId": f"get_{name}",
                "responses": {"200": _json("The object", _ref(name)), **_errors("404")},
            },
            "patch": {
                "operationId": f"update_{name}",
                "requestBody": body_update,
                "responses": {
                    "200": _json("Updated", _ref(name)),
                    **_errors("400", "404", "409", "422"),
                },
            },
            "delete": {
                "operationId": f"delete_{name}",
                "responses": {"204": {"description": "Deleted"}, **_errors("404", "409")},
            },
        },
    }
    for action in ent.actions:
        paths.update(_action_paths(ent, action))
    return paths


def _action_text(ent: Entity, action: Action) -> str:
    return yamltext.emit(_action_paths(ent, action), 2)


def _analytics_text(schema: Schema, an: Analytics) -> str:
    return yamltext.emit({f"/analytics/{an.name}": _analytics_path(schema, an)}, 2)


def _action_paths(ent: Entity, action: Action) -> Json:
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        f"/{ent.plural}/{{id}}/{action.name}": {
            "parameters": [id_param],
            "post": {
                "operationId": f"{action.name}_{ent.name}",
                "summary": wording.action_phrase(action),
                "responses": {"200": _json("Moved", _ref(ent.name)), **_errors("404", "409")},
            },
        }
    }


def _analytics_path(schema: Schema, an: Analytics) -> Json:
    value: Json = {"type": ["number", "null"]}
    if an.op in {AggregateOp.COUNT, AggregateOp.SUM}:
        value = {"type": "number"}
    if an.group_by is None:
        body: Json = {"type": "object", "required": ["value"], "properties": {"value": value}}
    else:
        key = field_schema(schema.entity(an.entity).field(an.group_by), nullable=False)
        key.pop("readOnly", None)
        item = {
            "type": "object",
            "required": ["key", "value"],
            "properties": {"key": {"type": key["type"]}, "value": value},
        }
        body = {
            "type": "object",
            "required": ["groups"],
            "properties": {"groups": {"type": "array", "items": item}},
        }
    return {
        "get": {
            "operationId": f"analytics_{an.name}",
            "summary": wording.analytics_phrase(an),
            "description": "Query parameters `<field>=<value>` filter the objects first.",
            "responses": {"200": _json("The aggregate", body)},
        }
    }
