"""Harnesses by name (``AgentSpec.harness``)."""

from __future__ import annotations

from enduro.agents.harness import Harness

_HARNESSES: dict[str, type[Harness]] = {}


def register[H: type[Harness]](cls: H) -> H:
    """Class decorator: make a harness available under its ``name``."""
    if cls.name in _HARNESSES and _HARNESSES[cls.name] is not cls:
        raise ValueError(f"harness {cls.name!r} is registered twice")
    _HARNESSES[cls.name] = cls
    return cls


def _load() -> None:
    # Importing a harness module registers it; kept lazy so `enduro --help` stays fast.
    import enduro.agents.baselines.harnesses  # noqa: F401


def get_harness(name: str) -> Harness:
    _load()
    try:
        return _HARNESSES[name]()
    except KeyError:
        known = ", ".join(sorted(_HARNESSES))
        raise KeyError(
            f"no harness named {name!r} in this build of enduro (available: {known})"
        ) from None
