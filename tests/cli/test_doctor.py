"""`specloop doctor`: each check against a fake machine, the screen, and the real command."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rich.console import Console

from helpers import REPO_ROOT, Repo, run_specloop
from specloop.cli._app import render_doctor
from specloop.engine import Check, diagnose, doctor_json
from specloop.engine._doctor import PROBE_TIMEOUT, Ran, process_runner
from specloop.executors._pins import AGENT_PINS

FAKE_BIN = "/fake/bin"
OPENAI_KEY = "sk-test-0123456789abcdefghij"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdefghij"
# What each program prints for `--version` on a machine with everything as pinned.
PINNED_OUTPUT = {
    "git": "git version 2.39.5\n",
    "codex": "codex-cli 0.169.0\n",
    "claude": "2.1.197 (Claude Code)\n",
    "aider": "aider 0.86.2\n",
    "bwrap": "",  # the sandbox trial runs `true`: no output, exit 0
}


@dataclass
class FakeMachine:
    """Programs found by `which` and what running each prints; records every run."""

    outputs: dict[str, str] = field(default_factory=lambda: dict(PINNED_OUTPUT))
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def which(self, name: str) -> str | None:
        return f"{FAKE_BIN}/{name}" if name in self.outputs else None

    def run(self, argv: Sequence[str], timeout: float) -> Ran:
        assert timeout <= PROBE_TIMEOUT
        self.calls.append(list(argv))
        program = Path(argv[0]).name
        return Ran(self.exit_codes.get(program, 0), self.outputs[program])


CONFIGURED = (
    '[roles]\nplanner = "openai:gpt-5"\nexecutor = "anthropic:claude-sonnet-4-6"\n'
    '[run]\nsandbox = "required"\n'
)
KEYS = {"PATH": FAKE_BIN, "OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY}


def checks_by_name(
    directory: Path, env: dict[str, str], machine: FakeMachine | None = None
) -> dict[str, Check]:
    machine = machine or FakeMachine()
    return {c.name: c for c in diagnose(directory, env, which=machine.which, run=machine.run)}


def screen(directory: Path, checks: Sequence[Check]) -> str:
    out = io.StringIO()
    render_doctor(Console(file=out, width=200, color_system=None), directory, checks)
    return out.getvalue()


def statuses(checks: dict[str, Check]) -> dict[str, str]:
    return {name: check.status for name, check in checks.items()}


def test_all_good_is_all_ok_with_no_fix_lines(repo: Repo) -> None:
    repo.write(".specloop/config.toml", CONFIGURED)
    checks = checks_by_name(repo.root, KEYS)
    assert statuses(checks) == {
        "python": "ok",
        "git": "ok",
        "project": "ok",
        "planner model": "ok",
        "executor model": "ok",
        "reviewer model": "ok",
        "codex CLI": "ok",
        "claude CLI": "ok",
        "aider CLI": "ok",
        "sandbox": "ok",
    }
    assert checks["git"].detail == f"2.39.5 ({FAKE_BIN}/git)"
    assert checks["codex CLI"].detail == f"0.169.0 ({FAKE_BIN}/codex)"
    planner = checks["planner model"].detail
    assert planner == "openai:gpt-5 (from .specloop/config.toml:2; OPENAI_API_KEY is set)"
    text = screen(repo.root, list(checks.values()))
    assert "fix:" not in text
    assert text.strip().splitlines()[-1] == "0 failed, 0 warnings, 10 ok"


def test_a_missing_agent_shows_its_pinned_install_command(repo: Repo) -> None:
    machine = FakeMachine()
    del machine.outputs["codex"]
    codex = checks_by_name(repo.root, KEYS, machine)["codex CLI"]
    assert (codex.status, codex.fix) == ("warn", "npm install -g @openai/codex@0.169.0")
    assert codex.fix == AGENT_PINS["codex"].install_command
    assert "fix: npm install -g @openai/codex@0.169.0" in screen(repo.root, [codex])
    # The agent run.executor names is not optional: missing, it fails.
    repo.write(".specloop/config.toml", '[run]\nexecutor = "codex"\n')
    codex = checks_by_name(repo.root, KEYS, machine)["codex CLI"]
    assert codex.status == "fail" and "run.executor = 'codex' needs it" in codex.detail


def test_an_agent_at_another_version_warns_with_the_pinned_install(repo: Repo) -> None:
    machine = FakeMachine()
    # A launcher warning before the version line must not be taken for the version.
    machine.outputs["claude"] = "(node:42) Warning: something 1.2\n2.0.14 (Claude Code)\n"
    machine.outputs["aider"] = "(node:7) Warning: v0.86.2 is mentioned\naider 0.86.2\n"
    checks = checks_by_name(repo.root, KEYS, machine)
    claude = checks["claude CLI"]
    assert claude.status == "warn"
    assert "specloop is tested with 2.1.197" in claude.detail
    assert claude.fix == "npm install -g @anthropic-ai/claude-code@2.1.197"
    assert checks["aider CLI"].status == "ok"


def test_an_agent_that_hangs_or_errors_is_a_warning_not_a_hang(repo: Repo) -> None:
    machine = FakeMachine(exit_codes={"codex": None, "aider": 1})
    machine.outputs["aider"] = "Traceback ...\nModuleNotFoundError: No module named 'aider'\n"
    checks = checks_by_name(repo.root, KEYS, machine)
    assert checks["codex CLI"].status == "warn"
    assert f"no answer within {PROBE_TIMEOUT:g} s" in checks["codex CLI"].detail
    assert checks["aider CLI"].status == "warn"
    assert "ModuleNotFoundError: No module named 'aider'" in checks["aider CLI"].detail
    assert checks["aider CLI"].fix == AGENT_PINS["aider"].install_command


def test_the_real_runner_kills_a_hung_program() -> None:
    started = time.monotonic()
    ran = process_runner(os.environ)(["sh", "-c", "sleep 30"], 0.5)
    assert ran.exit_code is None
    assert time.monotonic() - started < 10


def test_no_model_for_a_role_names_the_key_the_variable_and_the_demo(repo: Repo) -> None:
    repo.write(".specloop/config.toml", '[roles]\nplanner = "openai:gpt-5"\n')
    checks = checks_by_name(repo.root, KEYS)
    executor = checks["executor model"]
    assert executor.status == "warn"
    assert "`specloop demo` runs without any model" in executor.detail
    assert executor.fix is not None
    assert "roles.executor" in executor.fix and "SPECLOOP_ROLES_EXECUTOR" in executor.fix
    # Another executor than builtin does not use the executor model.
    env = {**KEYS, "SPECLOOP_RUN_EXECUTOR": "claude"}
    executor = checks_by_name(repo.root, env)["executor model"]
    assert (executor.status, executor.detail) == ("ok", "not needed: run.executor = 'claude'")


def test_a_configured_model_without_its_key_fails_naming_the_variable(repo: Repo) -> None:
    repo.write(".specloop/config.toml", CONFIGURED)
    env = {"PATH": FAKE_BIN, "ANTHROPIC_API_KEY": ANTHROPIC_KEY}
    checks = checks_by_name(repo.root, env)
    planner = checks["planner model"]
    assert planner.status == "fail"
    assert planner.detail == "openai:gpt-5 needs OPENAI_API_KEY, which is not set"
    assert planner.fix is not None and planner.fix.startswith("export OPENAI_API_KEY=<your key>")
    assert checks["executor model"].detail.endswith("ANTHROPIC_API_KEY is set)")
    # A key's value never reaches the screen or the JSON.
    shown = screen(repo.root, list(checks.values())) + json.dumps(
        doctor_json(list(checks.values()))
    )
    assert ANTHROPIC_KEY not in shown and "sk-" not in shown


def test_a_missing_sandbox_fails_when_required_and_warns_when_optional(repo: Repo) -> None:
    machine = FakeMachine()
    del machine.outputs["bwrap"]
    sandbox = checks_by_name(repo.root, KEYS, machine)["sandbox"]
    assert sandbox.status == "fail"  # run.sandbox defaults to required
    assert sandbox.fix is not None and sandbox.fix.startswith("sudo apt-get install bubblewrap")
    env = {**KEYS, "SPECLOOP_RUN_SANDBOX": "optional"}
    assert checks_by_name(repo.root, env, machine)["sandbox"].status == "warn"
    env["SPECLOOP_RUN_SANDBOX"] = "off"
    machine = FakeMachine()
    assert checks_by_name(repo.root, env, machine)["sandbox"].status == "ok"
    assert not any(Path(call[0]).name == "bwrap" for call in machine.calls)


def test_a_sandbox_that_is_installed_but_broken_says_why(repo: Repo) -> None:
    machine = FakeMachine(exit_codes={"bwrap": 1})
    machine.outputs["bwrap"] = "bwrap: No permissions to create new namespace\n"
    sandbox = checks_by_name(repo.root, KEYS, machine)["sandbox"]
    assert sandbox.status == "fail"
    assert "does not work here: bwrap: No permissions to create new namespace" in sandbox.detail
    trial = next(call for call in machine.calls if Path(call[0]).name == "bwrap")
    # The trial uses the same isolation as every sandboxed command, not a bare `bwrap true`.
    assert {"--unshare-net", "--unshare-pid", "--cap-drop"} <= set(trial)


def test_git_missing_or_too_old_fails(repo: Repo) -> None:
    machine = FakeMachine()
    machine.outputs["git"] = "git version 2.37.1 (Apple Git-137.1)\n"
    git = checks_by_name(repo.root, KEYS, machine)["git"]
    assert git.status == "fail" and "merge-tree --write-tree" in git.detail
    del machine.outputs["git"]
    git = checks_by_name(repo.root, KEYS, machine)["git"]
    assert (git.status, git.fix) == ("fail", "sudo apt-get install git")


def test_outside_a_git_repository_warns_and_checks_the_rest(tmp_path: Path) -> None:
    checks = checks_by_name(tmp_path, {**KEYS, "SPECLOOP_ROLES_PLANNER": "openai:gpt-5"})
    project = checks["project"]
    assert project.status == "warn"
    assert project.detail == f"{tmp_path.resolve()} is not inside a git repository"
    assert project.fix == "cd into your repository, or run `git init` here"
    # Settings from the environment still apply outside a repository.
    assert checks["planner model"].detail.startswith(
        "openai:gpt-5 (from env SPECLOOP_ROLES_PLANNER"
    )


def test_a_repository_without_config_suggests_init(repo: Repo) -> None:
    project = checks_by_name(repo.root, KEYS)["project"]
    assert (project.status, project.fix) == ("warn", "specloop init")


def test_an_invalid_config_fails_with_file_and_line(repo: Repo) -> None:
    repo.write(".specloop/config.toml", '[run]\nparallel = 4\nsandbox = "sometimes"\n')
    checks = checks_by_name(repo.root, KEYS)
    project = checks["project"]
    assert project.status == "fail"
    assert project.detail.startswith(".specloop/config.toml:3: run.sandbox must be one of")
    assert project.fix is not None and "line 3" in project.fix
    assert checks["models"].status == "warn"
    repo.write(".specloop/config.toml", "[run]\nparallel = 4\n")
    bad_env = checks_by_name(repo.root, {**KEYS, "SPECLOOP_RUN_PARALLEL": "many"})["project"]
    assert bad_env.detail.startswith("SPECLOOP_RUN_PARALLEL: ")
    assert bad_env.fix == "correct or unset SPECLOOP_RUN_PARALLEL"


def test_json_shape_and_exit_code_through_the_real_cli(repo: Repo) -> None:
    repo.write(".specloop/config.toml", '[run]\nsandbox = "sometimes"\n')
    result = run_specloop("doctor", "--json", cwd=repo.root)
    assert result.code == 1 and result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == {"ok", "counts", "checks"}
    assert report["ok"] is False and report["counts"]["fail"] >= 1
    assert sum(report["counts"].values()) == len(report["checks"])
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "fix"}
        assert check["status"] in ("ok", "warn", "fail")
    assert report["checks"][0]["name"] == "python"


def test_the_real_cli_in_a_real_repository(repo: Repo) -> None:
    # Warnings only (no config, agents perhaps missing, sandbox optional): exit 0.
    agents = REPO_ROOT / ".agents" / "bin"
    env = {
        "SPECLOOP_RUN_SANDBOX": "optional",
        "OPENAI_API_KEY": OPENAI_KEY,
        "SPECLOOP_ROLES_PLANNER": "openai:gpt-5",
        "PATH": f"{agents}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = run_specloop("doctor", cwd=repo.root, env=env)
    assert result.code == 0, result.stdout + result.stderr
    assert "fix: specloop init" in result.stdout
    assert "OPENAI_API_KEY is set" in result.stdout and OPENAI_KEY not in result.stdout
    assert result.stdout.splitlines()[0] == f"specloop doctor in {repo.root.resolve()}"
    if not agents.is_dir():
        pytest.skip("the pinned agent CLIs are not installed in .agents/bin")
    for pin in AGENT_PINS.values():
        assert f"{pin.version} ({agents / pin.binary})" in result.stdout, pin.name


def test_a_missing_directory_exits_2(repo: Repo) -> None:
    result = run_specloop("-C", "nowhere", "doctor", cwd=repo.root)
    assert (result.code, result.stderr.strip()) == (2, "specloop: no such directory: nowhere")


def test_status_does_not_load_doctor_or_the_executors() -> None:
    code = (
        "import sys, specloop.engine\n"
        "print([m for m in ('specloop.engine._doctor', 'specloop.executors') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
