"""The trusted step's own look at a harness's model endpoint.

A CLI that fails saying it cannot reach its model endpoint, or that the endpoint
rejected its key, is an infrastructure failure: the step runs again and no attempt is
spent. But the CLI is the agent, and may say so only to get another go at the turn.
So its word is checked from the same network before it is taken (`classify`): one
request to the endpoint's list of models, with the key the CLI was given, the one
request the OpenAI and Anthropic APIs answer without cost. No answer at all confirms
"cannot reach"; 401 or 403 confirms "rejected". Bedrock's keys sign each request, so a
rejection there cannot be confirmed this way, only whether the endpoint answers.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from enduro.agents.harnesses.base import ModelEndpoint

PROBE_SECONDS = 5.0
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com/v1"}
REJECTED_STATUSES = frozenset({401, 403})


def endpoint_url(model: ModelEndpoint, env: Mapping[str, str]) -> str | None:
    """Where the CLI sends its requests: `model.baseUrl`, or the provider's own API."""
    if model.base_url:
        return model.base_url.rstrip("/")
    if model.provider == "bedrock":
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        return f"https://bedrock-runtime.{region}.amazonaws.com" if region else None
    return DEFAULT_URLS.get(model.provider)


@dataclass(frozen=True)
class EndpointProbe:
    """The endpoint as the trusted step finds it, asked once and only when needed.
    `key`: the one the CLI was given for the provider."""

    model: ModelEndpoint
    env: Mapping[str, str]
    key: str | None

    @cached_property
    def _status(self) -> int | None:
        """The HTTP status of the model list, or None when nothing answered."""
        url = endpoint_url(self.model, self.env)
        if url is None:
            return None
        request = urllib.request.Request(f"{url}/models", headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=PROBE_SECONDS) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except (OSError, ValueError):  # refused, unresolved, timed out; a malformed URL
            return None

    def _headers(self) -> dict[str, str]:
        if not self.key or self.model.provider == "bedrock":
            return {}
        if self.model.provider == "anthropic":
            return {"x-api-key": self.key, "anthropic-version": "2023-06-01"}
        return {"Authorization": f"Bearer {self.key}"}

    def reachable(self) -> bool | None:
        """Whether the endpoint answers this step (None: no address to try)."""
        if endpoint_url(self.model, self.env) is None:
            return None
        return self._status is not None

    def rejects_key(self) -> bool | None:
        """Whether the endpoint refuses the key (None: this step cannot tell)."""
        if self.model.provider == "bedrock" or not self.key or self._status is None:
            return None
        return self._status in REJECTED_STATUSES
