"""Every YAML example in docs/scoring.md is one the API accepts."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from enduro.api.scenario import ScorerResourceSpec, ScorerSpec, ScoringContract

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def test_the_yaml_examples_in_the_scoring_guide_are_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    kinds = []
    for block in blocks:
        document = yaml.safe_load(block)
        if document.get("kind") == "Scorer":
            ScorerResourceSpec.model_validate(document["spec"])
        elif "scoringContract" in document:
            ScoringContract.model_validate(document["scoringContract"])
        else:
            kinds.append(ScorerSpec.model_validate(document).type.value)
    assert sorted(kinds) == sorted(
        ["testBased", "command", "bashScript", "pythonScript", "astGrep", "custom"]
    )
