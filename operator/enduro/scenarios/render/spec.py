"""SPEC.md: the whole API of one turn in natural language."""

from __future__ import annotations

from enduro.scenarios import wording
from enduro.scenarios.consistency import filter_parameter
from enduro.scenarios.generator import ScenarioTurn
from enduro.scenarios.memo import by_identity
from enduro.scenarios.schema import Entity, FieldSpec, FilterOp, Schema

FILTER_WORDS = {
    FilterOp.EQ: "only objects whose `{f}` equals the value",
    FilterOp.GTE: "only objects whose `{f}` is at least the value (inclusive)",
    FilterOp.LTE: "only objects whose `{f}` is at most the value (inclusive)",
    FilterOp.CONTAINS: "only objects whose `{f}` contains the text, ignoring case",
}

CONVENTIONS = """\
## Conventions (apply to every resource)

- **Server**: `sh run.sh` in the workspace root starts the server on `0.0.0.0:$PORT`;
  `GET /health` answers `200 {"status": "ok"}` once it accepts requests. State lives in
  memory; every start begins with an empty store.
- **JSON everywhere.** Every error body is `{"error": "<message>"}`; a `422` or `409`
  caused by one field adds `"field": "<name>"`. Unknown paths (an unknown collection, an
  unknown action, an unknown analytics name) answer `404` with such a JSON body.
- **Ids**: every object has a server-assigned integer `id`, starting at 1 per
  collection and increasing by one per create; ids are never reused, even after deletes.
- **Objects** are returned with `id` first, then every field in the order listed below
  (read-only and computed fields included); a field without a value is `null`. A field
  that CHANGES.md adds goes last, after every existing field. Dates (`"YYYY-MM-DD"`) and
  datetimes (ISO 8601, at most 6 fractional digits of seconds, optional `Z` or
  `+HH:MM`/`-HH:MM` offset) are returned exactly as sent.
- **Endpoints per resource** (`<plural>` is its collection path):
  `POST /<plural>` → `201` + object; `GET /<plural>` → `200` + JSON array;
  `GET /<plural>/<id>` → `200` + object; `PATCH /<plural>/<id>` → `200` + object
  (only the given fields change); `DELETE /<plural>/<id>` → `204` with an empty body;
  a missing id answers `404`.
- **Validation** of POST and PATCH bodies, in this order (the first failure answers):
  1. the body must be valid JSON and a JSON object, else `400`;
  2. every key must be a writable field: `id`, read-only fields and unknown keys are
     `422` naming the key;
  3. per field, in the order listed: a required field missing or `null` on POST (or set
     to `null` by PATCH) is `422`; an optional field missing on POST takes its default,
     or `null`; the JSON type must match (`integer` excludes booleans and `1.0`;
     `number` accepts integers and floats but not booleans; strings, emails, dates,
     datetimes and enums are JSON strings; references are integer ids); enum values must
     be one of the choices; emails need exactly one `@` with non-empty parts, no spaces
     and a dot in the domain part; dates and datetimes must be valid calendar values;
     bounds (`minimum`/`maximum`, lengths in characters) are inclusive; a pattern must
     match the whole string; a reference must name an existing object. Failures are
     `422` naming the field;
  4. a `unique` field must not hold the same non-null value as another object, else
     `409` naming the field.
- **Which key a `422` names**: the first failure in the order above; unknown and
  read-only keys are checked in the order the body lists them, fields in the order
  listed below.
- **Lists** return objects in ascending `id` order unless sorted. Query parameters the
  resource does not list below are ignored. Filters combine with AND; filter values are
  parsed from the query text (`true`/`false` for booleans, numbers for numeric fields
  and references, `null` matches null in an equality filter). A filter value that does
  not parse as the field's type (`?pages=ten`, `?active=yes`,
  `?published_min=yesterday`) and `null` in a `_min`/`_max` bound are `422` naming the
  query parameter (`"field": "pages_min"`). Sorting: `?sort=<field>` ascending,
  `?sort=-<field>` descending, nulls last in both directions, ties broken by ascending
  `id`; sorting by a field that is not enabled is `422` with `"field": "sort"`.
- **Order of values** (sorting and `_min`/`_max` bounds; ordering guards and analytics
  conditions compare numbers only): numbers by value; strings, emails and enums by
  their text, character by character (code point order, so `"Z"` before `"a"`; an
  enum's order of choices plays no part); booleans
  `false` before `true`; dates by calendar day; datetimes by the instant they name,
  offsets applied (`2024-06-30T13:00:00+02:00` equals `2024-06-30T11:00:00Z`; a
  datetime without an offset is UTC).
- **Pagination**, where enabled: `?limit=` and `?offset=` are applied after filtering
  and sorting; without them the defaults apply (`offset` 0: the first page); out-of-range
  or non-integer values are `422` naming `limit` or `offset`; the response stays a
  plain array.
- **References**: deleting a referenced object follows the reference's on-delete rule:
  `cascade` deletes the referencing objects too, recursively (their own referencing
  objects follow their own rules), `restrict` answers `409` naming the referencing field
  and deletes nothing, `set_null` sets the reference to `null`. A delete first collects
  everything it would delete (the object and its cascade, recursively); a `restrict`
  reference from an object outside that set to any object inside it refuses the whole
  delete (`409`, nothing deleted), wherever on the chain it is; a `restrict` reference
  from an object that the same delete removes by cascade does not block it (cascade
  wins). The object's own restricting references are reported before those of the
  objects it cascades to.
- **Actions**: `POST /<plural>/<id>/<action>` (any body, ignored) moves a read-only
  state field. It answers `200` with the updated object when the current state is one
  of the action's from-states and every guard holds; otherwise `409` naming the state
  field (wrong state, checked first), the guarded field (failing field guard) or the
  related collection's path name (failing count guard). An ordering comparison with
  `null` fails.
- **Computed fields** are read-only and recomputed on every read; they are `null` when
  an input is `null`.
- **Analytics**: `GET /analytics/<name>` aggregates one resource's objects after the
  endpoint's fixed conditions and any `?<field>=<value>` equality filters (on stored,
  non-computed fields; a value that does not parse is `422` naming the parameter).
  Only objects that exist count: deleted objects never do. Ungrouped: `{"value": v}`;
  over no objects `count` and `sum` are `0`, and `avg`, `min`, `max` are `null`; null
  values are skipped. Grouped:
  `{"groups": [{"key": k, "value": v}, ...]}`, one group per distinct non-null key,
  sorted by the key's text (booleans as `true`/`false`). `avg` is a float.
"""


