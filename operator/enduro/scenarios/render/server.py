"""The ground-truth Flask server of one schema, as explicit generated Python source.

``render_server(schema)`` writes the server a careful engineer would write by hand from
SPEC.md: one section per entity with every field's validation spelled out, the list
endpoint's filters, sort and pagination, the actions with their guards, the delete
policies and the computed fields, then one function per analytics endpoint. It never
loads the schema at run time. The HTTP meaning follows ``docs/rest-conventions.md``.

The text is a pure function of the schema (byte-identical for equal schemas).
"""

from __future__ import annotations

from collections.abc import Iterator

from enduro.scenarios.memo import edits
from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    ComputedKind,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    OnDelete,
    RelatedGuard,
    Scalar,
    Schema,
    entities_named,
)

RUN_SH = """#!/bin/sh
# Starts the ground-truth server on 0.0.0.0:$PORT.
cd "$(dirname "$0")"
exec "${PYTHON:-python}" app.py
"""

PRELUDE = '''
import io
import json
import os
import re
import sys
import threading
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

app = Flask(__name__)
app.json.sort_keys = False  # objects keep id first, then schema order
LOCK = threading.RLock()
NEXT_IDS: dict[str, int] = {}

EMAIL = re.compile(r"[^@\\s]+@[^@\\s]+\\.[^@\\s]+")
DATE = re.compile(r"\\d{4}-\\d{2}-\\d{2}")
DATETIME = re.compile(
    r"\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?(Z|[+-]\\d{2}:\\d{2})?"
)
INTEGER_TEXT = re.compile(r"-?\\d+")


class ApiError(Exception):
    """Answers ``status`` with ``{"error": message}`` (plus ``"field"`` when given)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@app.errorhandler(ApiError)
def api_error(error: ApiError):
    body = {"error": error.message}
    if error.field is not None:
        body["field"] = error.field
    return jsonify(body), error.status


@app.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return jsonify({"error": str(error.description)}), error.code


@app.get("/health")
def health():
    return {"status": "ok"}


def next_id(plural: str) -> int:
    NEXT_IDS[plural] = NEXT_IDS.get(plural, 0) + 1
    return NEXT_IDS[plural]


def read_body() -> dict:
    """The JSON object of the request body, else 400."""
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def reject_keys(body: dict, writable: tuple[str, ...]) -> None:
    for key in body:
        if key not in writable:
            raise ApiError(422, f"{key!r} is not a writable field", key)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"{field} {message}", field)


def is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_email(value: str) -> bool:
    return EMAIL.fullmatch(value) is not None


def is_date(value: str) -> bool:
    if DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_datetime(value: str) -> bool:
    if DATETIME.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def instant(value: str) -> datetime:
    """A datetime text as a comparable naive UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def parse_text(name: str, text: str) -> object:
    return None if text == "null" else text


def parse_integer(name: str, text: str) -> object:
    if text == "null":
        return None
    if INTEGER_TEXT.fullmatch(text) is None:
        raise ApiError(422, f"{name} must be an integer", name)
    return int(text)


def parse_number(name: str, text: str) -> object:
    if text == "null":
        return None
    try:
        return float(text)
    except ValueError:
        raise ApiError(422, f"{name} must be a number", name) from None


def parse_boolean(name: str, text: str) -> object:
    if text == "null":
        return None
    if text not in ("true", "false"):
        raise ApiError(422, f"{name} must be true or false", name)
    return text == "true"


def parse_date(name: str, text: str) -> object:
    if not is_date(text):
        raise ApiError(422, f"{name} must be a date", name)
    return text


def parse_datetime(name: str, text: str) -> object:
    if not is_datetime(text):
        raise ApiError(422, f"{name} must be a datetime", name)
    return instant(text)


def plain_key(value: object) -> object:
    return value


def instant_key(value: object) -> object:
    return instant(value)


def filter_equal(items: list[dict], name: str, parse, args) -> list[dict]:
    """``?<name>=<value>``: equality; ``null`` matches null."""
    if name not in args:
        return items
    wanted = parse(name, args[name])
    return [item for item in items if item[name] == wanted]


def filter_bound(items, name: str, param: str, parse, key, lower: bool, args) -> list[dict]:
    """``?<name>_min=`` / ``?<name>_max=``: inclusive bounds; nulls never match."""
    if param not in args:
        return items
    bound = parse(param, args[param])
    if bound is None:
        raise ApiError(422, f"{param} needs a value", param)
    kept = []
    for item in items:
        if item[name] is None:
            continue
        value = key(item[name])
        if (value >= bound) if lower else (value <= bound):
            kept.append(item)
    return kept


def filter_contains(items: list[dict], name: str, args) -> list[dict]:
    """``?<name>_contains=<text>``: case-insensitive substring; nulls never match."""
    param = f"{name}_contains"
    if param not in args:
        return items
    needle = args[param].lower()
    return [item for item in items if item[name] is not None and needle in str(item[name]).lower()]


def sort_items(items: list[dict], args, keys: dict) -> list[dict]:
    """``?sort=<field>`` / ``?sort=-<field>``: nulls last, ties by ascending id."""
    text = args.get("sort")
    if text is None:
        return items
    name = text[1:] if text.startswith("-") else text
    if name not in keys:
        raise ApiError(422, f"cannot sort by {name!r}", "sort")
    key = keys[name]
    present = [item for item in items if item[name] is not None]
    missing = [item for item in items if item[name] is None]
    # Python's sort is stable, also with reverse=True, so id order breaks ties.
    present.sort(key=lambda item: key(item[name]), reverse=text.startswith("-"))
    return present + missing


def query_int(args, name: str, default: int, lowest: int, highest: int | None) -> int:
    text = args.get(name)
    if text is None:
        return default
    if INTEGER_TEXT.fullmatch(text) is None:
        raise ApiError(422, f"{name} must be an integer", name)
    value = int(text)
    if value < lowest or (highest is not None and value > highest):
        raise ApiError(422, f"{name} is out of range", name)
    return value


def holds(value: object, op: str, other: object) -> bool:
    """Guards and analytics conditions; an ordering comparison with null fails."""
    if op == "is_set":
        return value is not None
    if op == "is_null":
        return value is None
    if op == "eq":
        return value == other
    if op == "ne":
        return value != other
    if value is None or other is None:
        return False
    if op == "gt":
        return value > other
    if op == "gte":
        return value >= other
    if op == "lt":
        return value < other
    return value <= other


def aggregate(op: str, rows: list[dict], field: str | None) -> object:
    """count/sum/avg/min/max; null field values are skipped."""
    if op == "count":
        return len(rows)
    values = [row[field] for row in rows if row[field] is not None]
    if op == "sum":
        return sum(values)
    if not values:
        return None
    if op == "avg":
        return sum(values) / len(values)
    if op == "min":
        return min(values)
    return max(values)


def group_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def grouped(op: str, rows: list[dict], field: str | None, by: str) -> dict:
    groups: dict = {}
    for row in rows:
        if row[by] is not None:
            groups.setdefault(row[by], []).append(row)
    keys = sorted(groups, key=group_text)
    return {"groups": [{"key": key, "value": aggregate(op, groups[key], field)} for key in keys]}
'''

