# ruff: noqa: E501  (the attacks are shell scripts, kept readable as they would be written)
"""Hostile agents: each attack on the score, run through `enduro run` as a user would.

Every attack here turned a turn that deserved 0 into a 1.0 before the sandbox existed
(the `--unsandboxed` runs show it still does without one). The agent writes no server,
so every turn deserves 0: an attacked turn must score exactly that, no secret may reach
a file, no process may outlive the run, and nothing outside the workspace may change.
"""

from __future__ import annotations

import json
import signal
import stat
import time
from pathlib import Path

import pytest
from hostile import (
    CANARY,
    enduro_run,
    processes_mentioning,
    start_enduro_run,
    write_agent,
    write_run_file,
)

from enduro.sandbox.launch import sandbox_problem
from loopback import REACH_PROBE, abstract_socket, serving_name

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _a_sandbox_can_be_made() -> None:
    problem = sandbox_problem()
    if problem is not None:  # never a silent pass: these tests are the proof
        pytest.fail(f"the hostile-agent tests need bubblewrap here: {problem}")


COPY_GROUND_TRUTH = """
cd "$ENDURO_WORKSPACE"
cp ../ground_truth/turn_001/* . 2>/dev/null
exit 0
"""


@pytest.mark.parametrize(("flags", "deserved"), [((), 0.0), (("--unsandboxed",), 1.0)])
def test_the_ground_truth_next_to_the_workspace_is_out_of_reach(
    tmp_path: Path, flags: tuple[str, ...], deserved: float
) -> None:
    agent = write_agent(tmp_path, COPY_GROUND_TRUTH)
    run = enduro_run(write_run_file(tmp_path, agent), tmp_path / "out", *flags)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out/scenario_0/ground_truth/turn_001/app.py").is_file()  # it was there
    assert run.turn(0, 1)["score"] == deserved
    assert run.report()["tamper_proof"] is (not flags)


def test_the_ground_truth_stays_out_of_reach_when_the_run_lies_in_a_system_directory(
    tmp_path: Path, under_opt: Path
) -> None:
    # /opt, /usr and /etc are bound whole into every sandbox: an output folder there (or
    # Enduro itself, as in its image) is masked.
    agent = write_agent(tmp_path, COPY_GROUND_TRUTH)
    run = enduro_run(write_run_file(tmp_path, agent), under_opt / "out")
    assert run.returncode == 0, run.stderr
    assert (under_opt / "out/scenario_0/ground_truth/turn_001/app.py").is_file()
    assert run.turn(0, 1)["score"] == 0.0


REGENERATE_GROUND_TRUTH = """
cd "$ENDURO_WORKSPACE"
# The step context of any process it can see, and Enduro's own generator, if importable.
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep '"generator"' > /tmp/contexts
for python in python python3 /usr/bin/python3 $(ls -d /*/*/bin/python3 2>/dev/null); do
  "$python" - <<'PY' && break
import json, pathlib, sys
try:
    from enduro.api.generator import GeneratorSpec
    from enduro.scenarios.turnfiles import TurnFiles
except ImportError:
    sys.exit(1)
wanted = pathlib.Path("SPEC.md").read_text()
seen = [json.loads(line)["generator"] for line in open("/tmp/contexts") if line.startswith("{")]
guesses = [GeneratorSpec.model_validate(g) for g in seen] + [
    GeneratorSpec(seed=s, scenarios=1, turns=1, changes_per_turn=2) for s in range(20)
]
for spec in guesses:
    for scenario in range(spec.scenarios):
        files = TurnFiles(spec, scenario, 1)
        if files.spec_md() == wanted:  # brute-forced: the seed is a small number
            for name, text in files.ground_truth().items():
                pathlib.Path(name).write_text(text)
            sys.exit(0)
sys.exit(1)
PY
done
exit 0
"""


@pytest.mark.parametrize(("flags", "deserved"), [((), 0.0), (("--unsandboxed",), 1.0)])
def test_the_generator_cannot_be_found_or_run_by_the_agent(
    tmp_path: Path, flags: tuple[str, ...], deserved: float
) -> None:
    agent = write_agent(tmp_path, REGENERATE_GROUND_TRUTH)
    run = enduro_run(write_run_file(tmp_path, agent), tmp_path / "out", *flags)
    assert run.returncode == 0, run.stderr
    assert run.turn(0, 1)["score"] == deserved


PLANT_CONFTEST = """
hook='import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
'
for d in /tmp "${TMPDIR:-/tmp}" "$ENDURO_WORKSPACE/.." "$ENDURO_WORKSPACE/../.." /; do
  printf '%s' "$hook" > "$d/conftest.py" 2>/dev/null
done
cd "$ENDURO_WORKSPACE"
printf '%s' "$hook" > hook.py
# The server plants it too, while the suite runs.
printf '#!/bin/sh\nfor d in /tmp "$TMPDIR" .. ../..; do cp hook.py "$d/conftest.py"; done\nsleep 30\n' > run.sh
exit 0
"""


