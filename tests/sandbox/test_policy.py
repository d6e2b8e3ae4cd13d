"""The sandbox as data: what a confined process sees, as the bubblewrap command line says."""

from __future__ import annotations

from pathlib import Path

import pytest

from enduro.agents.harnesses.base import Command, HarnessConfig, ModelEndpoint
from enduro.agents.harnesses.runner import sandbox_endpoints, sandbox_for
from enduro.runtime.launch import choose_isolation
from enduro.sandbox.egress import EGRESS_ENV
from enduro.sandbox.launch import SandboxError, tool_dirs
from enduro.sandbox.policy import Confinement, Isolation, bwrap_argv

EXISTING = frozenset({"/usr", "/etc", "/bin->usr/bin", "/lib->usr/lib"})


def _argv(confinement: Confinement, **kwargs: object) -> list[str]:
    fds = {host: 10 + i for i, (host, _, _) in enumerate(confinement.binds())}
    return bwrap_argv(confinement, ["sh", "run.sh"], fds, existing=EXISTING, **kwargs)  # type: ignore[arg-type]


def test_a_sandbox_sees_the_system_read_only_and_only_what_it_is_lent() -> None:
    ws = Path("/srv/out/scenario_0/workspace")
    argv = _argv(Confinement(cwd=ws, writable=(ws,), readable=(Path("/opt/agent"),)))
    joined = " ".join(argv)
    assert "--ro-bind /usr /usr" in joined and "--symlink usr/bin /bin" in joined
    assert "--ro-bind-fd 10 /opt/agent" in joined
    assert f"--bind-fd 11 {ws}" in joined
    for isolation in ("--unshare-pid", "--unshare-user", "--die-with-parent", "--disable-userns"):
        assert isolation in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert "--unshare-net" not in argv  # shares the caller's namespace
    assert argv[-3:] == ["--", "sh", "run.sh"]
    assert "/srv/out" not in joined.replace(str(ws), "")  # nothing around the workspace


def test_a_writable_directory_inside_a_readable_one_is_bound_after_it() -> None:
    outer, inner = Path("/data"), Path("/data/ws")
    binds = Confinement(cwd=inner, writable=(inner,), readable=(outer,)).binds()
    assert binds == [(outer, outer, False), (inner, inner, True)]


def test_a_sandbox_without_network_and_with_masked_files() -> None:
    argv = _argv(
        Confinement(cwd=Path("/w"), share_network=False),
        masked=(("/etc/shadow", False), ("/etc/ssl/private", True)),
    )
    joined = " ".join(argv)
    assert "--unshare-net" in argv
    assert "--ro-bind /dev/null /etc/shadow" in joined and "--tmpfs /etc/ssl/private" in joined


def test_tool_dirs_lend_install_roots_but_never_hidden_folders(tmp_path: Path) -> None:
    venv = tmp_path / "harness" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {tmp_path / 'python' / 'bin'}\n")
    npm = tmp_path / "npm" / "node_modules" / ".bin"
    npm.mkdir(parents=True)
    ours = tmp_path / "enduro-venv" / "bin"
    ours.mkdir(parents=True)
    path = f"{venv / 'bin'}:{npm}:{ours}:/usr/bin:relative"
    found = tool_dirs(path, hidden=(tmp_path / "enduro-venv",))
    assert found == (venv, tmp_path / "python", npm.parent)


def test_an_agent_program_next_to_the_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    program = tmp_path / "agent.sh"  # its folder holds the output: lending it shows everything
    command = Command(argv=(str(program),), cwd=out / "workspace")
    with pytest.raises(SandboxError, match="keep the agent's files and the run's output"):
        sandbox_for(command, {}, workspace=out / "workspace", scratch=tmp_path, hidden=(out,))


@pytest.mark.parametrize(
    ("baseline", "unsandboxed", "problem", "expected"),
    [
        (False, False, None, Isolation.BWRAP),
        (True, False, None, Isolation.BWRAP),
        (True, False, "bwrap missing", Isolation.NONE),
        (False, True, "bwrap missing", Isolation.NONE),
        (False, True, None, Isolation.NONE),
    ],
)
def test_choose_isolation(
    baseline: bool, unsandboxed: bool, problem: str | None, expected: Isolation
) -> None:
    assert choose_isolation(baseline, unsandboxed, problem) is expected


def test_an_untrusted_agent_never_runs_unconfined_silently() -> None:
    with pytest.raises(SandboxError, match="bwrap missing"):
        choose_isolation(False, False, "bwrap missing")
    assert not Isolation.NONE.tamper_proof and Isolation.BWRAP.tamper_proof


def test_a_cli_may_reach_its_model_its_proxy_and_what_the_run_grants() -> None:
    config = HarnessConfig(harness="codex", model=ModelEndpoint("openai", "gpt-5"))
    cli_env = {"HTTPS_PROXY": "proxy.corp:3128", "https_proxy": "http://proxy.corp:3128"}
    step_env = {EGRESS_ENV: "https://pypi.org\nhttps://files.pythonhosted.org\n"}
    assert sandbox_endpoints(config, cli_env, step_env) == (
        "https://api.openai.com/v1",
        "http://proxy.corp:3128",
        "https://pypi.org",
        "https://files.pythonhosted.org",
    )
    command_agent = HarnessConfig(harness="command", model=ModelEndpoint("none", ""))
    assert sandbox_endpoints(command_agent, {"PATH": "/usr/bin"}, {}) == ()