MAIN = """

MAX_HEADERS = 100
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n"


class KeepAliveHandler(BaseHTTPRequestHandler):
    \"\"\"Serves the app over HTTP/1.1 keep-alive: one connection and thread per client.
    (Werkzeug's development server closes the connection after every response.)\"\"\"

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        return

    def handle_one_request(self):
        # The request is read by hand: http.server's header parsing (the email package)
        # cost about as much CPU as Flask's dispatch of a small request.
        line = self.rfile.readline(65537)
        if not line:
            self.close_connection = True
            return
        parts = line.split()
        if len(parts) != 3 or len(line) > 65536:
            self.close_connection = True
            self.wfile.write(BAD_REQUEST)
            return
        method, target, version = (part.decode("latin-1") for part in parts)
        environ = {}
        for _ in range(MAX_HEADERS):
            header = self.rfile.readline(65537)
            if header in (b"\\r\\n", b"\\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            environ["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
        length = int(environ.pop("HTTP_CONTENT_LENGTH", "") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = target.partition("?")
        environ.update(
            {
                "REQUEST_METHOD": method,
                "SCRIPT_NAME": "",
                "PATH_INFO": unquote(path, encoding="latin-1"),
                "QUERY_STRING": query,
                "CONTENT_TYPE": environ.pop("HTTP_CONTENT_TYPE", ""),
                "CONTENT_LENGTH": str(length),
                "SERVER_NAME": "0.0.0.0",
                "SERVER_PORT": str(self.server.server_address[1]),
                "SERVER_PROTOCOL": version,
                "REMOTE_ADDR": self.client_address[0],
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        connection = environ.get("HTTP_CONNECTION", "").lower()
        self.close_connection = connection == "close" or (
            version != "HTTP/1.1" and connection != "keep-alive"
        )
        reply = []

        def start_response(status, headers, exc_info=None):
            reply[:] = [status, headers]
            return lambda data: None

        chunks = app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = reply
        lines = [f"HTTP/1.1 {status}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "content-length"]
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = "\\r\\n".join(lines) + "\\r\\n\\r\\n"
        self.wfile.write(head.encode("latin-1") + payload)  # one write: headers and body


if __name__ == "__main__":
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), KeepAliveHandler)
    server.daemon_threads = True
    print(f"serving on port {server.server_address[1]}", flush=True)
    server.serve_forever()
"""

