"""Image templates: one environment image per imported item, named from its fields.

A template is a string with `{placeholder}`s, e.g. `registry.example/swe/{instance_id}:v1`;
each importer says which placeholders it knows (docs/importers.md).
"""

from __future__ import annotations

import string

from enduro.importers.outcome import ItemError

OPTION = "--image-template"


def placeholders(template: str, known: tuple[str, ...]) -> set[str]:
    """The placeholders `template` uses; an unknown one or a format spec is an error."""
    used: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ItemError(OPTION, f"{template!r} is not a template: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in known or spec or conversion:
            raise ItemError(
                OPTION,
                f"{template!r} uses {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}; the placeholders are "
                + ", ".join(f"{{{k}}}" for k in known),
            )
        used.add(name)
    return used


def render(template: str, values: dict[str, str]) -> str:
    image = template.format_map(values)
    if not image or any(c.isspace() for c in image):
        raise ItemError(OPTION, f"{template!r} gives {image!r}, not an image reference")
    return image
