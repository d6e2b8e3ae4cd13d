"""The Bedrock sampler against the scripted model's Converse API, through real boto3."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.bedrock_sampler import (
    BedrockSampler,
    BedrockSamplerError,
    bedrock_client,
    parse_answer,
)
from enduro.scenarios.changes import changes_to_yaml
from enduro.scenarios.generator import generate_scenario, generate_with
from enduro.testing.scripted_model import ScriptedModel, ScriptedModelServer

SPEC = GeneratorSpec(seed=5, scenarios=1, turns=3, changes_per_turn=3)


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as server:
        yield server.root


def sample(endpoint: str, model_id: str) -> tuple[BedrockSampler, list[str]]:
    sampler = BedrockSampler(bedrock_client("us-east-1", endpoint), model_id)
    turns = generate_with(SPEC, 0, sampler)
    return sampler, [changes_to_yaml(t.changes) for t in turns]


def weighted() -> list[str]:
    return [changes_to_yaml(t.changes) for t in generate_scenario(SPEC, 0)]


def test_the_model_fills_every_change_of_the_kinds_drawn_by_the_weighted_sampler(
    endpoint: str,
) -> None:
    sampler, changes = sample(endpoint, "scripted.echo")
    # The echo model answers the programmatic example: the same kinds, the same set.
    assert changes == weighted()
    log = sampler.log.to_json()
    assert log["accepted"] == log["requests"] == 6 and log["fallbacks"] == []
    assert log["usage"]["inputTokens"] > 0 and log["usage"]["outputTokens"] > 0
    assert log["modelId"] == "scripted.echo"


def test_an_answer_that_is_not_json_is_retried_then_replaced_with_the_reason(
    endpoint: str,
) -> None:
    sampler, changes = sample(endpoint, "scripted.invalid-json")
    assert changes == weighted(), "every change falls back to the programmatic choice"
    assert sampler.log.requests == 3 * 6 and sampler.log.accepted == 0
    assert len(sampler.log.fallbacks) == 6
    assert all("not valid JSON" in f.reason for f in sampler.log.fallbacks)


def test_an_invented_field_type_is_refused_naming_the_field(endpoint: str) -> None:
    sampler, _ = sample(endpoint, "scripted.bad-type")
    [fallback, *_] = sampler.log.fallbacks
    assert fallback.reason.startswith("field.type:") and "'uuid4'" in fallback.reason


def test_a_retry_with_the_reason_fed_back_is_accepted(endpoint: str) -> None:
    sampler, _ = sample(endpoint, "scripted.flaky")
    assert sampler.log.fallbacks == [] and sampler.log.requests == 2 * sampler.log.accepted


def test_an_unknown_model_id_stops_the_generation_naming_it(endpoint: str) -> None:
    with pytest.raises(BedrockSamplerError, match=r"'anthropic\.nope'.*model identifier"):
        sample(endpoint, "anthropic.nope")


def test_answers_that_break_the_consistency_rules_are_refused() -> None:
    schema = generate_scenario(SPEC, 0)[0].schema
    entity = schema.entities[0].name
    change, reason = parse_answer(
        "remove_field", schema, [{"text": f'{{"kind": "remove_field", "entity": "{entity}"}}'}]
    )
    assert change is None and reason.startswith("field: Field required")
    change, reason = parse_answer(
        "remove_field",
        schema,
        [{"text": '{"kind": "remove_field", "entity": "nonexistent", "field": "x"}'}],
    )
    assert change is None and reason.startswith("does not apply")
    change, reason = parse_answer("add_field", schema, [{"text": '{"kind": "add_sorting"}'}])
    assert change is None and "expected 'add_field'" in reason
