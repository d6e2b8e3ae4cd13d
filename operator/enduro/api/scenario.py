"""`Scenario` and `Scorer`: explicit (Runloop-style) scenarios and their scoring contracts.

A Scenario is a problem statement, an environment (image, seed files, setup commands,
requirements) and a scoring contract: weighted scoring functions whose weighted sum is
the score. A scenario is one or more turns over one workspace: `scoringContract` alone
makes one turn (`inputContext` is its problem statement); `turns` lists several, each
with its own statement and contract, and reuses the engine's turn loop, attempts and
feedback. The test step of a generated benchmark is one kind of scoring step.
"""

from __future__ import annotations

import posixpath
import re
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from enduro.api.agent import ENV_NAME, EnvVar, Resources
from enduro.api.base import SpecModel, StatusModel, cel_rules
from enduro.api.conditions import ConditionList

FUNCTION_NAME = r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$"
DEFAULT_SCORER_SECONDS = 1800
FILES_MAX = 256
FILE_BYTES_MAX = 256 * 1024
# Relative paths that stay inside the working directory (checked again where they are written).
_INSIDE = (
    "self.all(p, !p.startsWith('/') && !p.contains('\\\\') && p != '..' "
    "&& !p.startsWith('../') && !p.contains('/../') && !p.endsWith('/..'))",
    "file paths must be relative and stay inside the working directory (no '/' at the "
    "start, no '..' part)",
)


