"""The tiny repository the SWE-bench sample is written against, made with git in a
temporary folder: `repo/` is its first commit, `repo_next/` adds the second. Author,
committer and dates are fixed, so the commits are the ones `instances.jsonl` names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DATA = Path(__file__).parent / "data"
SWEBENCH = DATA / "swebench"
HARBOR = DATA / "harbor"
INSTANCES = SWEBENCH / "instances.jsonl"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Enduro Tests",
    "GIT_AUTHOR_EMAIL": "tests@enduro.invalid",
    "GIT_COMMITTER_NAME": "Enduro Tests",
    "GIT_COMMITTER_EMAIL": "tests@enduro.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}


def make_repo(root: Path) -> tuple[Path, list[str]]:
    """The sample repository under `root` and its two commits, oldest first."""
    repo = root / "calc"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    commits = []
    for layer, message in (("repo", "calc: the four operations"), ("repo_next", "calc: stats")):
        shutil.copytree(SWEBENCH / layer, repo, dirs_exist_ok=True)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", message)
        commits.append(_git(repo, "rev-parse", "HEAD"))
    return repo, commits


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_IDENTITY}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()