def test_a_planted_conftest_changes_no_score(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, PLANT_CONFTEST)
    run = enduro_run(write_run_file(tmp_path, agent, turns=2), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert [run.turn(0, t)["score"] for t in (1, 2)] == [0.0, 0.0]
    assert not Path("/tmp/conftest.py").exists()


FORGE_RESULTS = """
cd "$ENDURO_WORKSPACE"
forge='{"passed": 999, "failed": 0, "errors": 0, "total": 999, "failing": [], "reason": "", "digest": ""}'
for f in $(find / -name "*.summary.json" 2>/dev/null) $(find / -path "*test_results*" -name "*.json" 2>/dev/null); do
  printf '%s' "$forge" > "$f"
done
# The server tries again while it is being tested.
cat > run.sh <<'SH'
#!/bin/sh
for i in 1 2 3 4 5 6 7 8 9 10; do
  for f in $(find / -name "*.summary.json" 2>/dev/null); do echo '{"passed":999,"total":999}' > "$f"; done
  sleep 0.5
done
SH
exit 0
"""


def test_results_cannot_be_forged_by_the_agent_or_its_server(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, FORGE_RESULTS)
    run = enduro_run(write_run_file(tmp_path, agent, turns=2), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert [run.turn(0, t)["score"] for t in (1, 2)] == [0.0, 0.0]
    results = [*run.out.glob("scenario_0/test_results/turn_*_attempt_?.json")]
    results += run.out.glob("scenario_0/step_logs/*.summary.json")
    assert len(results) == 4
    assert all(json.loads(path.read_text())["passed"] == 0 for path in results)
    reports = [*run.out.glob("scenario_0/test_results/*.ctrf.json")]
    assert len(reports) == 2
    assert all(json.loads(p.read_text())["results"]["summary"]["passed"] == 0 for p in reports)


TAMPER_WITH_OTHERS = """
cd "$ENDURO_WORKSPACE"
echo attempt > marker-$$
for f in ../../scenario_*/state.json ../../report.json ../../scenario_*/test_results/*.json; do
  echo PWNED > "$f" 2>/dev/null
done
for f in $(find / -name state.json 2>/dev/null) $(find / -name report.json 2>/dev/null); do
  echo PWNED > "$f" 2>/dev/null
done
# And once more after the run, from a process that should not outlive this step.
( sleep 20; for f in $(find / -name report.json 2>/dev/null); do echo PWNED > "$f"; done ) &
exit 0
"""


def test_one_scenario_cannot_touch_another_or_the_report(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, TAMPER_WITH_OTHERS)
    run = enduro_run(write_run_file(tmp_path, agent, scenarios=2, turns=2), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    report = run.report()
    assert [r["scenario"] for r in report["results"]] == [0, 1]
    assert all(r["phase"] == "Succeeded" and r["score"] == 0.0 for r in report["results"])
    assert not run.files_containing("PWNED")
    time.sleep(0)  # the background writer died with its sandbox: nothing left to wait for
    assert not processes_mentioning(str(tmp_path))


STEAL_SECRETS = """
cd "$ENDURO_WORKSPACE"
{ env; cat /proc/[0-9]*/environ; cat /proc/[0-9]*/cmdline; } 2>/dev/null | tr '\\0' '\\n' > loot-agent.txt
cat > run.sh <<'SH'
#!/bin/sh
{ env; cat /proc/[0-9]*/environ; } 2>/dev/null | tr '\\0' '\\n' > loot-server.txt
exit 1
SH
exit 0
"""


def test_no_secret_of_the_runner_reaches_the_agent_or_its_server(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, STEAL_SECRETS)
    run = enduro_run(write_run_file(tmp_path, agent), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    workspace = tmp_path / "out/scenario_0/workspace"
    assert (workspace / "loot-agent.txt").is_file()
    assert (workspace / "loot-server.txt").is_file()  # both looked
    assert not run.files_containing(CANARY)


LEAVE_SETUID_SHELLS = """
cd "$ENDURO_WORKSPACE"
cp /bin/sh rootsh && chmod 4755 rootsh
deep=.; for i in $(seq 1 80); do deep=$deep/d; done
mkdir -p "$deep" && cp /bin/sh "$deep/deep" && chmod 6755 "$deep/deep" && chmod g+s "$deep"
# The server leaves one too, while the suite runs.
printf '#!/bin/sh\ncp /bin/sh served && chmod 4755 served\nsleep 30\n' > run.sh
exit 0
"""


def test_no_set_user_id_program_the_agent_or_its_server_makes_outlives_the_step(
    tmp_path: Path,
) -> None:
    # The workspace is on this machine's disk, owned by whoever runs `enduro run`: a
    # set-user-ID shell there would make any local user who reaches it that user.
    agent = write_agent(tmp_path, LEAVE_SETUID_SHELLS)
    run = enduro_run(write_run_file(tmp_path, agent), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    workspace = tmp_path / "out/scenario_0/workspace"
    made = {p.name for p in workspace.rglob("*") if p.is_file()}
    assert {"rootsh", "deep", "served"} <= made  # every attack ran
    setid = [
        str(path)
        for path in [workspace, *workspace.rglob("*")]
        if path.lstat().st_mode & (stat.S_ISUID | stat.S_ISGID)
    ]
    assert setid == []


ESCAPE = """
marker="$1"
setsid sh -c "exec sleep 600 # $marker" </dev/null >/dev/null 2>&1 &
nohup sh -c "sleep 600 # $marker" </dev/null >/dev/null 2>&1 &
( setsid sh -c "trap '' TERM HUP; sleep 600 # $marker" & ) </dev/null >/dev/null 2>&1
exit 0
"""


def test_nothing_the_agent_starts_outlives_its_step(tmp_path: Path) -> None:
    marker = f"escapee-{tmp_path.name}"
    agent = write_agent(tmp_path, ESCAPE)
    run_file = write_run_file(tmp_path, agent)
    text = run_file.read_text().replace(f"command: [{agent}]", f"command: [{agent}, {marker}]")
    run_file.write_text(text)
    run = enduro_run(run_file, tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert not processes_mentioning(marker)


OVERSIZED = """
cd "$ENDURO_WORKSPACE"
head -c 3145728 /dev/zero > big.bin
exit 0
"""


def test_an_oversized_workspace_is_the_agents_failure(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, OVERSIZED)
    run = enduro_run(write_run_file(tmp_path, agent, workspace_mib=2), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert run.turn(0, 1)["score"] == 0.0
    (agent_log,) = run.out.glob("scenario_0/step_logs/*-agent.log")
    outcome = json.loads(agent_log.read_text().strip().splitlines()[-1])  # what the engine read
    assert outcome["failure"] == "agent"
    assert "over the limit agent.limits.workspaceMib = 2 MiB" in outcome["reason"]


ENDLESS_WRITER = """
cd "$ENDURO_WORKSPACE"
i=0
while true; do
  head -c 1048576 /dev/zero > "fill$i.bin"
  truncate -s 1G "sparse$i.bin"
  i=$((i + 1))
  sleep 0.05
done
"""


def test_an_agent_writing_without_end_is_stopped_at_its_workspace_limit(tmp_path: Path) -> None:
    """Writing until the disk is full would take the machine down with the step: the step
    stops the agent once its files pass the limit, long before its time limit (60 s)."""
    agent = write_agent(tmp_path, ENDLESS_WRITER)
    run = enduro_run(write_run_file(tmp_path, agent, workspace_mib=2), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert run.turn(0, 1)["score"] == 0.0
    (agent_log,) = run.out.glob("scenario_0/step_logs/*-agent.log")
    outcome = json.loads(agent_log.read_text().strip().splitlines()[-1])
    assert outcome["failure"] == "agent"
    assert outcome["reason"] == (
        "stopped: the agent's files grew past the limit agent.limits.workspaceMib = 2 MiB "
        "while it ran"
    )


BLAMES_THE_ENDPOINT = """
echo "openai.APIConnectionError: Connection refused" >&2
exit 1
"""


def test_an_agent_blaming_its_model_endpoint_gets_no_free_retry(tmp_path: Path) -> None:
    """An infrastructure failure re-runs the agent step at no cost: printing a connection
    error must not buy that. A `command` agent has no model endpoint the step could reach
    to confirm it, so its attempt is spent and scored."""
    agent = write_agent(tmp_path, BLAMES_THE_ENDPOINT)
    run = enduro_run(write_run_file(tmp_path, agent), tmp_path / "out")
    assert run.returncode == 0, run.stderr
    turn = run.turn(0, 1)
    assert (turn["score"], turn["attempts"], turn.get("infraRetries")) == (0.0, 1, None)
    (agent_log,) = run.out.glob("scenario_0/step_logs/*-agent.log")
    outcome = json.loads(agent_log.read_text().strip().splitlines()[-1])
    assert outcome["failure"] == "agent"
    assert outcome["reason"].startswith("the harness said it cannot reach the model endpoint")


REACH_OUT = """
python "$(dirname "$0")/reach_probe.py" "$@" > "$ENDURO_WORKSPACE/reach.txt"
"""
BUS = "enduro-hostile-session-bus"


@pytest.mark.parametrize(
    ("flags", "reached"),
    [
        ((), ["model", "unreached", "bus unreached"]),
        (("--agent-egress", "http://127.0.0.1:{secret}"), ["model", "secret", "bus unreached"]),
        (("--unsandboxed",), ["model", "secret", "bus reached"]),
    ],
)
def test_an_agent_reaches_its_model_endpoint_and_nothing_else_on_the_machine(
    tmp_path: Path, flags: tuple[str, ...], reached: list[str]
) -> None:
    """Locally the agent's sandbox has a network of its own: its model endpoint (and
    what `--agent-egress` grants) is forwarded into it, and the services of the machine
    that runs `enduro run` (another scenario's server, a gateway's admin port, a desktop
    session's D-Bus on an abstract socket) are not there."""
    with serving_name("model") as model, serving_name("secret") as secret, abstract_socket(BUS):
        agent = write_agent(tmp_path, REACH_OUT)
        (agent.parent / "reach_probe.py").write_text(REACH_PROBE)
        run_file = write_run_file(tmp_path, agent, model_url=f"http://127.0.0.1:{model}/v1")
        urls = f"'http://127.0.0.1:{model}/', 'http://127.0.0.1:{secret}/'"
        text = run_file.read_text().replace(
            f"command: [{agent}]", f"command: [{agent}, {BUS}, {urls}]"
        )
        run_file.write_text(text)
        args = [flag.format(secret=secret) for flag in flags]
        run = enduro_run(run_file, tmp_path / "out", *args)
    assert run.returncode == 0, run.stderr
    seen = (tmp_path / "out/scenario_0/workspace/reach.txt").read_text().splitlines()
    assert seen == reached


def test_an_endpoint_the_sandbox_cannot_route_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    agent = write_agent(tmp_path, "exit 0\n")
    run = enduro_run(
        write_run_file(tmp_path, agent), tmp_path / "out", "--agent-egress", "http://[fd00::9]:80"
    )
    assert run.returncode == 2
    assert "error: --agent-egress: the endpoint fd00::9 is an IPv6 address off loopback" in (
        run.stderr
    )
    assert not (tmp_path / "out").exists()


LINGER = """
marker="$1"
cd "$ENDURO_WORKSPACE"
setsid sh -c "exec sleep 600 # $marker" </dev/null >/dev/null 2>&1 &
touch started
sleep 600
"""


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_kill_9_of_enduro_run_leaves_nothing_running_and_resume_waits(tmp_path: Path) -> None:
    marker = f"linger-{tmp_path.name}"
    agent = write_agent(tmp_path, LINGER)
    run_file = write_run_file(tmp_path, agent)
    run_file.write_text(
        run_file.read_text().replace(f"command: [{agent}]", f"command: [{agent}, {marker}]")
    )
    out = tmp_path / "out"
    first = start_enduro_run(run_file, out)
    try:
        started = out / "scenario_0/workspace/started"
        assert _wait_for(started.exists, 120), "the agent never started"
        assert processes_mentioning(marker)
        second = start_enduro_run(run_file, out, "--resume")
        _, stderr = second.communicate(timeout=120)
        assert second.returncode == 2 and "another enduro run is using" in stderr
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert _wait_for(lambda: not processes_mentioning(marker), 15), processes_mentioning(marker)
        assert _wait_for(lambda: not processes_mentioning(str(out)), 15), processes_mentioning(
            str(out)
        )
    finally:
        if first.poll() is None:
            first.kill()
    state = json.loads((out / "scenario_0/state.json").read_text())
    assert state["phase"] == "Running"  # kept, so --resume can continue it


FORK_BOMB = """
cd "$ENDURO_WORKSPACE"
# Fork until the kernel refuses (the subshell dies then), counting with builtins only.
( n=0; while [ $n -lt 200 ]; do sleep 60 & n=$((n + 1)); echo $n > forks.txt; done ) 2>/dev/null
kill -9 -1  # every other process of the sandbox, so this one may fork again
python -c 'x = bytearray(700 * 1024 * 1024); open("ate-memory", "w").write("yes")'
exit 0
"""


def test_a_fork_bomb_and_a_memory_hog_stop_at_the_agents_limits(tmp_path: Path) -> None:
    agent = write_agent(tmp_path, FORK_BOMB)
    run_file = write_run_file(tmp_path, agent)
    run_file.write_text(
        run_file.read_text().replace(
            f"command: [{agent}]",
            f"command: [{agent}]\n  limits: {{processes: 40}}\n"
            "  resources: {limits: {memory: 256Mi}}",
        )
    )
    run = enduro_run(run_file, tmp_path / "out")
    assert run.returncode == 0, run.stderr
    workspace = tmp_path / "out/scenario_0/workspace"
    assert 5 < int((workspace / "forks.txt").read_text()) < 40
    assert not (workspace / "ate-memory").exists()
    assert run.turn(0, 1)["score"] == 0.0