TEXT_TYPES = frozenset(
    {FieldType.STRING, FieldType.EMAIL, FieldType.ENUM, FieldType.DATE, FieldType.DATETIME}
)
_PARSERS = {
    FieldType.STRING: "parse_text",
    FieldType.EMAIL: "parse_text",
    FieldType.ENUM: "parse_text",
    FieldType.DATE: "parse_text",
    FieldType.DATETIME: "parse_text",
    FieldType.INTEGER: "parse_integer",
    FieldType.REFERENCE: "parse_integer",
    FieldType.NUMBER: "parse_number",
    FieldType.BOOLEAN: "parse_boolean",
}


def render_server(schema: Schema) -> dict[str, str]:
    """The ground-truth server's files: ``app.py`` and ``run.sh``."""
    parts = [f'"""Ground-truth server of the {schema.domain} API (generated by enduro)."""\n']
    parts.append(PRELUDE)
    referencing: dict[str, list[tuple[str, str, str, OnDelete | None]]] = {}
    for other in schema.entities:
        for spec in other.fields:
            if spec.type is FieldType.REFERENCE and spec.target is not None:
                row = (other.name, other.plural, spec.name, spec.on_delete)
                referencing.setdefault(spec.target, []).append(row)
    for ent in schema.entities:
        named = tuple((name, schema.entity(name).plural) for name in entities_named(ent))
        facts = (named, tuple(referencing.get(ent.name, ())))
        parts.append(_entity_text(schema, ent, facts))
    parts.append(_registries(schema))
    if schema.analytics:
        parts.append("\n".join(_analytics_section(schema)))
    parts.append(MAIN)
    return {"app.py": "\n".join(parts), "run.sh": RUN_SH}


