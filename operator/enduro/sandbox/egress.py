"""Where a sandboxed agent may connect: its model endpoints and nothing else.

A local agent used to share the machine's network namespace: it could reach any host,
every service listening on the machine's loopback (another scenario's server, a model
gateway's admin port) and its abstract Unix sockets (a desktop session's D-Bus). Now it
gets a namespace of its own holding only loopback, where one address per endpoint
listens and a trusted forwarder (`enduro.sandbox.forwarder`), still in the machine's
namespace, carries each connection to that endpoint. The forwarder passes bytes, so TLS
stays end to end between the agent and its endpoint, and no CLI needs a proxy setting:
the sandbox's `/etc/hosts` names each endpoint's host at its address inside.

This module is the plan, as data (pure); the forwarder runs it.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
FIRST_HOST_ADDRESS = 2  # 127.0.0.1 stays the agent's own loopback (its server, its tools)
LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_ROUTES = 250  # a connection is handed over tagged with its route's index, one byte
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)
EGRESS_ENV = "ENDURO_AGENT_EGRESS"
"""URLs (one per line) an agent step's sandbox may reach besides its model endpoint:
`enduro run --agent-egress` gives them to its steps."""


class EgressError(ValueError):
    """An endpoint the sandbox cannot route to; the message names it and the fix."""


@dataclass(frozen=True)
class Route:
    """One endpoint the agent may reach: `host:port` as its URL names it, and the
    addresses inside the sandbox that lead there."""

    host: str
    port: int
    inside: tuple[str, ...]
    """Addresses the forwarder listens on, inside the sandbox's namespace, at `port`."""
    alias: bool = False
    """`inside` is not a loopback address: the namespace's `lo` must be given it."""


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port a URL connects to; raises `EgressError` when it names none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EgressError(f"{url!r} is not a URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if not parts.hostname or (port is None and scheme not in DEFAULT_PORTS):
        raise EgressError(
            f"{url!r} names no host and port to connect to: give a URL such as "
            "https://api.example.com/v1 or http://10.0.0.5:8000/v1"
        )
    return parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def routes_for(urls: Iterable[str]) -> tuple[Route, ...]:
    """The routes that give the agent exactly `urls`' hosts and ports, in a stable order.

    A host name gets an address of its own on loopback (named in the sandbox's
    `/etc/hosts`); a loopback address, or `localhost`, is served where the agent expects
    it; another IPv4 address is given to the namespace's `lo`, so the agent connects to
    the address it was told. Raises `EgressError` for an IPv6 address off loopback.
    """
    wanted = sorted({host_and_port(url) for url in urls})
    routes: list[Route] = []
    next_address = FIRST_HOST_ADDRESS
    for host, port in wanted:
        if host in LOCALHOST_NAMES:
            routes.append(Route(host, port, ("127.0.0.1", "::1")))
            continue
        address = _address(host)
        if address is None:
            named = next((r.inside for r in routes if r.host == host), None)
            if named is None:
                named = (f"127.0.0.{next_address}",)
                next_address += 1
            routes.append(Route(host, port, named))
            continue
        if address.is_loopback:
            routes.append(Route(host, port, (str(address),)))
        elif address.version == 4:
            routes.append(Route(host, port, (str(address),), alias=True))
        else:
            raise EgressError(
                f"the endpoint {host} is an IPv6 address off loopback, which a sandboxed "
                "agent cannot be routed to: name it by a host name (or an IPv4 address)"
            )
    if len(routes) > MAX_ROUTES:
        raise EgressError(
            f"more than {MAX_ROUTES} endpoints: a sandboxed agent takes {MAX_ROUTES} at most"
        )
    return tuple(routes)


def hosts_file(routes: Iterable[Route]) -> str:
    """The sandbox's `/etc/hosts`: loopback, and each named endpoint at its address."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    named: dict[str, str] = {}
    for route in routes:
        if route.host not in LOCALHOST_NAMES and _address(route.host) is None:
            named.setdefault(route.host, route.inside[0])
    lines += [f"{address}\t{host}" for host, address in named.items()]
    return "\n".join(lines) + "\n"


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` is, or None for a host name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def egress_value(urls: Iterable[str]) -> str:
    """`urls` as `EGRESS_ENV` carries them."""
    return "\n".join(urls)


def proxy_endpoints(env: Mapping[str, str]) -> tuple[str, ...]:
    """The proxies `env` tells a CLI to go through (a user's HTTPS_PROXY): it reaches
    its model endpoint through them, so the sandbox must reach them too."""
    urls = []
    for name in PROXY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            urls.append(value if "://" in value else f"http://{value}")
    return tuple(dict.fromkeys(urls))


def extra_endpoints(env: Mapping[str, str]) -> tuple[str, ...]:
    """The URLs `EGRESS_ENV` carries in `env` (a step command's environment)."""
    return tuple(line.strip() for line in env.get(EGRESS_ENV, "").splitlines() if line.strip())


def forwarded(routes: tuple[Route, ...], argv: list[str]) -> list[str]:
    """`argv` started by the forwarder, inside a network namespace holding `routes`."""
    plan = json.dumps([asdict(route) for route in routes], separators=(",", ":"))
    return [sys.executable, "-I", "-m", "enduro.sandbox.forwarder", plan, "--", *argv]


def decode(plan: str) -> tuple[Route, ...]:
    """The routes `forwarded` wrote on the forwarder's command line."""
    return tuple(
        Route(item["host"], int(item["port"]), tuple(item["inside"]), bool(item["alias"]))
        for item in json.loads(plan)
    )
