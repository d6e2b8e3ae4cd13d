"""The reader pod of `enduro report br/NAME`: what it mounts, how locked down it is, and
how its output is read."""

from __future__ import annotations

import pytest

from enduro.reports.attempts import AttemptRecord
from enduro.reports.reader import attempts_json, build_reader_pod, parse_reader_output


def test_the_reader_mounts_only_the_artifacts_read_only_and_is_locked_down() -> None:
    pod = build_reader_pod("run-s000", "bench", "ghcr.io/enduro-dev/enduro:1")
    assert (pod["metadata"]["name"], pod["metadata"]["namespace"]) == ("run-s000-report", "bench")
    spec = pod["spec"]
    [volume] = spec["volumes"]
    assert volume["persistentVolumeClaim"] == {"claimName": "run-s000-workspace", "readOnly": True}
    [container] = spec["containers"]
    [mount] = container["volumeMounts"]
    assert (mount["subPath"], mount["readOnly"]) == ("artifacts", True)
    assert container["command"] == ["enduro", "report-attempts", "--artifacts", "/artifacts"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert spec["automountServiceAccountToken"] is False
    assert spec["restartPolicy"] == "Never" and spec["activeDeadlineSeconds"] > 0


def test_the_last_line_of_the_reader_output_is_the_attempts() -> None:
    records = [AttemptRecord(turn=1, attempt=1, passed=3, total=3)]
    assert parse_reader_output("noise\n" + attempts_json(records) + "\n") == records
    with pytest.raises(ValueError, match="printed nothing"):
        parse_reader_output("\n")
    with pytest.raises(ValueError, match="not a list of attempts"):
        parse_reader_output('{"turn": 1}')
