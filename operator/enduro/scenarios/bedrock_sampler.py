"""A sampler whose model fills in the details of each change, through Amazon Bedrock.

The kind of each change is drawn exactly as ``WeightedSampler`` draws it (same weights,
same ``rng``, same programmatic candidate); only when that candidate applies is the
model asked, through the ``bedrock-runtime`` Converse API with one tool
(``enduro_change``, whose input schema is the kind's JSON schema), to propose the
change's details for this domain and schema: names, guard conditions, analytics. The
answer is validated against the schema IR (the change model), its precondition and
``Schema.check()`` (the consistency rules). An invalid or unusable answer is retried
``max_attempts`` times with the reason fed back, then replaced by the programmatic
candidate, and the reason is recorded. A model id Bedrock does not know stops the
generation with a message naming it.

Model output cannot be regenerated: ``enduro generate --sampler bedrock`` stores the
set, with the generation config, model id and token usage (``GenerationLog``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from enduro.scenarios.changes import CHANGE_CLASSES, Change, ChangeBase, ChangeNotApplicableError
from enduro.scenarios.sampler import WeightedSampler
from enduro.scenarios.schema import Schema

TOOL = "enduro_change"
MAX_ATTEMPTS = 3
MAX_TOKENS = 2048
CLASSES: Mapping[str, type[ChangeBase]] = {
    cls.model_fields["kind"].default: cls for cls in CHANGE_CLASSES
}


class BedrockSamplerError(RuntimeError):
    """The model cannot be used at all (unknown model id, access denied, no region)."""


@dataclass
class Fallback:
    kind: str
    reason: str
    domain: str


@dataclass
class GenerationLog:
    """What the stored set records about how it was made."""

    sampler: str
    model_id: str
    region: str | None
    max_attempts: int
    requests: int = 0
    accepted: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    fallbacks: list[Fallback] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "sampler": data["sampler"],
            "modelId": data["model_id"],
            "region": data["region"],
            "maxAttempts": data["max_attempts"],
            "requests": data["requests"],
            "accepted": data["accepted"],
            "usage": {"inputTokens": self.input_tokens, "outputTokens": self.output_tokens},
            "fallbacks": [
                {"kind": f.kind, "reason": f.reason, "domain": f.domain} for f in self.fallbacks
            ],
        }


def bedrock_client(region: str | None, endpoint: str | None) -> Any:
    """A ``bedrock-runtime`` client: standard retries, credentials from the environment."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=120)
    return boto3.session.Session().client(
        "bedrock-runtime", region_name=region, endpoint_url=endpoint, config=config
    )


class BedrockSampler(WeightedSampler):
    def __init__(
        self,
        client: Any,
        model_id: str,
        *,
        region: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(weights)
        self.client = client
        self.model_id = model_id
        self.max_attempts = max_attempts
        self.log = GenerationLog("bedrock", model_id, region, max_attempts)

    def propose_and_apply(
        self, schema: Schema, rng: Any, count: int
    ) -> tuple[list[Change], Schema]:
        # One check per change: the model's answers are validated one by one.
        return self._draw(schema, rng, count, check_each=True)

    def refine(self, kind: str, schema: Schema, candidate: Change) -> Change:
        try:
            candidate.apply(schema, check=True)
        except ChangeNotApplicableError:
            return candidate  # the draw is lost anyway; no need to ask
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"text": prompt(kind, schema, candidate)}]}
        ]
        reason = ""
        for _ in range(self.max_attempts):
            content = self._converse(kind, messages)
            change, reason = parse_answer(kind, schema, content)
            if change is not None:
                self.log.accepted += 1
                return change
            messages += [
                {"role": "assistant", "content": content or [{"text": "(empty)"}]},
                {
                    "role": "user",
                    "content": [
                        {
                            "text": f"That answer was rejected: {reason}. Call the {TOOL} "
                            "tool again with a corrected change of the same kind."
                        }
                    ],
                },
            ]
        self.log.fallbacks.append(Fallback(kind, reason, schema.domain))
        return candidate

    def _converse(self, kind: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        tool = {
            "toolSpec": {
                "name": TOOL,
                "description": "Propose one change request of the given kind.",
                "inputSchema": {"json": CLASSES[kind].model_json_schema()},
            }
        }
        try:
            answer = self.client.converse(
                modelId=self.model_id,
                messages=messages,
                toolConfig={"tools": [tool], "toolChoice": {"tool": {"name": TOOL}}},
                inferenceConfig={"maxTokens": MAX_TOKENS},
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise BedrockSamplerError(
                f"Bedrock refused model {self.model_id!r}: {error.get('Code')}: "
                f"{error.get('Message')}"
            ) from None
        except BotoCoreError as exc:
            raise BedrockSamplerError(f"cannot reach Bedrock: {exc}") from None
        self.log.requests += 1
        usage = answer.get("usage", {})
        self.log.input_tokens += int(usage.get("inputTokens", 0))
        self.log.output_tokens += int(usage.get("outputTokens", 0))
        content: list[dict[str, Any]] = (
            answer.get("output", {}).get("message", {}).get("content", [])
        )
        return content


def prompt(kind: str, schema: Schema, candidate: Change) -> str:
    doc = " ".join((CLASSES[kind].__doc__ or "").split())
    example = json.dumps(candidate.model_dump(mode="json"), sort_keys=True)
    return (
        "You design the next change request to a REST API about "
        f"'{schema.domain}'. Its current schema:\n\n```yaml\n{schema.to_yaml()}```\n\n"
        f"Kind: {kind}\n"
        f"What this kind does: {doc}\n\n"
        f"Call the {TOOL} tool with one change of this kind that fits the domain: realistic "
        "entity and field names, guard conditions and analytics. It must refer only to "
        "entities and fields that exist, and use only the field types of the schema. "
        f"A valid example:\n\n```json\n{example}\n```\n"
    )


def parse_answer(
    kind: str, schema: Schema, content: list[dict[str, Any]]
) -> tuple[Change | None, str]:
    """The change in a model's answer if it is usable, else (None, why not)."""
    data: Any = None
    for block in content:
        if "toolUse" in block and block["toolUse"].get("name") == TOOL:
            data = block["toolUse"].get("input")
            break
    else:
        text = "".join(str(b.get("text", "")) for b in content).strip()
        try:  # structured output as plain JSON
            data = json.loads(text.removeprefix("```json").removesuffix("```"))
        except ValueError:
            return None, f"the answer is not valid JSON: {text[:80]!r}"
    if isinstance(data, dict) and data.get("kind", kind) != kind:
        return None, f"kind: expected {kind!r}, got {data.get('kind')!r}"
    try:
        change: Change = CLASSES[kind].model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        return None, f"{where}: {first['msg']} (got {first.get('input')!r})"
    problem = change.precondition(schema)
    if problem is not None:
        return None, f"does not apply: {problem}"
    try:
        change.apply(schema, check=True)
    except ChangeNotApplicableError as exc:
        return None, f"breaks the schema's consistency rules: {exc}"
    return change, ""
