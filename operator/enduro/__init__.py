"""Enduro: long-horizon coding-agent benchmarks, on one machine or on Kubernetes."""

from functools import cache


@cache
def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("enduro")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    # Looked up on first use: reading the installed metadata costs every process that
    # imports enduro (a baseline agent, a step) tens of milliseconds it rarely needs.
    if name == "__version__":
        return installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