def _lit(value: Scalar | None) -> str:
    """A Python literal; floats that are whole numbers print as integers."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _store(ent: Entity) -> str:
    return ent.plural.upper()


def _upper(ent: Entity) -> str:
    return ent.name.upper()


_SECTIONS: dict[tuple[int, int, object], tuple[Entity, str]] = {}
_MAX_SECTIONS = 8192


def _entity_text(schema: Schema, ent: Entity, facts: object) -> str:
    """An entity's section, reused while the entity object (held, so its id stays its
    own) and ``facts`` are the same: what the section reads of other entities, the
    plurals of those it names (``entities_named``) and each reference to this one
    (name, plural, field, policy)."""
    key = (edits(), id(ent), facts)
    hit = _SECTIONS.get(key)
    if hit is not None:
        return hit[1]
    text = "\n".join(_entity_section(schema, ent))
    if len(_SECTIONS) >= _MAX_SECTIONS:
        _SECTIONS.clear()
    _SECTIONS[key] = (ent, text)
    return text


def _entity_section(schema: Schema, ent: Entity) -> Iterator[str]:
    writable = tuple(f.name for f in ent.writable_fields())
    yield ""
    yield ""
    yield f"# {'=' * 76}"
    yield f"# {ent.name} -- /{ent.plural}"
    yield f"# {'=' * 76}"
    yield ""
    yield f"{_store(ent)}: dict[int, dict] = {{}}"
    yield f"{_upper(ent)}_WRITABLE = {writable!r}"
    yield from _checks(schema, ent)
    yield from _create(ent)
    yield from _patch(ent)
    yield from _unique(ent)
    yield from _view(schema, ent)
    yield from _routes(schema, ent)
    yield from _deletes(schema, ent)
    for action in ent.actions:
        yield from _action(schema, ent, action)


def _checks(schema: Schema, ent: Entity) -> Iterator[str]:
    for spec in ent.writable_fields():
        yield ""
        yield ""
        yield f"def check_{ent.name}_{spec.name}(value: object) -> None:"
        yield f'    """{ent.name}.{spec.name}: {_describe(spec)}."""'
        yield from ("    " + line for line in _check_body(schema, spec))


def _describe(spec: FieldSpec) -> str:
    words = [spec.type.value]
    if spec.minimum is not None:
        words.append(f">= {_lit(spec.minimum)}")
    if spec.maximum is not None:
        words.append(f"<= {_lit(spec.maximum)}")
    if spec.min_length is not None:
        words.append(f"at least {spec.min_length} characters")
    if spec.max_length is not None:
        words.append(f"at most {spec.max_length} characters")
    if spec.pattern is not None:
        words.append("matching a pattern")
    if spec.target is not None:
        words.append(f"id of a {spec.target}")
    return ", ".join(words)


def _check_body(schema: Schema, spec: FieldSpec) -> Iterator[str]:
    name = spec.name
    kind = spec.type
    # Null fails the type check (a missing required field is 422 naming it); an enum's
    # choice check also rejects every non-string, so it needs no type check of its own.
    if kind in TEXT_TYPES and kind is not FieldType.ENUM:
        yield "if not isinstance(value, str):"
        yield f'    raise invalid("{name}", "must be a string")'
    elif kind in {FieldType.INTEGER, FieldType.REFERENCE}:
        yield "if not is_integer(value):"
        yield f'    raise invalid("{name}", "must be an integer")'
    elif kind is FieldType.NUMBER:
        yield "if not is_number(value):"
        yield f'    raise invalid("{name}", "must be a number")'
    elif kind is FieldType.BOOLEAN:
        yield "if not isinstance(value, bool):"
        yield f'    raise invalid("{name}", "must be true or false")'
    if kind is FieldType.ENUM:
        yield f"if value not in {tuple(spec.choices)!r}:"
        yield f'    raise invalid("{name}", "must be one of {", ".join(spec.choices)}")'
    elif kind is FieldType.EMAIL:
        yield "if not is_email(value):"
        yield f'    raise invalid("{name}", "must be an email address")'
    elif kind is FieldType.DATE:
        yield "if not is_date(value):"
        yield f'    raise invalid("{name}", "must be a date YYYY-MM-DD")'
    elif kind is FieldType.DATETIME:
        yield "if not is_datetime(value):"
        yield f'    raise invalid("{name}", "must be an ISO 8601 datetime")'
    if spec.minimum is not None:
        yield f"if value < {_lit(spec.minimum)}:"
        yield f'    raise invalid("{name}", "must be at least {_lit(spec.minimum)}")'
    if spec.maximum is not None:
        yield f"if value > {_lit(spec.maximum)}:"
        yield f'    raise invalid("{name}", "must be at most {_lit(spec.maximum)}")'
    if spec.min_length is not None:
        yield f"if len(value) < {spec.min_length}:"
        yield f'    raise invalid("{name}", "must have at least {spec.min_length} characters")'
    if spec.max_length is not None:
        yield f"if len(value) > {spec.max_length}:"
        yield f'    raise invalid("{name}", "must have at most {spec.max_length} characters")'
    if spec.pattern is not None:
        yield f"if re.fullmatch({spec.pattern!r}, value) is None:"
        yield f'    raise invalid("{name}", "does not match the pattern")'
    if kind is FieldType.REFERENCE:
        yield f"if value not in {schema.entity(spec.target or '').plural.upper()}:"
        yield f'    raise invalid("{name}", "must be the id of an existing {spec.target}")'


def _create(ent: Entity) -> Iterator[str]:
    yield ""
    yield ""
    yield f"def create_{ent.name}(body: dict) -> dict:"
    yield f'    """Validates a POST body: a new {ent.name} without its id."""'
    yield f"    reject_keys(body, {_upper(ent)}_WRITABLE)"
    yield "    item: dict = {}"
    for spec in ent.fields:
        if spec.computed is not None:
            continue
        if spec.read_only:
            yield f"    item[{spec.name!r}] = {_lit(spec.default)}  # state, moved by actions"
            continue
        if spec.required:
            yield f"    value = body.get({spec.name!r})  # required: null fails the check"
            yield f"    check_{ent.name}_{spec.name}(value)"
        else:
            yield f"    value = body.get({spec.name!r}, {_lit(spec.default)})"
            yield "    if value is not None:"
            yield f"        check_{ent.name}_{spec.name}(value)"
        yield f"    item[{spec.name!r}] = value"
    if any(f.unique for f in ent.fields):
        yield f"    check_{ent.name}_unique(item, None)"
    yield "    return item"


def _patch(ent: Entity) -> Iterator[str]:
    yield ""
    yield ""
    yield f"def patch_{ent.name}(item: dict, body: dict) -> None:"
    yield f'    """Validates a PATCH body, then applies it to the stored {ent.name}."""'
    yield f"    reject_keys(body, {_upper(ent)}_WRITABLE)"
    yield "    changes = {}"
    for spec in ent.writable_fields():
        yield f"    if {spec.name!r} in body:"
        yield f"        value = body[{spec.name!r}]"
        if spec.required:
            yield f"        check_{ent.name}_{spec.name}(value)  # required: null fails"
        else:
            yield "        if value is not None:"
            yield f"            check_{ent.name}_{spec.name}(value)"
        yield f"        changes[{spec.name!r}] = value"
    if any(f.unique for f in ent.fields):
        yield f"    check_{ent.name}_unique({{**item, **changes}}, item['id'])"
    yield "    item.update(changes)"


def _unique(ent: Entity) -> Iterator[str]:
    uniques = [f for f in ent.fields if f.unique]
    if not uniques:
        return  # nothing to check: create and patch do not call it
    yield ""
    yield ""
    yield f"def check_{ent.name}_unique(candidate: dict, own_id: int | None) -> None:"
    yield f'    """409 when another {ent.name} holds the same non-null value."""'
    yield f"    others = [other for other in {_store(ent)}.values() if other['id'] != own_id]"
    for spec in uniques:
        yield f"    value = candidate[{spec.name!r}]"
        yield f"    if value is not None and any(o[{spec.name!r}] == value for o in others):"
        yield f'        raise ApiError(409, "{spec.name} is taken", "{spec.name}")'


def _view(schema: Schema, ent: Entity) -> Iterator[str]:
    yield ""
    yield ""
    yield f"def {ent.name}_view(item: dict) -> dict:"
    yield f'    """The response object of a {ent.name}: id, then every field in schema order."""'
    for spec in ent.fields:
        if spec.computed is None:
            continue
        yield from ("    " + line for line in _computed_lines(schema, spec))
    yield "    return {"
    yield "        'id': item['id'],"
    for spec in ent.fields:
        source = spec.name if spec.computed is not None else f"item[{spec.name!r}]"
        yield f"        {spec.name!r}: {source},"
    yield "    }"


def _computed_lines(schema: Schema, spec: FieldSpec) -> Iterator[str]:
    computed = spec.computed
    assert computed is not None
    name = spec.name
    if computed.kind is ComputedKind.RELATED_COUNT:
        assert computed.entity is not None
        other = schema.entity(computed.entity)
        yield f"# {name}: number of {other.plural} whose {computed.via} is this {other.name}"
        yield (
            f"{name} = sum(1 for other in {_store(other)}.values() "
            f"if other[{computed.via!r}] == item['id'])"
        )
        return
    inputs = [f"item[{field!r}]" for field in computed.inputs]
    nulls = " or ".join(f"{value} is None" for value in inputs)
    if computed.kind is ComputedKind.LENGTH:
        expression = f"len({inputs[0]})"
    elif computed.kind is ComputedKind.SUM:
        expression = f"{inputs[0]} + {inputs[1]}"
    elif computed.kind is ComputedKind.PRODUCT:
        expression = f"{inputs[0]} * {inputs[1]}"
    else:
        expression = f'{inputs[0]} + " " + {inputs[1]}'
    yield f"# {name}: {computed.kind.value} of {', '.join(computed.inputs)}; null if any is null"
    yield f"{name} = None if {nulls} else {expression}"


def _routes(schema: Schema, ent: Entity) -> Iterator[str]:
    store = _store(ent)
    path = f"/{ent.plural}"
    yield ""
    yield ""
    yield f'@app.post("{path}")'
    yield f"def post_{ent.name}():"
    yield "    body = read_body()"
    yield "    with LOCK:"
    yield f"        item = create_{ent.name}(body)"
    yield f'        item["id"] = next_id("{ent.plural}")'
    yield f'        {store}[item["id"]] = item'
    yield f"        return {ent.name}_view(item), 201"
    yield ""
    yield ""
    yield f'@app.get("{path}")'
    yield f"def list_{ent.plural}():"
    yield "    args = request.args"
    yield "    with LOCK:"
    yield f"        items = [{ent.name}_view(item) for item in {store}.values()]"
    for flt in ent.listing.filters:
        spec = ent.field(flt.field)
        parser = _PARSERS[spec.type]
        if flt.op.value == "eq":
            yield f'    items = filter_equal(items, "{spec.name}", {parser}, args)'
        elif flt.op.value == "contains":
            yield f'    items = filter_contains(items, "{spec.name}", args)'
        else:
            lower = flt.op.value == "gte"
            param = f"{spec.name}_{'min' if lower else 'max'}"
            bound_parser, key = _bound_parsing(spec)
            yield (
                f'    items = filter_bound(items, "{spec.name}", "{param}", {bound_parser}, '
                f"{key}, {lower}, args)"
            )
    keys = ", ".join(
        f'"{name}": {"instant_key" if ent.field(name).type is FieldType.DATETIME else "plain_key"}'
        for name in ent.listing.sort_fields
    )
    yield f"    items = sort_items(items, args, {{{keys}}})"
    pagination = ent.listing.pagination
    if pagination is not None:
        yield '    offset = query_int(args, "offset", 0, 0, None)'
        yield (
            f'    limit = query_int(args, "limit", {pagination.default_limit}, 1, '
            f"{pagination.max_limit})"
        )
        yield "    items = items[offset : offset + limit]"
    yield "    return jsonify(items)"
    yield ""
    yield ""
    yield f'@app.get("{path}/<int:item_id>")'
    yield f"def get_{ent.name}(item_id: int):"
    yield "    with LOCK:"
    yield f"        item = {store}.get(item_id)"
    yield "        if item is None:"
    yield f'            raise ApiError(404, "no {ent.name} with this id")'
    yield f"        return {ent.name}_view(item)"
    yield ""
    yield ""
    yield f'@app.patch("{path}/<int:item_id>")'
    yield f"def patch_{ent.name}_route(item_id: int):"
    yield "    with LOCK:"
    yield f"        item = {store}.get(item_id)"
    yield "        if item is None:"
    yield f'            raise ApiError(404, "no {ent.name} with this id")'
    yield "        body = read_body()"
    yield f"        patch_{ent.name}(item, body)"
    yield f"        return {ent.name}_view(item)"
    yield ""
    yield ""
    yield f'@app.delete("{path}/<int:item_id>")'
    yield f"def delete_{ent.name}(item_id: int):"
    yield "    with LOCK:"
    yield f"        if item_id not in {store}:"
    yield f'            raise ApiError(404, "no {ent.name} with this id")'
    yield "        doomed: set = set()"
    yield f"        doom_{ent.name}(item_id, doomed)"
    yield "        # The target's own restrictions are reported first, then the cascaded ones."
    yield f'        first = ("{ent.plural}", item_id)'
    yield "        order = [first, *sorted(doomed - {first})]"
    yield "        for plural, doomed_id in order:"
    yield "            field = BLOCKERS[plural](doomed_id, doomed)"
    yield "            if field is not None:"
    yield '                raise ApiError(409, f"{plural} {doomed_id} is still referenced", field)'
    yield "        for plural, doomed_id in order:"
    yield "            STORES[plural].pop(doomed_id)"
    yield "        for plural, doomed_id in order:"
    yield "            RELEASERS[plural](doomed_id)"
    yield '    return "", 204'


def _bound_parsing(spec: FieldSpec) -> tuple[str, str]:
    if spec.type is FieldType.DATE:
        return "parse_date", "plain_key"
    if spec.type is FieldType.DATETIME:
        return "parse_datetime", "instant_key"
    if spec.type in {FieldType.INTEGER, FieldType.NUMBER, FieldType.REFERENCE}:
        return "parse_number", "plain_key"
    return "parse_text", "plain_key"


def _deletes(schema: Schema, ent: Entity) -> Iterator[str]:
    refs = schema.references_to(ent.name)
    yield ""
    yield ""
    yield f"def doom_{ent.name}(item_id: int, doomed: set) -> None:"
    yield f'    """Collects this {ent.name} and everything its deletion cascades to."""'
    yield f'    if ("{ent.plural}", item_id) in doomed:'
    yield "        return"
    yield f'    doomed.add(("{ent.plural}", item_id))'
    for other, spec in refs:
        if spec.on_delete is OnDelete.CASCADE:
            yield f"    for other in list({_store(other)}.values()):"
            yield f"        # {other.name}.{spec.name}: cascade"
            yield f"        if other[{spec.name!r}] == item_id:"
            yield f'            doom_{other.name}(other["id"], doomed)'
    yield ""
    yield ""
    yield f"def blocker_of_{ent.name}(item_id: int, doomed: set) -> str | None:"
    yield f'    """The restrict reference that keeps this {ent.name} alive, if any."""'
    for other, spec in refs:
        if spec.on_delete is OnDelete.RESTRICT:
            yield f"    for other in {_store(other)}.values():"
            yield (
                f"        if other[{spec.name!r}] == item_id and "
                f'("{other.plural}", other["id"]) not in doomed:'
            )
            yield f"            return {spec.name!r}  # {other.name}.{spec.name}: restrict"
    yield "    return None"
    yield ""
    yield ""
    yield f"def release_{ent.name}(item_id: int) -> None:"
    yield f'    """Clears set_null references to a deleted {ent.name}."""'
    released = False
    for other, spec in refs:
        if spec.on_delete is OnDelete.SET_NULL:
            released = True
            yield f"    for other in {_store(other)}.values():"
            yield f"        # {other.name}.{spec.name}: set_null"
            yield f"        if other[{spec.name!r}] == item_id:"
            yield f"            other[{spec.name!r}] = None"
    if not released:
        yield "    return None"


def _action(schema: Schema, ent: Entity, action: Action) -> Iterator[str]:
    state = action.field
    yield ""
    yield ""
    yield f'@app.post("/{ent.plural}/<int:item_id>/{action.name}")'
    yield f"def {ent.name}_{action.name}(item_id: int):"
    starts = ", ".join(action.from_states)
    yield f'    """{action.name}: {state} from {starts} to {action.to_state}."""'
    yield "    with LOCK:"
    yield f"        item = {_store(ent)}.get(item_id)"
    yield "        if item is None:"
    yield f'            raise ApiError(404, "no {ent.name} with this id")'
    yield f"        if item[{state!r}] not in {tuple(action.from_states)!r}:"
    yield f'            raise ApiError(409, "{action.name} needs another {state}", "{state}")'
    if any(isinstance(guard, FieldGuard) for guard in action.guards):
        yield f"        view = {ent.name}_view(item)"
    for guard in action.guards:
        if isinstance(guard, FieldGuard):
            yield (
                f"        if not holds(view[{guard.field!r}], {guard.op.value!r}, "
                f"{_lit(guard.value)}):"
            )
            yield (
                f'            raise ApiError(409, "{action.name} needs {guard.field} '
                f'{guard.op.value} {_lit(guard.value)}", "{guard.field}")'
            )
        elif isinstance(guard, RelatedGuard):
            other = schema.entity(guard.entity)
            condition = f"other[{guard.via!r}] == item_id"
            if guard.state_field is not None and guard.states:
                condition += f" and other[{guard.state_field!r}] in {tuple(guard.states)!r}"
            yield f"        related = sum(1 for other in {_store(other)}.values() if {condition})"
            yield f"        if not holds(related, {guard.op.value!r}, {guard.count}):"
            yield (
                f'            raise ApiError(409, "{action.name} needs {guard.op.value} '
                f'{guard.count} {other.plural}", "{other.plural}")'
            )
    yield f"        item[{state!r}] = {action.to_state!r}"
    yield f"        return {ent.name}_view(item)"


def _analytics_section(schema: Schema) -> Iterator[str]:
    yield ""
    yield ""
    yield f"# {'=' * 76}"
    yield "# analytics -- /analytics/<name>"
    yield f"# {'=' * 76}"
    for analytics in schema.analytics:
        yield from _analytics(schema, analytics)


def _analytics(schema: Schema, analytics: Analytics) -> Iterator[str]:
    ent = schema.entity(analytics.entity)
    stored = [f for f in ent.fields if f.computed is None]
    field = None if analytics.op is AggregateOp.COUNT else analytics.field
    yield ""
    yield ""
    yield f'@app.get("/analytics/{analytics.name}")'
    yield f"def analytics_{analytics.name}():"
    summary = f"{analytics.op.value} of {ent.plural}" + (f".{field}" if field else "")
    if analytics.group_by:
        summary += f" grouped by {analytics.group_by}"
    yield f'    """{summary}."""'
    yield "    args = request.args"
    yield "    with LOCK:"
    yield f"        rows = [{ent.name}_view(item) for item in {_store(ent)}.values()]"
    for cond in analytics.where:
        yield (
            f"    rows = [row for row in rows if holds(row[{cond.field!r}], "
            f"{cond.op.value!r}, {_lit(cond.value)})]"
        )
    for spec in stored:
        yield f'    rows = filter_equal(rows, "{spec.name}", {_PARSERS[spec.type]}, args)'
    if analytics.group_by:
        yield (
            f'    return grouped("{analytics.op.value}", rows, {field!r}, "{analytics.group_by}")'
        )
    else:
        yield f'    return {{"value": aggregate("{analytics.op.value}", rows, {field!r})}}'


def _registries(schema: Schema) -> str:
    stores = ", ".join(f'"{e.plural}": {_store(e)}' for e in schema.entities)
    blockers = ", ".join(f'"{e.plural}": blocker_of_{e.name}' for e in schema.entities)
    releasers = ", ".join(f'"{e.plural}": release_{e.name}' for e in schema.entities)
    return f"\n\nSTORES = {{{stores}}}\nBLOCKERS = {{{blockers}}}\nRELEASERS = {{{releasers}}}\n"
