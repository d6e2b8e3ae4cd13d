"""Seed files from a local checkout: the files of a git repository at one commit, read
with `git archive` (the working tree and later history are never read)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from enduro.api.scenario import FILE_BYTES_MAX, FILES_MAX
from enduro.importers.outcome import ItemError

GIT_SECONDS = 300


def files_at(repository: Path, commit: str, field: str = "base_commit") -> dict[str, str]:
    """The text files of `repository` at `commit` by relative path; a commit that is not
    there, or a tree that does not fit `environment.files`, is an ItemError."""
    done = subprocess.run(
        ["git", "-C", str(repository), "archive", "--format=tar", commit],
        capture_output=True,
        timeout=GIT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        cause = done.stderr.decode(errors="replace").strip().splitlines()
        why = cause[-1] if cause else "git archive failed"
        raise ItemError(field, f"{commit} is not a commit of {repository}: {why}")
    files: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        for member in archive:
            if member.isdir() or member.name == "pax_global_header":
                continue
            if not member.isfile():
                raise ItemError(
                    "--repo-dir",
                    f"{member.name} at {commit[:12]} is a link: environment.files holds "
                    "regular files only; use an image with the repository",
                )
            files[member.name] = _text(archive, member, commit)
    if len(files) > FILES_MAX:
        raise ItemError(
            "--repo-dir",
            f"{repository} at {commit[:12]} has {len(files)} files, more than "
            f"environment.files holds ({FILES_MAX}); leave --repo-dir out (setup commands "
            "fetch it) or bake the repository into the image",
        )
    return files


def _text(archive: tarfile.TarFile, member: tarfile.TarInfo, commit: str) -> str:
    if member.size > FILE_BYTES_MAX:
        raise ItemError(
            "--repo-dir",
            f"{member.name} at {commit[:12]} is {member.size} bytes, more than a seed file "
            f"may hold ({FILE_BYTES_MAX})",
        )
    data = archive.extractfile(member)
    assert data is not None  # a regular file
    try:
        return data.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ItemError(
            "--repo-dir", f"{member.name} at {commit[:12]} is not UTF-8 text (seed files are text)"
        ) from None