def path_problem(path: str) -> str:
    """Why `path` cannot name a file inside the working directory ("" when it can)."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return f"{path!r} must be a relative path (no leading '/', no backslash)"
    if ".." in path.split("/") or posixpath.normpath(path).startswith(".."):
        return f"{path!r} escapes the working directory ('..' is not allowed)"
    return ""


def _check_paths(files: dict[str, str]) -> dict[str, str]:
    for path in files:
        problem = path_problem(path)
        if problem:
            raise ValueError(f"{problem}; write paths relative to the working directory")
    return files


class ScorerType(StrEnum):
    TEST_BASED = "testBased"
    COMMAND = "command"
    BASH_SCRIPT = "bashScript"
    PYTHON_SCRIPT = "pythonScript"
    AST_GREP = "astGrep"
    CUSTOM = "custom"


class TestBasedScorer(SpecModel):
    """Test files written into the scoring container when scoring starts, then a command.
    Scores the fraction of tests passed when the command writes JUnit XML to `junitXml`,
    else 1.0 for exit status 0 and 0.0 otherwise."""

    __test__ = False  # not a pytest test class despite its name

    files: dict[str, str] = Field(
        min_length=1,
        max_length=FILES_MAX,
        description="Test files by path relative to the working directory (hidden until "
        "scoring starts).",
        json_schema_extra={
            "x-kubernetes-validations": [{"rule": _INSIDE[0], "message": _INSIDE[1]}]
        },
    )
    command: str = Field(
        min_length=1, max_length=8192, description="Shell command that runs the tests."
    )
    junit_xml: str | None = Field(
        default=None,
        max_length=1024,
        description="Where the command writes JUnit XML (relative to the scorer's own "
        "directory, `$ENDURO_SCORER_DIR`): the score is passed/total.",
    )

    @field_validator("files")
    @classmethod
    def _paths_inside(cls, files: dict[str, str]) -> dict[str, str]:
        return _check_paths(files)


class CommandScorer(SpecModel):
    """A shell command: exit status 0 scores 1.0, anything else 0.0."""

    command: str = Field(min_length=1, max_length=8192, description="Shell command.")


class BashScriptScorer(SpecModel):
    """A bash script that prints `score=X` (X in [0, 1]) on a line of its own."""

    script: str = Field(min_length=1, max_length=65536, description="The bash script.")


class PythonScriptScorer(SpecModel):
    """A Python script whose last line of output is a float in [0, 1]."""

    script: str = Field(min_length=1, max_length=65536, description="The Python script.")
    requirements: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="PyPI requirements installed into the scorer's own environment.",
    )


class AstGrepScorer(SpecModel):
    """An ast-grep pattern searched in a directory: 1.0 when it matches (or, with
    `mustMatch: false`, when it does not)."""

    pattern: str = Field(min_length=1, max_length=4096, description="ast-grep pattern.")
    language: str = Field(
        min_length=1, max_length=32, description="Language of the pattern, e.g. `python`."
    )
    directory: str = Field(
        default=".", max_length=1024, description="Where to search, relative to the workdir."
    )
    must_match: bool = Field(
        default=True, description="Score 1.0 when the pattern matches (false: when it does not)."
    )

    @field_validator("directory")
    @classmethod
    def _inside(cls, value: str) -> str:
        problem = path_problem(value) if value != "." else ""
        if problem:
            raise ValueError(f"{problem}; name a directory inside the working directory")
        return value


class CustomScorerRef(SpecModel):
    """A reusable `Scorer` resource, with parameters passed in `$ENDURO_SCORER_CONTEXT`."""

    name: str = Field(min_length=1, max_length=253, description="Name of the Scorer.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Free JSON given to the scorer's script."
    )


_SCORER_FIELDS = ("testBased", "command", "bashScript", "pythonScript", "astGrep", "custom")


class ScorerSpec(SpecModel):
    """One scorer: exactly one of its type fields is set."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "[" + ", ".join(f"has(self.{f})" for f in _SCORER_FIELDS) + "]"
                ".filter(x, x).size() == 1",
                "set exactly one scorer type: " + ", ".join(_SCORER_FIELDS),
            )
        )
    )

    test_based: TestBasedScorer | None = Field(default=None, description="Test files + command.")
    command: CommandScorer | None = Field(default=None, description="Exit status 0 scores 1.0.")
    bash_script: BashScriptScorer | None = Field(default=None, description="Prints `score=X`.")
    python_script: PythonScriptScorer | None = Field(
        default=None, description="Prints a float in [0, 1]."
    )
    ast_grep: AstGrepScorer | None = Field(default=None, description="A structural pattern.")
    custom: CustomScorerRef | None = Field(default=None, description="A `Scorer` resource.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ScorerSpec:
        if len(self.types()) != 1:
            found = ", ".join(t.value for t in self.types()) or "none"
            raise ValueError(
                f"set exactly one scorer type ({', '.join(_SCORER_FIELDS)}); found {found}"
            )
        return self

    def types(self) -> list[ScorerType]:
        return [
            t
            for t, value in zip(
                ScorerType,
                (
                    self.test_based,
                    self.command,
                    self.bash_script,
                    self.python_script,
                    self.ast_grep,
                    self.custom,
                ),
                strict=True,
            )
            if value is not None
        ]

    @property
    def type(self) -> ScorerType:
        return self.types()[0]


class ScoringFunction(SpecModel):
    """One weighted scoring function of a contract."""

    name: str = Field(pattern=FUNCTION_NAME, max_length=63, description="Unique in the contract.")
    weight: float = Field(gt=0, le=1_000_000, description="Positive; normalised to sum to 1.")
    scorer: ScorerSpec = Field(description="How this function scores the workspace.")
    timeout_seconds: int = Field(
        default=DEFAULT_SCORER_SECONDS,
        ge=1,
        le=86_400,
        description="Wall-clock limit; a scorer over it is `state: error`, score 0.",
    )


class ScoringContract(SpecModel):
    """Weighted scoring functions: the score is the weighted sum of their scores."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "self.functions.all(f, self.functions.exists_one(g, g.name == f.name))",
                "scoring function names must be unique in a contract",
            )
        )
    )

    functions: list[ScoringFunction] = Field(
        min_length=1, max_length=32, description="The scoring functions."
    )
    pass_score: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="The turn passes when its score reaches this (1.0: every function "
        "fully satisfied).",
    )

    @field_validator("functions")
    @classmethod
    def _unique_names(cls, functions: list[ScoringFunction]) -> list[ScoringFunction]:
        names = [f.name for f in functions]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scoring function names must be unique; repeated: {', '.join(twice)}")
        return functions

    def weights(self) -> dict[str, float]:
        """Each function's weight normalised so that they sum to 1."""
        total = sum(f.weight for f in self.functions)
        return {f.name: f.weight / total for f in self.functions}


class InputContext(SpecModel):
    """What the agent is asked to do."""

    problem_statement: str = Field(
        min_length=1, max_length=65536, description="The task, for the agent."
    )
    additional_context: dict[str, Any] | None = Field(
        default=None, description="Free JSON given to the agent beside the statement."
    )

    @field_validator("problem_statement")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the problem statement is blank; say what the agent must do")
        return value


class ReferenceOutput(SpecModel):
    """What solves the turn: a unified diff applied in the working directory, or shell
    commands run there (exactly one)."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.patch) != has(self.commands)",
                "set exactly one of referenceOutput.patch and referenceOutput.commands",
            )
        )
    )

    patch: str | None = Field(
        default=None, max_length=1_000_000, description="Unified diff (`git apply`)."
    )
    commands: list[str] | None = Field(
        default=None, min_length=1, max_length=64, description="Shell commands that solve it."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ReferenceOutput:
        if (self.patch is None) == (self.commands is None):
            raise ValueError("set exactly one of patch and commands")
        return self


class EnvironmentSpec(SpecModel):
    """Where the agent works and the scorers run."""

    image: str | None = Field(
        default=None,
        max_length=1024,
        description="Image of the environment (with the enduro CLI) on Kubernetes; the "
        "local runtime uses the machine's tools.",
    )
    working_dir: str = Field(
        default=".",
        max_length=1024,
        description="Directory of the task inside the workspace (relative).",
    )
    files: dict[str, str] = Field(
        default_factory=dict,
        max_length=FILES_MAX,
        description="Files the workspace starts with, by path relative to `workingDir`.",
        json_schema_extra={
            "x-kubernetes-validations": [{"rule": _INSIDE[0], "message": _INSIDE[1]}]
        },
    )
    setup_commands: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="Shell commands run once in `workingDir` before the first turn.",
    )
    env: list[EnvVar] = Field(
        default_factory=list, max_length=128, description="Variables the agent and scorers see."
    )
    resources: Resources = Field(
        default_factory=Resources, description="Requests and limits of the environment."
    )
    required_secrets: list[str] = Field(
        default_factory=list,
        max_length=32,
        description="Secrets that must exist in the namespace before a run starts.",
    )
    required_env: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="Variables the agent must provide (Agent env or secretEnv) before a run "
        "starts.",
    )

    @field_validator("files")
    @classmethod
    def _paths_inside(cls, files: dict[str, str]) -> dict[str, str]:
        return _check_paths(files)

    @field_validator("working_dir")
    @classmethod
    def _workdir_inside(cls, value: str) -> str:
        problem = path_problem(value) if value != "." else ""
        if problem:
            raise ValueError(f"{problem}; name a directory inside the workspace")
        return value

    @field_validator("required_env")
    @classmethod
    def _env_names(cls, names: list[str]) -> list[str]:
        bad = [n for n in names if not re.match(ENV_NAME, n)]
        if bad:
            raise ValueError(f"not variable names: {', '.join(bad)}")
        return names


class ScenarioTurn(SpecModel):
    """One turn of a multi-turn scenario: its own statement, contract and reference."""

    input_context: InputContext = Field(description="What the agent is asked in this turn.")
    scoring_contract: ScoringContract = Field(description="How this turn is scored.")
    reference_output: ReferenceOutput | None = Field(
        default=None, description="What solves this turn (applied after the earlier turns')."
    )


class ScenarioSpec(SpecModel):
    """An explicit scenario: a problem, an environment and a scoring contract."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.scoringContract) != has(self.turns)",
                "set exactly one of scoringContract (a one-turn scenario) and turns",
            ),
            (
                "!has(self.turns) || !has(self.referenceOutput)",
                "with turns, give each turn its own referenceOutput",
            ),
        )
    )

    input_context: InputContext = Field(
        description="The problem statement (of the only turn, or the scenario's overview "
        "when it has `turns`)."
    )
    environment: EnvironmentSpec = Field(
        default_factory=EnvironmentSpec, description="Where the agent works and scorers run."
    )
    scoring_contract: ScoringContract | None = Field(
        default=None, description="How a one-turn scenario is scored."
    )
    reference_output: ReferenceOutput | None = Field(
        default=None, description="What solves a one-turn scenario."
    )
    turns: list[ScenarioTurn] | None = Field(
        default=None, min_length=1, max_length=100, description="The turns of a multi-turn one."
    )
    description: str = Field(default="", max_length=4096, description="For humans.")

    @model_validator(mode="after")
    def _one_shape(self) -> ScenarioSpec:
        if (self.scoring_contract is None) == (self.turns is None):
            raise ValueError(
                "set exactly one of scoringContract (a one-turn scenario) and turns (several)"
            )
        if self.turns is not None and self.reference_output is not None:
            raise ValueError("with turns, give each turn its own referenceOutput")
        return self

    def turn_list(self) -> list[ScenarioTurn]:
        """The scenario's turns, a one-turn scenario as a list of one."""
        if self.turns is not None:
            return list(self.turns)
        assert self.scoring_contract is not None
        return [
            ScenarioTurn(
                input_context=self.input_context,
                scoring_contract=self.scoring_contract,
                reference_output=self.reference_output,
            )
        ]

    def turn(self, number: int) -> ScenarioTurn:
        """Turn `number` (1-based)."""
        return self.turn_list()[number - 1]