def render_spec(turn: ScenarioTurn) -> str:
    schema = turn.schema
    title = schema.domain.replace("_", " ").title()
    parts = [
        f"# {title} API: specification (scenario {turn.scenario}, turn {turn.turn})\n",
        "This document describes the complete HTTP API your server must implement now. "
        "It replaces the specification of earlier turns; CHANGES.md lists what changed.\n",
        CONVENTIONS,
        "## Resources\n",
        "| resource | collection path |\n|---|---|\n"
        + "".join(f"| `{e.name}` | `/{e.plural}` |\n" for e in schema.entities),
    ]
    parts.extend(_entity(schema, ent) for ent in schema.entities)
    parts.append(_analytics(schema))
    return "\n".join(parts)


@by_identity()
def _field_line(spec: FieldSpec) -> str:
    return f"- {wording.field_phrase(spec)}"


def _entity(schema: Schema, ent: Entity) -> str:
    lines = [f"### `{ent.name}` at `/{ent.plural}`\n", "Fields, in response order:\n"]
    lines.append("- `id`: integer, assigned by the server, read-only")
    lines.extend(_field_line(spec) for spec in ent.fields)
    lines.append("")
    referencing = schema.references_to(ent.name)
    if referencing:
        lines.append("Deleting an object here affects the objects that reference it:\n")
        for other, spec in referencing:
            policy = spec.on_delete.value if spec.on_delete else "?"
            lines.append(f"- `{other.name}.{spec.name}` (`/{other.plural}`): {policy}")
        lines.append("")
    lines.extend(_listing(ent))
    if ent.actions:
        lines.append("Actions (`POST /" + ent.plural + "/<id>/<action>`):\n")
        lines.extend(f"- {wording.action_phrase(action)}" for action in ent.actions)
        lines.append("")
    return "\n".join(lines)


def _listing(ent: Entity) -> list[str]:
    listing = ent.listing
    out = [f"Listing `GET /{ent.plural}`:\n"]
    if not (listing.filters or listing.sort_fields or listing.pagination):
        out.append("- no filters, sorting or pagination: every object, in ascending id order")
    for flt in listing.filters:
        param = filter_parameter(flt)
        out.append(f"- filter `?{param}=`: " + FILTER_WORDS[flt.op].format(f=flt.field))
    if listing.sort_fields:
        names = ", ".join(f"`{name}`" for name in listing.sort_fields)
        out.append(f"- sorting with `?sort=` by: {names} (prefix `-` for descending)")
    else:
        out.append('- no sorting: any `?sort=` is `422` with `"field": "sort"`')
    page = listing.pagination
    if page is not None:
        out.append(
            f"- pagination: `?limit=` from 1 to {page.max_limit} (default "
            f"{page.default_limit}), `?offset=` 0 or more (default 0)"
        )
    out.append("")
    return out


def _analytics(schema: Schema) -> str:
    lines = ["## Analytics\n"]
    if not schema.analytics:
        lines.append("No analytics endpoints: any `GET /analytics/<name>` answers 404.")
    for an in schema.analytics:
        shape = 'grouped: `{"groups": [...]}`' if an.group_by else '`{"value": v}`'
        lines.append(f"- `GET /analytics/{an.name}`: {wording.analytics_phrase(an)}; {shape}")
    lines.append("")
    return "\n".join(lines)
