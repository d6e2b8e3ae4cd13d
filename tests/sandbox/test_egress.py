"""The plan of a sandboxed agent's network: which addresses inside lead to which endpoint."""

from __future__ import annotations

import pytest

from enduro.sandbox.egress import EgressError, Route, decode, forwarded, hosts_file, routes_for


def test_each_endpoint_host_gets_an_address_of_its_own_inside() -> None:
    routes = routes_for(
        [
            "https://api.openai.com/v1",
            "https://api.anthropic.com/v1/",
            "http://vllm.models:8000/v1",
            "https://API.OpenAI.com:8443/v1",
        ]
    )
    assert routes == (
        Route("api.anthropic.com", 443, ("127.0.0.2",)),
        Route("api.openai.com", 443, ("127.0.0.3",)),
        Route("api.openai.com", 8443, ("127.0.0.3",)),
        Route("vllm.models", 8000, ("127.0.0.4",)),
    )
    hosts = hosts_file(routes).splitlines()
    assert hosts[:2] == ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    assert hosts[2:] == [
        "127.0.0.2\tapi.anthropic.com",
        "127.0.0.3\tapi.openai.com",
        "127.0.0.4\tvllm.models",
    ]


def test_addresses_are_served_where_the_agent_was_told_to_connect() -> None:
    routes = routes_for(
        ["http://127.0.0.1:9000/v1", "http://localhost:9001", "http://10.0.0.5:8000/v1"]
    )
    assert routes == (
        Route("10.0.0.5", 8000, ("10.0.0.5",), alias=True),
        Route("127.0.0.1", 9000, ("127.0.0.1",)),
        Route("localhost", 9001, ("127.0.0.1", "::1")),
    )
    assert len(hosts_file(routes).splitlines()) == 2  # nothing to name


def test_no_endpoint_means_loopback_alone_and_a_plan_survives_its_command_line() -> None:
    assert routes_for([]) == ()
    routes = routes_for(["https://api.openai.com/v1", "http://10.0.0.5:8000"])
    argv = forwarded(routes, ["bwrap", "--", "codex"])
    assert argv[-4:] == ["--", "bwrap", "--", "codex"]
    assert decode(argv[argv.index("enduro.sandbox.forwarder") + 1]) == routes


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[fd00::5]:8000/v1", "IPv6 address off loopback"),
        ("vllm.models:8000", "names no host and port"),
        ("ftp://models.example/v1", "names no host and port"),
        ("http://models.example:99999/v1", "is not a URL"),
    ],
)
def test_an_endpoint_that_cannot_be_routed_says_what_to_give_instead(url: str, words: str) -> None:
    with pytest.raises(EgressError, match=words):
        routes_for([url])
