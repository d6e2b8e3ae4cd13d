"""pythonScript (with requirements in the scorer's own environment) and astGrep scorers."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest
from scoring_session import function, only, scenario, score

from enduro.scoring.result import FunctionState


def python(script: str, requirements: list[str] | None = None) -> object:
    spec = {"script": script, "requirements": requirements or []}
    return function("python", {"pythonScript": spec})


def test_a_python_script_scores_its_last_line(workspace: Path) -> None:
    script = "from lib import add\nprint('checking add')\nprint(1.0 if add(2, 2) == 4 else 0.0)\n"
    result = only(score(scenario(python(script)), workspace))
    assert (result.score, result.state) == (1.0, FunctionState.COMPLETE), result


@pytest.mark.parametrize(
    ("printed", "why"),
    [
        ("print(1.7)", "'1.7', not a number in [0, 1]"),
        ("print('looks fine')", "'looks fine', not a number in [0, 1]"),
        ("pass", "nothing, not a number in [0, 1]"),
    ],
)
def test_a_python_score_out_of_range_or_garbage_is_an_error(
    workspace: Path, printed: str, why: str
) -> None:
    result = only(score(scenario(python(printed)), workspace))
    assert (result.state, result.score) == (FunctionState.ERROR, 0.0)
    assert result.reason == f"the script's last line of output is {why}"


def test_a_python_script_that_crashes_is_an_error_with_its_traceback(workspace: Path) -> None:
    result = only(score(scenario(python("print(0.5)\nraise SystemExit('boom')\n")), workspace))
    assert result.state is FunctionState.ERROR
    assert result.reason == "the script exited with code 1"
    assert "boom" in result.output


def _wheel(directory: Path) -> Path:
    """A one-module wheel, `scorehelp`: a requirement that needs no index."""
    files = {
        "scorehelp.py": "def verdict(ok):\n    return 1.0 if ok else 0.25\n",
        "scorehelp-1.0.dist-info/METADATA": (
            "Metadata-Version: 2.1\nName: scorehelp\nVersion: 1.0\n"
        ),
        "scorehelp-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{name},sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        + f",{len(text.encode())}"
        for name, text in files.items()
    ]
    files["scorehelp-1.0.dist-info/RECORD"] = "\n".join(
        [*record, "scorehelp-1.0.dist-info/RECORD,,"]
    )
    wheel = directory / "scorehelp-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


@pytest.mark.slow
def test_requirements_are_installed_once_into_the_scorers_own_environment(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_SCORER_CACHE", str(tmp_path / "cache"))
    wheel = _wheel(tmp_path)
    script = "import scorehelp\nfrom lib import add\nprint(scorehelp.verdict(add(1, 1) == 3))\n"
    definition = scenario(python(script, [str(wheel)]))
    assert only(score(definition, workspace)).score == 0.25
    (environment,) = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    assert (environment / ".enduro-complete").is_file()
    wheel.unlink()  # scored again from the cached environment: nothing to install
    assert only(score(definition, workspace)).score == 0.25
    without = only(score(scenario(python("import scorehelp\nprint(1)\n")), workspace))
    assert without.state is FunctionState.ERROR  # other scorers do not see it


@pytest.mark.slow
def test_without_uv_requirements_are_installed_with_pip(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_SCORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # where uv is not
    script = "import scorehelp\nprint(scorehelp.verdict(True))\n"
    result = only(score(scenario(python(script, [str(_wheel(tmp_path))])), workspace))
    assert result.score == 1.0, result


def test_a_requirement_that_cannot_be_installed_is_an_error(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_SCORER_CACHE", str(tmp_path / "cache"))
    missing = str(tmp_path / "nowhere-1.0-py3-none-any.whl")
    result = only(score(scenario(python("print(1)", [missing])), workspace))
    assert result.state is FunctionState.ERROR
    assert result.reason.startswith("the requirements could not be installed: ")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]  # none half-made


def ast_grep(
    pattern: str, *, must_match: bool = True, directory: str = ".", name: str = "structure"
) -> object:
    spec = {"pattern": pattern, "language": "python", "directory": directory}
    return function(name, {"astGrep": {**spec, "mustMatch": must_match}})


def test_ast_grep_scores_whether_the_pattern_matches(workspace: Path) -> None:
    no_print = ast_grep("print($$$)", must_match=False, name="no-print")
    definition = scenario(ast_grep("def add($A, $B): $$$"), no_print)
    result = score(definition, workspace)
    assert [f.score for f in result.functions] == [1.0, 1.0], result
    assert "lib.py" in result.functions[0].output
    (workspace / "calc" / "lib.py").write_text("def add(a, b):\n    print(a)\n    return a\n")
    result = score(scenario(ast_grep("print($$$)", must_match=False)), workspace)
    assert (only(result).score, only(result).reason) == (0.0, "the pattern matches in '.'")


def test_ast_grep_in_a_missing_directory_is_an_error(workspace: Path) -> None:
    result = only(score(scenario(ast_grep("x", directory="src")), workspace))
    assert result.state is FunctionState.ERROR
    assert result.reason == "the directory 'src' is not in the working directory"
