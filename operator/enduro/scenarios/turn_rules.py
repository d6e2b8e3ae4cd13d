"""Which change requests may share one turn's CHANGES.md.

Changes of a turn apply one after the other, so a later change may correctly use a name
an earlier one introduced, or touch a field an earlier one added. Read as one document,
that is confusing: "add a filter on `price`" next to "rename `price` to `cost`", or a
field added and removed in the same list. The sampler therefore keeps two changes of a
turn apart when one of them renames or removes a resource or a field that the other one
names (by its old or its new name).
"""

from __future__ import annotations

from typing import Any

from enduro.scenarios.changes import Change

# Kinds after which the old name is gone: nothing else in the turn may name it.
ENTITY_ENDING = frozenset({"rename_entity", "remove_entity"})
FIELD_ENDING = frozenset({"rename_field", "remove_field", "rename_entity", "remove_entity"})


def _name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return str(value["name"])
    return None


def entities(change: Change) -> set[str]:
    """Every resource the change names (old and new names)."""
    data = change.model_dump()
    found = {_name(data.get("entity")), _name(data.get("target"))}
    if change.kind == "rename_entity":
        found.add(_name(data.get("new_name")))
    for key in ("guard", "analytics", "computed"):
        if isinstance(data.get(key), dict):
            found.add(_name(data[key].get("entity")))
    return {name for name in found if name}


def fields(change: Change) -> set[tuple[str, str]]:
    """Every (resource, field) the change names, old and new names included."""
    data = change.model_dump()
    owner = _name(data.get("entity")) or ""
    names: set[tuple[str, str]] = set()

    def add(entity: str | None, field: Any) -> None:
        name = _name(field)
        if entity and name:
            names.add((entity, name))

    add(owner, data.get("field"))
    if change.kind == "rename_field":
        add(owner, data.get("new_name"))
    guard = data.get("guard")
    if isinstance(guard, dict):
        if guard.get("kind") == "related":
            for key in ("via", "state_field"):
                add(_name(guard.get("entity")), guard.get(key))
        else:
            add(owner, guard.get("field"))
    analytics = data.get("analytics")
    if isinstance(analytics, dict):
        where = [c.get("field") for c in analytics.get("where") or []]
        for name in [analytics.get("field"), analytics.get("group_by"), *where]:
            add(_name(analytics.get("entity")), name)
    computed = data.get("computed")
    if isinstance(computed, dict):
        for name in computed.get("inputs") or []:
            add(owner, name)
        add(_name(computed.get("entity")), computed.get("via"))
    return names


def clash(earlier: Change, later: Change) -> bool:
    """Whether the two changes may not share a turn: one renames or removes a resource
    the other names, or one renames or removes a field the other names."""
    kinds = {earlier.kind, later.kind}
    if kinds & ENTITY_ENDING and entities(earlier) & entities(later):
        return True
    return bool(kinds & FIELD_ENDING and fields(earlier) & fields(later))


def fits(turn: list[Change], change: Change) -> bool:
    """Whether ``change`` may join the changes already drawn for this turn."""
    return not any(clash(earlier, change) for earlier in turn)


__all__ = ["clash", "entities", "fields", "fits"]