class ScenarioStatus(StatusModel):
    """What the operator observed of the Scenario."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: ConditionList = Field(
        default_factory=list, description="Standard conditions (`Ready`)."
    )


class ScorerResourceSpec(SpecModel):
    """A reusable custom scorer: a bash script that reads `$ENDURO_SCORER_CONTEXT` (JSON:
    the function's parameters, the scenario, the turn, the working directory) and prints
    `score=X` with X in [0, 1]."""

    bash_script: str = Field(min_length=1, max_length=65536, description="The bash script.")
    description: str = Field(default="", max_length=4096, description="For humans.")


class ScorerStatus(StatusModel):
    """What the operator observed of the Scorer."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )


class ExplicitScenario(SpecModel):
    """A snapshot of a Scenario (and the custom Scorers it uses) taken when a run starts, so
    editing the Scenario later never changes a run in flight."""

    name: str = Field(min_length=1, max_length=253, description="The Scenario's name.")
    spec: ScenarioSpec = Field(description="The Scenario's spec.")
    scorers: dict[str, ScorerResourceSpec] = Field(
        default_factory=dict, description="The custom Scorers its contracts name, by name."
    )

    @model_validator(mode="after")
    def _scorers_given(self) -> ExplicitScenario:
        missing = sorted(set(custom_scorer_names(self.spec)) - set(self.scorers))
        if missing:
            raise ValueError(
                f"the scenario uses custom scorers that are not given: {', '.join(missing)}"
            )
        return self

    def for_scoring(self, turn: int) -> ExplicitScenario:
        """What the scoring step of `turn` is given: that turn's contract and nothing else
        hidden. The other turns' statements and contracts and every reference output are
        replaced, so agent code that a scorer runs where no sandbox hides the scoring
        process (a Kubernetes pod without a sandboxed runtime) finds no other turn's tests
        or solution in its command line."""
        turns = self.spec.turn_list()
        kept = turns[turn - 1].model_copy(update={"reference_output": None})
        spec = self.spec.model_copy(
            update={
                "turns": [kept if i == turn else _HIDDEN_TURN for i in range(1, len(turns) + 1)],
                "scoring_contract": None,
                "reference_output": None,
            }
        )
        used = {f.scorer.custom.name for f in kept.scoring_contract.functions if f.scorer.custom}
        scorers = {name: s for name, s in self.scorers.items() if name in used}
        return self.model_copy(update={"spec": spec, "scorers": scorers})


def custom_scorer_names(spec: ScenarioSpec) -> list[str]:
    """Names of the `Scorer` resources the scenario's contracts use, sorted, once each."""
    return sorted(
        {
            f.scorer.custom.name
            for turn in spec.turn_list()
            for f in turn.scoring_contract.functions
            if f.scorer.custom is not None
        }
    )


# Stands in for the turns a scoring step is not scoring (`ExplicitScenario.for_scoring`).
_HIDDEN_TURN = ScenarioTurn(
    input_context=InputContext(problem_statement="(another turn: not given to this step)"),
    scoring_contract=ScoringContract(
        functions=[
            ScoringFunction(
                name="not-this-turn",
                weight=1,
                scorer=ScorerSpec(command=CommandScorer(command="false")),
            )
        ]
    ),
)
