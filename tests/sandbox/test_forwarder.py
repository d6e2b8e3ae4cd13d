"""A sandboxed agent's network, mounted: it reaches its model endpoints and nothing else
on the machine or beyond it (`enduro.sandbox.forwarder`)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from confined import run_confined

from enduro.sandbox import launch
from enduro.sandbox.egress import routes_for
from enduro.sandbox.launch import sandbox_problem
from loopback import REACH_PROBE, abstract_socket, serving_name

BUS = "enduro-test-session-bus"


@pytest.fixture(autouse=True)
def _sandbox_here() -> None:
    problem = sandbox_problem()
    if problem is not None:
        pytest.fail(f"these tests need bubblewrap here: {problem}")


@pytest.fixture
def ports() -> Iterator[dict[str, int]]:
    """Two model endpoints and a service that is not one (another scenario's server, a
    gateway's admin port), all on every address of this machine, and a desktop
    session's D-Bus on an abstract socket."""
    with ExitStack() as stack:
        stack.enter_context(abstract_socket(BUS))
        names = ("model", "embeddings", "secret")
        yield {name: stack.enter_context(serving_name(name)) for name in names}


def _own_address() -> str:
    """This machine's address off loopback (the one its default route leaves from)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        return str(probe.getsockname()[0])


def _probe(tmp_path: Path, urls: list[str], *, endpoints: list[str] | None) -> list[str]:
    """What a sandboxed process reaches of `urls`: with `endpoints` its network is its
    own, reaching those; with None it shares this one."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    (workspace / "probe.py").write_text(REACH_PROBE)
    egress = None if endpoints is None else routes_for(endpoints)
    done = run_confined(workspace, ["python", "probe.py", BUS, *urls], egress=egress)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_agent_reaches_its_endpoints_by_the_name_and_address_it_was_given(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    model, embeddings = ports["model"], ports["embeddings"]
    name, address = socket.gethostname(), _own_address()
    urls = [
        f"http://{name}:{model}/",
        f"http://{address}:{model}/",
        f"http://{address}:{embeddings}/",  # a second port of the same address
        f"http://127.0.0.1:{model}/",
    ]
    seen = _probe(tmp_path, urls, endpoints=urls)
    assert seen == ["model", "model", "embeddings", "model", "bus unreached"]


OUT_OF_REACH = [
    "http://127.0.0.1:{secret}/",  # another service on this machine's loopback
    "http://{address}:{secret}/",  # the same, by the machine's own address
    "http://{address}:{model}/",  # the endpoint's port, at an address it was not given
    "http://example.com/",  # the internet, by name
    "http://93.184.215.14/",  # and by address
]


def test_nothing_else_on_this_machine_or_beyond_it_is_within_reach(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    urls = [url.format(address=_own_address(), **ports) for url in OUT_OF_REACH]
    seen = _probe(tmp_path, urls, endpoints=[f"http://127.0.0.1:{ports['model']}/v1"])
    assert seen == ["unreached"] * len(urls) + ["bus unreached"]


def test_sharing_this_machines_network_the_same_probe_reaches_them(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    """The attack the test above stops works from a sandbox without a network of its own."""
    urls = [url.format(address=_own_address(), **ports) for url in OUT_OF_REACH[:3]]
    seen = _probe(tmp_path, urls, endpoints=None)
    assert seen == ["secret", "secret", "model", "bus reached"]


def test_a_machine_where_the_forwarder_cannot_work_is_found_before_any_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`sandbox_problem` probes an agent's sandbox whole: a forwarder that cannot make
    its namespace stops `enduro run` with the reason, not every agent step."""
    refusing = [
        sys.executable,
        "-c",
        "import sys; sys.exit(\"enduro: the agent's network namespace could not be made: "
        '[Errno 1] Operation not permitted")',
    ]
    monkeypatch.setattr(launch, "forwarded", lambda routes, argv: refusing)
    sandbox_problem.cache_clear()
    try:
        problem = sandbox_problem()
    finally:
        sandbox_problem.cache_clear()
    assert problem is not None
    assert "the agent's network namespace could not be made" in problem
    assert "user namespaces" in problem  # the fix
