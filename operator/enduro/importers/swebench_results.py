"""The SWE-bench verdict of one test run, shipped into the scorer as a file of its own.

    python results.py tests.json tests.log results.xml

`tests.json` lists FAIL_TO_PASS and PASS_TO_PASS; `tests.log` is the output of the test
command, read for pytest's `-rA` summary lines (`PASSED tests/test_x.py::test_y`). A
listed test counts as passed when its last status is PASSED or XFAIL, as in SWE-bench.
It writes a JUnit report with one case per listed test (the partial-credit function
scores passed/total of it) and exits 0 only when every listed test passed: the SWE-bench
resolution rule, for the function scored by exit status.

It runs inside the environment with nothing but the standard library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree

STATUSES = frozenset({"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"})
PASSING = frozenset({"PASSED", "XFAIL"})
GROUPS = ("FAIL_TO_PASS", "PASS_TO_PASS")
LOG_TAIL_CHARS = 4000


def statuses(log: str) -> dict[str, str]:
    """Each test's last status in a pytest `-rA` log."""
    found: dict[str, str] = {}
    for line in log.splitlines():
        word, _, rest = line.strip().partition(" ")
        test = rest.split(" - ")[0].strip()
        if word in STATUSES and test:
            found[test] = word
    return found


def verdict(tests: dict[str, list[str]], found: dict[str, str]) -> ElementTree.Element:
    """The JUnit report of the listed tests: a failure for each one that did not pass."""
    suite = ElementTree.Element("testsuite", name="swebench")
    for group in GROUPS:
        for test in tests.get(group, []):
            case = ElementTree.SubElement(suite, "testcase", classname=group, name=test)
            status = found.get(test, "not run")
            if status not in PASSING:
                ElementTree.SubElement(case, "failure", message=status)
    return suite


def main(argv: list[str]) -> int:
    tests_file, log_file, report_file = map(Path, argv)
    tests = json.loads(tests_file.read_text())
    log = log_file.read_text(errors="replace")
    suite = verdict(tests, statuses(log))
    ElementTree.ElementTree(suite).write(report_file, encoding="unicode")
    failing = [
        f"{case.get('classname')} {case.get('name')}: {failure.get('message')}"
        for case in suite
        if (failure := case.find("failure")) is not None
    ]
    print(log[-LOG_TAIL_CHARS:])
    print(f"{len(suite) - len(failing)} of {len(suite)} listed tests passed")
    for line in failing:
        print(f"  {line}")
    return 0 if not failing else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
